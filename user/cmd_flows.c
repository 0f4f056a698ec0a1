// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `bpfroute flows`: the masqueraded flows, one row each. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "flows.h"
#include "json.h"
#include "log.h"
#include "maps.h"
#include "pindir.h"

#define ADDR_PORT_MAX (INET6_ADDRSTRLEN + 8)	/* "[addr]:65535" */

static const char *addr_text(__u8 family, const __u8 *addr, char *buf, size_t len)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* "192.0.2.2:40000" or "[2001:db8:1::2]:40000", as ss and curl write them. */
static const char *addr_port_text(__u8 family, const __u8 *addr, __u16 port_be, char *buf)
{
	char a[INET6_ADDRSTRLEN];

	addr_text(family, addr, a, sizeof(a));
	snprintf(buf, ADDR_PORT_MAX, family == 4 ? "%s:%u" : "[%s]:%u", a, ntohs(port_be));
	return buf;
}

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static void print_flows_json(const struct flow_entry *f, size_t n, __u64 now)
{
	char a[INET6_ADDRSTRLEN], dev[IF_NAMESIZE];
	struct json j;

	json_init(&j, stdout);
	json_array_begin(&j);
	for (size_t i = 0; i < n; i++) {
		const struct bpfroute_flow_key *k = &f[i].key;

		json_object_begin(&j);
		json_kv_string(&j, "proto", flow_proto_name(k->proto));
		json_kv_u64(&j, "family", k->family);
		json_kv_string(&j, "client", addr_text(k->family, k->saddr, a, sizeof(a)));
		json_kv_u64(&j, "client_port", ntohs(k->sport));
		json_kv_string(&j, "remote", addr_text(k->family, k->daddr, a, sizeof(a)));
		json_kv_u64(&j, "remote_port", ntohs(k->dport));
		json_kv_string(&j, "translated", addr_text(k->family, f[i].out.addr, a, sizeof(a)));
		json_kv_u64(&j, "translated_port", ntohs(f[i].out.port));
		json_kv_string(&j, "dev", cmd_dev_name(f[i].out.ifindex, dev));
		json_kv_u64(&j, "ifindex", f[i].out.ifindex);
		if (f[i].has_in) {
			json_kv_string(&j, "lan_dev", cmd_dev_name(f[i].in.ifindex, dev));
		} else {
			json_key(&j, "lan_dev");
			json_null(&j);	/* reply side missing: removed half way */
		}
		json_kv_string(&j, "state", flow_state_name(flow_state(&f[i])));
		json_key(&j, "idle");
		json_s64(&j, flow_idle_s(&f[i], now));
		json_key(&j, "expires_in");
		json_s64(&j, flow_expires_in_s(&f[i], now));
		json_kv_u64(&j, "packets_out", f[i].out.packets);
		json_kv_u64(&j, "bytes_out", f[i].out.bytes);
		json_kv_u64(&j, "packets_in", f[i].in.packets);
		json_kv_u64(&j, "bytes_in", f[i].in.bytes);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_done(&j);
}

/* Columns as wide as their widest cell, so that IPv6 rows do not spill. */
static void print_flows(const struct flow_entry *f, size_t n, __u64 now)
{
	char cli[ADDR_PORT_MAX], rem[ADDR_PORT_MAX], xl[ADDR_PORT_MAX], dev[IF_NAMESIZE];
	char left[24];
	int wc = 6, wr = 6, wx = 10;	/* "CLIENT", "REMOTE", "TRANSLATED" */

	for (size_t i = 0; i < n; i++) {
		const struct bpfroute_flow_key *k = &f[i].key;
		int l;

		l = strlen(addr_port_text(k->family, k->saddr, k->sport, cli));
		wc = l > wc ? l : wc;
		l = strlen(addr_port_text(k->family, k->daddr, k->dport, rem));
		wr = l > wr ? l : wr;
		l = strlen(addr_port_text(k->family, f[i].out.addr, f[i].out.port, xl));
		wx = l > wx ? l : wx;
	}
	printf("%-6s %-*s    %-*s %-*s %-15s %-11s %6s %10s %10s %12s %10s %12s\n", "PROTO",
	       wc, "CLIENT", wr, "REMOTE", wx, "TRANSLATED", "DEV", "STATE", "IDLE",
	       "EXPIRES-IN", "PKTS-OUT", "BYTES-OUT", "PKTS-IN", "BYTES-IN");
	for (size_t i = 0; i < n; i++) {
		const struct bpfroute_flow_key *k = &f[i].key;
		long long in = flow_expires_in_s(&f[i], now);

		if (in >= 0)
			snprintf(left, sizeof(left), "%llds", in);
		else
			snprintf(left, sizeof(left), "expired");
		printf("%-6s %-*s -> %-*s %-*s %-15s %-11s %5llds %10s %10llu %12llu %10llu "
		       "%12llu\n", flow_proto_name(k->proto), wc,
		       addr_port_text(k->family, k->saddr, k->sport, cli), wr,
		       addr_port_text(k->family, k->daddr, k->dport, rem), wx,
		       addr_port_text(k->family, f[i].out.addr, f[i].out.port, xl),
		       cmd_dev_name(f[i].out.ifindex, dev), flow_state_name(flow_state(&f[i])),
		       flow_idle_s(&f[i], now), left, (unsigned long long)f[i].out.packets,
		       (unsigned long long)f[i].out.bytes, (unsigned long long)f[i].in.packets,
		       (unsigned long long)f[i].in.bytes);
	}
}

int cmd_flows(const struct cli *cli, int argc, char **argv)
{
	struct flow_entry *flows = NULL;
	struct bpfroute_maps m = {};
	bool json = cli->json;
	struct pindir pd;
	size_t n = 0;
	int err;

	err = cmd_parse_opts_only("flows", argc, argv, &json, NULL);
	if (err)
		return err;
	err = cmd_open_instance(cli, &pd, &m);
	if (err)
		return err;
	err = flows_list(&m, &flows, &n);
	if (err)
		pr_err("reading the flows: %s\n", strerror(-err));
	else if (json)
		print_flows_json(flows, n, monotonic_ns());
	else
		print_flows(flows, n, monotonic_ns());
	free(flows);
	maps_close(&m);
	pindir_close(&pd);
	return err;
}
