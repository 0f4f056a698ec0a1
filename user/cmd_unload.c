// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `bpfroute unload`: detach from every device this instance is attached to
 * (the XDP stage and the classifiers of the LAN interfaces, and the reply
 * translators of masqueraded targets), then remove its pins and its pin
 * directory. Nothing is left behind but the clsact qdiscs, which other
 * filters may share.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cmd.h"
#include "log.h"
#include "maps.h"
#include "pindir.h"
#include "rtable.h"
#include "tc.h"
#include "xdp.h"

/*
 * The XDP stage first: it forwards some packets itself and passes the rest
 * to the classifier, so it goes before the classifier does. Where it is
 * attached is read from the kernel, as for the filters.
 */
static int detach_xdp(const struct bpfroute_maps *maps)
{
	struct xdp_hook *hooks = NULL;
	int n = 0, err;

	err = xdp_list(map_id(maps->lans), &hooks, &n);
	if (err) {
		pr_err("listing the XDP programs: %s\n", strerror(-err));
		return err;
	}
	for (int i = 0; i < n && !err; i++) {
		int fd = bpf_prog_get_fd_by_id(hooks[i].prog_id);

		/* Named by the program found there: one attached since stays. */
		err = fd < 0 ? -errno : xdp_detach(hooks[i].ifindex, fd);
		if (fd >= 0)
			close(fd);
		if (err)
			pr_err("detaching the XDP stage from %s: %s\n", hooks[i].name,
			       strerror(-err));
		else
			pr_info("detached the XDP stage from %s\n", hooks[i].name);
	}
	free(hooks);
	return err;
}

int cmd_unload(const struct cli *cli, int argc, char **argv)
{
	struct bpfroute_maps maps = { .owned = false };
	struct tc_link *links = NULL;
	struct pindir pd;
	int n = 0, err;
	bool json = cli->json;

	err = cmd_parse_opts_only("unload", argc, argv, &json, NULL);
	if (err)
		return err;

	err = pindir_open(&pd, cli->pin_dir, true);
	if (err == -ENOENT) {
		pr_info("nothing loaded at %s\n", cli->pin_dir);
		return 0;
	}
	if (err) {
		if (err != -EPERM)	/* pindir_open() said why */
			pr_err("%s: %s\n", cli->pin_dir, strerror(-err));
		return err;
	}

	/*
	 * Without the route map there is no way to tell our filters from
	 * another instance's: remove the pins that are there and say so.
	 */
	err = maps_open(&pd, &maps);
	if (err) {
		pr_warn("%s: incomplete instance (%s); removing its pins only\n", pd.path,
			strerror(-err));
	} else {
		err = detach_xdp(&maps);
		if (err)
			goto cleanup;
		err = tc_list(map_id(maps.stats), TC_ROLES_ALL, &links, &n);
		if (err) {
			pr_err("listing the interfaces: %s\n", strerror(-err));
			goto cleanup;
		}
		/*
		 * The classifiers first, so that no new flow is translated
		 * once the translators begin to go; a reply still in flight
		 * then passes untranslated, as it would once the pins go.
		 */
		for (int role = TC_ROLE_LAN; role <= TC_ROLE_TARGET; role <<= 1) {
			for (int i = 0; i < n; i++) {
				int derr;

				if (links[i].role != (enum tc_role)role)
					continue;
				if (role == TC_ROLE_LAN)
					tc_detach(links[i].ifindex, TC_HOOK_EGRESS);
				derr = tc_detach(links[i].ifindex, TC_HOOK_INGRESS);
				if (derr && derr != -ENOENT) {
					pr_err("detaching from %s: %s\n", links[i].name,
					       strerror(-derr));
					err = derr;
					goto cleanup;
				}
				pr_info("detached %sfrom %s\n",
					role == TC_ROLE_LAN ? "" : "the reply translator ",
					links[i].name);
			}
		}
	}
	maps_close(&maps);
	err = maps_unpin(&pd);
	if (!err)
		err = pindir_remove(&pd);
	if (!err)
		pr_info("unloaded %s\n", cli->pin_dir);
	/* The export table's routes announce what no longer steers: withdrawn too. */
	if (!err) {
		int gone = rtable_remove_ours();

		if (gone > 0)
			pr_info("removed %d route(s) of the export table\n", gone);
		else if (gone < 0)
			pr_warn("removing the export table's routes: %s\n", strerror(-gone));
	}
cleanup:
	free(links);
	maps_close(&maps);
	pindir_close(&pd);
	return err;
}
