// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "maps.h"

/* In the order of struct bpfroute_maps' descriptors. */
const char *const bpfroute_map_names[] = {
	BPFROUTE_STR(BPFROUTE_MAP_ROUTE4),
	BPFROUTE_STR(BPFROUTE_MAP_ROUTE6),
	BPFROUTE_STR(BPFROUTE_MAP_EXCL4),
	BPFROUTE_STR(BPFROUTE_MAP_EXCL6),
	BPFROUTE_STR(BPFROUTE_MAP_STATS),
	BPFROUTE_STR(BPFROUTE_MAP_HOST4),
	BPFROUTE_STR(BPFROUTE_MAP_HOST6),
	BPFROUTE_STR(BPFROUTE_MAP_RULES),
	BPFROUTE_STR(BPFROUTE_MAP_NAMES),
	BPFROUTE_STR(BPFROUTE_MAP_QUERIES),
	BPFROUTE_STR(BPFROUTE_MAP_QSEEN),
	BPFROUTE_STR(BPFROUTE_MAP_RESOLVERS),
	BPFROUTE_STR(BPFROUTE_MAP_CONF),
	BPFROUTE_STR(BPFROUTE_MAP_EVENTS),
	BPFROUTE_STR(BPFROUTE_MAP_SCRATCH),
	BPFROUTE_STR(BPFROUTE_MAP_TARGETS),
	BPFROUTE_STR(BPFROUTE_MAP_NAT_OUT),
	BPFROUTE_STR(BPFROUTE_MAP_NAT_IN),
	BPFROUTE_STR(BPFROUTE_MAP_LANS),
	BPFROUTE_STR(BPFROUTE_MAP_HOSTCTL),
	BPFROUTE_STR(BPFROUTE_MAP_PFXSUM),
	BPFROUTE_STR(BPFROUTE_MAP_HSCRATCH),
	BPFROUTE_STR(BPFROUTE_MAP_NAT_CLIENTS),
	BPFROUTE_STR(BPFROUTE_MAP_LAYOUT),
	BPFROUTE_STR(BPFROUTE_MAP_AGENT),
	BPFROUTE_STR(BPFROUTE_MAP_ICMPRL),
	BPFROUTE_STR(BPFROUTE_MAP_CLI4),
	BPFROUTE_STR(BPFROUTE_MAP_CLI6),
	BPFROUTE_STR(BPFROUTE_MAP_CLIGRP),
};
const int bpfroute_map_count = sizeof(bpfroute_map_names) / sizeof(bpfroute_map_names[0]);

int *maps_fd_slot(struct bpfroute_maps *m, int i)
{
	int *slots[] = { &m->route4, &m->route6, &m->excl4,   &m->excl6,   &m->stats,
			 &m->host4,  &m->host6,  &m->rules,   &m->names,   &m->queries,
			 &m->qseen,  &m->resolvers, &m->conf, &m->events,
			 &m->scratch, &m->targets, &m->nat_out, &m->nat_in, &m->lans,
			 &m->hostctl, &m->pfxsum, &m->hscratch, &m->natcli, &m->layout,
			 &m->agent, &m->icmprl, &m->cli4, &m->cli6, &m->cligrp };

	_Static_assert(sizeof(slots) / sizeof(slots[0]) ==
		       sizeof(bpfroute_map_names) / sizeof(bpfroute_map_names[0]),
		       "one name per map descriptor");
	return slots[i];
}

int maps_open(const struct pindir *pd, struct bpfroute_maps *m)
{
	char path[PATH_MAX];
	int err = 0;

	for (int i = 0; i < bpfroute_map_count; i++)
		*maps_fd_slot(m, i) = -1;
	m->owned = true;
	for (int i = 0; i < bpfroute_map_count; i++) {
		int fd;

		err = pindir_path(pd, bpfroute_map_names[i], path, sizeof(path));
		if (err)
			goto cleanup;
		fd = bpf_obj_get(path);
		/*
		 * Maps that came later (bpfroute_lan with the XDP stage, the
		 * learned tables' counters, the prefix summary, the flows per
		 * client, the layout record, the agent's record, the ICMP rate
		 * limit, the client groups): an instance loaded by an older
		 * bpfroute has none, and must still be shown and unloaded.
		 */
		if (fd < 0 && errno == ENOENT &&
		    (maps_fd_slot(m, i) == &m->lans || maps_fd_slot(m, i) == &m->hostctl ||
		     maps_fd_slot(m, i) == &m->pfxsum || maps_fd_slot(m, i) == &m->hscratch ||
		     maps_fd_slot(m, i) == &m->natcli || maps_fd_slot(m, i) == &m->layout ||
		     maps_fd_slot(m, i) == &m->agent || maps_fd_slot(m, i) == &m->icmprl ||
		     maps_fd_slot(m, i) == &m->cli4 || maps_fd_slot(m, i) == &m->cli6 ||
		     maps_fd_slot(m, i) == &m->cligrp)) {
			err = 0;
			continue;
		}
		if (fd < 0) {
			err = -errno;
			pr_debug("%s: %s\n", path, strerror(-err));
			goto cleanup;
		}
		*maps_fd_slot(m, i) = fd;
	}
	return 0;
cleanup:
	maps_close(m);
	return err;
}

void maps_from_object(struct bpf_object *obj, struct bpfroute_maps *m)
{
	for (int i = 0; i < bpfroute_map_count; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, bpfroute_map_names[i]);

		*maps_fd_slot(m, i) = map ? bpf_map__fd(map) : -1;
	}
	m->owned = false;
}

void maps_close(struct bpfroute_maps *m)
{
	if (!m->owned)
		return;
	for (int i = 0; i < bpfroute_map_count; i++) {
		int *fd = maps_fd_slot(m, i);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

int maps_unpin(const struct pindir *pd)
{
	char path[PATH_MAX];
	int err = 0;

	for (int i = 0; i < bpfroute_map_count; i++) {
		if (pindir_path(pd, bpfroute_map_names[i], path, sizeof(path)))
			continue;
		if (unlink(path) && errno != ENOENT) {
			err = -errno;
			pr_err("removing %s: %s\n", path, strerror(-err));
		}
	}
	return err;
}

__u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

__u32 map_max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

int stats_read(const struct bpfroute_maps *m, __u32 stat, __u64 *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	*sum = 0;
	if (bpf_map_lookup_elem(m->stats, &stat, vals)) {
		err = -errno;
		goto cleanup;
	}
	for (int i = 0; i < ncpu; i++)
		*sum += vals[i];
cleanup:
	free(vals);
	return err;
}

const char *stat_name(__u32 stat)
{
	static const char *const names[BPFROUTE_STAT_MAX] = {
		[BPFROUTE_STAT_STEERED] = "steered",
		[BPFROUTE_STAT_MISS] = "miss",
		[BPFROUTE_STAT_PASS_NOT_IP] = "pass_not_ip",
		[BPFROUTE_STAT_PASS_VLAN] = "pass_vlan",
		[BPFROUTE_STAT_PASS_MALFORMED] = "pass_malformed",
		[BPFROUTE_STAT_PASS_NOT_FOR_US] = "pass_not_for_us",
		[BPFROUTE_STAT_PASS_SPECIAL] = "pass_special_dst",
		[BPFROUTE_STAT_PASS_EXCLUDED] = "pass_excluded",
		[BPFROUTE_STAT_PASS_TTL] = "pass_ttl_expired",
		[BPFROUTE_STAT_BYTES_STEERED] = "bytes_steered",
		[BPFROUTE_STAT_DNS_QUERY] = "dns_query",
		[BPFROUTE_STAT_DNS_QUERY_UNTRUSTED] = "dns_query_untrusted",
		[BPFROUTE_STAT_DNS_ANSWER] = "dns_answer",
		[BPFROUTE_STAT_DNS_LEARNED] = "dns_learned",
		[BPFROUTE_STAT_DNS_NO_RULE] = "dns_no_rule",
		[BPFROUTE_STAT_DNS_UNSOLICITED] = "dns_unsolicited",
		[BPFROUTE_STAT_DNS_WRONG_ID] = "dns_wrong_id",
		[BPFROUTE_STAT_DNS_WRONG_PORT] = "dns_wrong_port",
		[BPFROUTE_STAT_DNS_WRONG_SERVER] = "dns_wrong_server",
		[BPFROUTE_STAT_DNS_UNTRUSTED] = "dns_untrusted",
		[BPFROUTE_STAT_DNS_WRONG_QUESTION] = "dns_wrong_question",
		[BPFROUTE_STAT_DNS_MALFORMED] = "dns_malformed",
		[BPFROUTE_STAT_DNS_CNAME_LOOP] = "dns_cname_loop",
		[BPFROUTE_STAT_DNS_OFF_CHAIN] = "dns_off_chain",
		[BPFROUTE_STAT_DNS_REFUSED_ADDR] = "dns_refused_addr",
		[BPFROUTE_STAT_DNS_REFUSED_FULL] = "dns_refused_full",
		[BPFROUTE_STAT_DNS_TO_AGENT] = "dns_to_agent",
		[BPFROUTE_STAT_DNS_TOO_BIG] = "dns_too_big",
		[BPFROUTE_STAT_DNS_EVENT_LOST] = "dns_event_lost",
		[BPFROUTE_STAT_LEARNED_ADDRS] = "learned_addrs",
		[BPFROUTE_STAT_HOST_EXPIRED] = "host_expired",
		[BPFROUTE_STAT_NAT_NEW] = "nat_new",
		[BPFROUTE_STAT_NAT_FULL] = "nat_full",
		[BPFROUTE_STAT_NAT_NO_PORT] = "nat_no_port",
		[BPFROUTE_STAT_NAT_NO_ADDR] = "nat_no_addr",
		[BPFROUTE_STAT_NAT_UNSUPPORTED] = "nat_unsupported",
		[BPFROUTE_STAT_NAT_IN] = "nat_in",
		[BPFROUTE_STAT_NAT_IN_ICMP] = "nat_in_icmp",
		[BPFROUTE_STAT_NAT_IN_MISS] = "nat_in_miss",
		[BPFROUTE_STAT_XDP_STEERED] = "xdp_steered",
		[BPFROUTE_STAT_NAT_BAD_SOURCE] = "nat_bad_source",
		[BPFROUTE_STAT_NAT_CLIENT_CAP] = "nat_client_cap",
		[BPFROUTE_STAT_NAT_EARLY_DROP] = "nat_early_drop",
		[BPFROUTE_STAT_DNS_QUERY_TTL] = "dns_query_ttl",
		[BPFROUTE_STAT_DNS_QUERY_OFF_PATH] = "dns_query_off_path",
		[BPFROUTE_STAT_DNS_QUERY_EVICTED] = "dns_query_evicted",
		[BPFROUTE_STAT_DROP_TARGET_DOWN] = "drop_target_down",
		[BPFROUTE_STAT_PASS_TARGET_DOWN] = "pass_target_down",
		[BPFROUTE_STAT_PASS_BYPASS] = "pass_bypass",
		[BPFROUTE_STAT_DNS_BYPASS] = "dns_bypass",
		[BPFROUTE_STAT_DNS_REFUSED_BYPASS] = "dns_refused_bypass",
		[BPFROUTE_STAT_MSS_CLAMPED] = "mss_clamped",
		[BPFROUTE_STAT_TOO_BIG_ICMP] = "too_big_icmp",
		[BPFROUTE_STAT_TOO_BIG_RATELIMITED] = "too_big_ratelimited",
		[BPFROUTE_STAT_TOO_BIG_DROPPED] = "too_big_dropped",
		[BPFROUTE_STAT_TOO_BIG_NO_DF] = "too_big_no_df",
		[BPFROUTE_STAT_PASS_NOT_CLIENT] = "pass_not_client",
	};

	return stat < BPFROUTE_STAT_MAX && names[stat] ? names[stat] : "unknown";
}
