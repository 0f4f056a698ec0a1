// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The XDP stage's part of a load (load_xdp.h). bpfroute_lan is written
 * before the program is attached, and the program passes every frame of an
 * interface without an entry to TC: a half-written map can only make the
 * stage forward less, never wrongly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "load_xdp.h"
#include "log.h"
#include "maps.h"
#include "netdev.h"

bool load_xdp_wanted(const struct config *cfg)
{
	return cfg->n_xdp > 0;
}

/* What bpfroute_lan holds now; *out is malloc()ed. */
static int lans_read(int fd, struct lan_entry **out, size_t *n)
{
	struct lan_entry *v;
	__u32 key, next, *prev = NULL;
	int err = 0;

	*n = 0;
	v = calloc(BPFROUTE_MAX_LANS, sizeof(*v));
	if (!v)
		return -ENOMEM;
	/* The map holds no more than BPFROUTE_MAX_LANS: the bound is for safety. */
	while (*n < BPFROUTE_MAX_LANS) {
		if (bpf_map_get_next_key(fd, prev, &next)) {
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
		v[*n].ifindex = next;
		/* Deleted between the two calls: skip it. */
		if (!bpf_map_lookup_elem(fd, &next, &v[*n].val))
			(*n)++;
		key = next;
		prev = &key;
	}
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	return 0;
}

/* Is ifindex a LAN interface of the config? */
static bool is_lan(const struct load_xdp *x, int ifindex)
{
	for (size_t i = 0; i < x->cfg->n_ifaces; i++)
		if (x->iface_idx[i] == ifindex)
			return true;
	return false;
}

/* Does ifindex keep the stage after this load? */
static bool keeps_stage(const struct load_xdp *x, int ifindex)
{
	return load_xdp_wanted(x->cfg) && is_lan(x, ifindex);
}

int load_xdp_check(struct load_xdp *x)
{
	const struct config *cfg = x->cfg;
	int err;

	x->lan_id = map_id(x->lan_fd);
	if (!x->lan_id) {
		err = errno ? -errno : -EINVAL;
		pr_err("reading bpfroute_lan: %s\n", strerror(-err));
		return err;
	}
	x->old_fd = calloc(cfg->n_ifaces + 1, sizeof(*x->old_fd));
	if (!x->old_fd)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_ifaces; i++)
		x->old_fd[i] = -1;
	err = lans_read(x->lan_fd, &x->old_lans, &x->n_old_lans);
	if (!err)
		err = xdp_list(x->lan_id, &x->before, &x->n_before);
	if (err) {
		pr_err("reading where the XDP stage is attached: %s\n", strerror(-err));
		return err;
	}

	/* Without the stage, another program's XDP hook is none of our business. */
	if (!load_xdp_wanted(cfg))
		return 0;
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		const char *dev = cfg->ifaces[i].name;
		__u32 old_id = xdp_find(x->before, x->n_before, x->iface_idx[i]);
		struct xdp_progs progs;

		/*
		 * Held from now on: replaced, the program is freed, id and
		 * all, once nothing holds it, and a rollback needs it back.
		 */
		if (old_id) {
			x->old_fd[i] = bpf_prog_get_fd_by_id(old_id);
			if (x->old_fd[i] < 0) {
				err = -errno;
				pr_err("%s: finding the XDP program %u attached there: %s\n", dev,
				       old_id, strerror(-err));
				return err;
			}
		}
		err = xdp_query(x->iface_idx[i], &progs);
		if (err) {
			pr_err("%s: reading its XDP programs: %s\n", dev, strerror(-err));
			return err;
		}
		/*
		 * Ours are native only; and native and generic XDP never run
		 * together on a device, so a generic program is in the way too.
		 */
		if (progs.skb || progs.hw) {
			pr_err("%s: %s XDP holds program %u, which is not this instance's; not "
			       "replacing it\n", dev, progs.skb ? "generic" : "offloaded",
			       progs.skb ? progs.skb : progs.hw);
			return -EBUSY;
		}
		if (progs.drv && !xdp_prog_ours(progs.drv, x->lan_id)) {
			pr_err("%s: native XDP holds program %u, which is not this instance's "
			       "(another --pin-dir?); not replacing it\n", dev, progs.drv);
			return -EBUSY;
		}
	}
	return 0;
}

/* bpfroute_lan as it was before this load. */
static void lans_restore(struct load_xdp *x)
{
	struct lan_entry *now = NULL;
	size_t n = 0;

	if (!x->lans_written)
		return;
	x->lans_written = false;
	if (!lans_read(x->lan_fd, &now, &n)) {
		for (size_t i = 0; i < n; i++) {
			bool old = false;

			for (size_t j = 0; j < x->n_old_lans && !old; j++)
				old = x->old_lans[j].ifindex == now[i].ifindex;
			if (!old)
				bpf_map_delete_elem(x->lan_fd, &now[i].ifindex);
		}
		free(now);
	}
	for (size_t i = 0; i < x->n_old_lans; i++)
		if (bpf_map_update_elem(x->lan_fd, &x->old_lans[i].ifindex, &x->old_lans[i].val,
					BPF_ANY))
			pr_err("putting bpfroute_lan back failed\n");
}

/*
 * Each LAN interface's MAC: the stage forwards only frames sent to it. An
 * interface without an Ethernet header gets no entry, and the stage passes
 * all it receives there to TC.
 */
static int lans_write(struct load_xdp *x)
{
	const struct config *cfg = x->cfg;

	x->lans_written = true;
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		struct bpfroute_lan lan = {};
		struct netdev_hw hw;
		__u32 key = x->iface_idx[i];
		int err;

		err = netdev_hw_get(cfg->ifaces[i].name, &hw);
		if (err) {
			pr_err("%s: reading its MAC address: %s\n", cfg->ifaces[i].name,
			       strerror(-err));
			return err;
		}
		if (!netdev_hw_ether(&hw)) {
			bpf_map_delete_elem(x->lan_fd, &key);
			continue;
		}
		memcpy(lan.mac, hw.mac, sizeof(lan.mac));
		if (bpf_map_update_elem(x->lan_fd, &key, &lan, BPF_ANY)) {
			err = -errno;
			pr_err("writing bpfroute_lan for %s: %s%s\n", cfg->ifaces[i].name,
			       strerror(-err),
			       err == -E2BIG ? " (more LAN interfaces than it holds)" : "");
			return err;
		}
	}
	return 0;
}

/* Ours replaced by ours, or installed where there was none. */
static int attach_one(struct load_xdp *x, size_t i)
{
	const char *dev = x->cfg->ifaces[i].name;
	int err;

	err = xdp_attach(x->iface_idx[i], x->prog_fd, x->old_fd[i]);
	if (err == -EOPNOTSUPP)
		pr_err("%s: its driver has no native XDP, which the XDP stage ('target DEV xdp') "
		       "needs\n", dev);
	else if (err == -EBUSY || err == -EEXIST)
		pr_err("%s: another XDP program was attached meanwhile; not replacing it\n", dev);
	else if (err)
		pr_err("attaching the XDP stage to %s: %s\n", dev, strerror(-err));
	return err;
}

int load_xdp_attach(struct load_xdp *x)
{
	int err;

	if (!load_xdp_wanted(x->cfg))
		return 0;
	if (x->prog_fd < 0) {
		pr_err("this build has no XDP stage (bpfroute_xdp)\n");
		return -ENOENT;
	}
	err = lans_write(x);
	for (size_t i = 0; !err && i < x->cfg->n_ifaces; i++) {
		err = attach_one(x, i);
		if (!err)
			x->n_attached++;
	}
	if (err)
		load_xdp_rollback(x);
	return err;
}

void load_xdp_rollback(struct load_xdp *x)
{
	for (int i = 0; i < x->n_attached; i++) {
		int ifindex = x->iface_idx[i];

		/* Each step names this load's program: one attached since is left alone. */
		if (x->old_fd[i] >= 0)
			xdp_attach(ifindex, x->old_fd[i], x->prog_fd);
		else
			xdp_detach(ifindex, x->prog_fd);
	}
	x->n_attached = 0;
	lans_restore(x);
}

void load_xdp_detach_stale(struct load_xdp *x)
{
	struct lan_entry *now = NULL;
	size_t n = 0;

	for (int i = 0; i < x->n_before; i++) {
		const struct xdp_hook *h = &x->before[i];
		int fd, err;

		if (keeps_stage(x, h->ifindex))
			continue;
		fd = bpf_prog_get_fd_by_id(h->prog_id);
		err = fd < 0 ? -errno : xdp_detach(h->ifindex, fd);
		if (fd >= 0)
			close(fd);
		if (err)
			pr_warn("detaching the XDP stage from %s: %s\n", h->name, strerror(-err));
		else
			pr_info("detached the XDP stage from %s (%s)\n", h->name,
				is_lan(x, h->ifindex) ? "no target says xdp"
						      : "no longer in the config");
	}
	/* Whatever happened above, a stale entry only makes the stage pass more. */
	if (lans_read(x->lan_fd, &now, &n))
		return;
	for (size_t i = 0; i < n; i++)
		if (!keeps_stage(x, now[i].ifindex))
			bpf_map_delete_elem(x->lan_fd, &now[i].ifindex);
	free(now);
}

void load_xdp_free(struct load_xdp *x)
{
	for (size_t i = 0; x->old_fd && x->cfg && i < x->cfg->n_ifaces; i++)
		if (x->old_fd[i] >= 0)
			close(x->old_fd[i]);
	free(x->old_fd);
	x->old_fd = NULL;
	free(x->before);
	free(x->old_lans);
	x->before = NULL;
	x->old_lans = NULL;
	x->n_before = 0;
	x->n_old_lans = 0;
}
