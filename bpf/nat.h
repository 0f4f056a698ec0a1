/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Masquerade: source NAT of steered packets to the target's own address, and
 * the way back, in the manner of conntrack's MASQUERADE but without routes,
 * rules or netfilter.
 *
 * Out, on LAN ingress (bpfroute_steer): a packet steered to a target with
 * BPFROUTE_TARGET_F_MASQ leaves with the target's global address as its
 * source, and a source port (TCP, UDP) or echo identifier (ICMP echo) that
 * no other client uses towards the same remote endpoint. A flow is recorded
 * in both directions, as its packets carry it:
 *
 *   bpfroute_nat_out {client, remote, cport, rport} -> {target address, port}
 *   bpfroute_nat_in  {remote, target address, rport, port} -> {client, cport, LAN}
 *
 * A new flow first claims its nat_in entry with BPF_NOEXIST. That insertion
 * is atomic, so two CPUs can never hand one port towards one remote endpoint
 * to two clients. The client's own port is tried first (port preservation,
 * RFC 4787 section 4.2.1), so the mapping stays endpoint-independent unless
 * that port is taken towards that remote (RFC 4787 REQ-1 asks for
 * independence: a collision makes it endpoint-dependent for that flow only).
 *
 * In, on the target's ingress (bpfroute_unnat): a TCP or UDP reply, an ICMP
 * echo reply, or an ICMP error quoting a translated packet (RFC 5508 section
 * 4.2: destination unreachable, fragmentation needed / packet too big, time
 * exceeded, parameter problem: what path MTU discovery and traceroute need)
 * is translated back and forwarded to the client with bpf_redirect_neigh(),
 * which resolves the client's MAC from the neighbour table, IPv6 too.
 * Everything else, the gateway's own traffic through the tunnel among it,
 * goes on to the stack untouched.
 *
 * Not translated, by design (counted, never leaked untranslated):
 * - IPv4 fragments and IPv6 packets with extension headers going out
 *   (NAT_UNSUPPORTED, dropped): later fragments carry no ports, and a first
 *   fragment alone is useless. Coming in, fragments are not translated and
 *   go to the stack (NAT_IN_MISS).
 * - Protocols other than TCP, UDP and ICMP echo going out, ICMP errors sent
 *   by clients among them (NAT_UNSUPPORTED, dropped).
 *
 * Not masqueraded, so that one client cannot take every port towards a
 * remote endpoint from the others (issue #10: a SYN flood with forged
 * sources did), checked only when a flow is created:
 * - a source the FIB would not route back through the LAN device it came
 *   in on (NAT_BAD_SOURCE, dropped: nat_source_ok());
 * - a client address that holds max-client-flows flows already
 *   (NAT_CLIENT_CAP, dropped: nat_client_get()).
 *
 * Flows time out like conntrack's (bpfroute_flow_dead() in
 * bpfroute_policy.h), a half-open TCP flow in 30 s; the agent removes dead
 * ones, and a new flow that wants a dead one's port removes it itself
 * (nat_reclaim()). The datapath keeps using a flow until then and only
 * refreshes last_seen_ns, at most once a second.
 */
#ifndef BPFROUTE_NAT_H
#define BPFROUTE_NAT_H

#include "bpfroute_abi.h"
#include "bpfroute_policy.h"
#include "maps.h"
#include "parsing.h"
#include "forward.h"
#include "stats.h"
#include "nat_csum.h"
#include "next_hop.h"	/* AF_INET_, AF_INET6_ */
#include "route_back.h"
#include "mtu.h"


#define NAT_TCP		BPFROUTE_IPPROTO_TCP
#define NAT_UDP		BPFROUTE_IPPROTO_UDP
#define NAT_ICMP	BPFROUTE_IPPROTO_ICMP
#define NAT_ICMPV6	BPFROUTE_IPPROTO_ICMPV6

/* ICMP types (RFC 792) and ICMPv6 types (RFC 4443). */
#define NAT_ICMP_ECHOREPLY	0
#define NAT_ICMP_DEST_UNREACH	3	/* code 4: fragmentation needed */
#define NAT_ICMP_ECHO		8
#define NAT_ICMP_TIME_EXCEEDED	11
#define NAT_ICMP_PARAMETERPROB	12
#define NAT_ICMP6_DEST_UNREACH	1
#define NAT_ICMP6_PKT_TOOBIG	2
#define NAT_ICMP6_TIME_EXCEED	3
#define NAT_ICMP6_PARAMPROB	4
#define NAT_ICMP6_ECHO_REQUEST	128
#define NAT_ICMP6_ECHO_REPLY	129

#define NAT_TCP_FIN	0x01
#define NAT_TCP_SYN	0x02
#define NAT_TCP_RST	0x04
#define NAT_TCP_ACK	0x10

/* Ports tried after the client's own: Linux's default ip_local_port_range. */
#define NAT_PORT_MIN	32768
#define NAT_PORT_MAX	60999
#define NAT_PORT_TRIES	8

#define NAT_L3_MAX	60	/* an IPv4 header with options; IPv6's is 40 */
#define NAT_L4_MAX	20	/* the most of an L4 header read: TCP's fixed part */
#define NAT_ICMP_HLEN	8	/* ICMP header before a quoted packet */
#define NAT_IP6_HLEN	40

/*
 * skb->data and skb->data_end, loaded so that clang cannot turn the context
 * offsets into arithmetic on the context pointer, which the verifier refuses
 * ("dereference of modified ctx ptr") when it reuses them across branches.
 */
#define NAT_CTX_LOAD(skb, field)                                                    \
	({                                                                          \
		void *v_;                                                           \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                               \
			     : "=r"(v_)                                             \
			     : "r"(skb), "i"(__builtin_offsetof(struct __sk_buff, field))); \
		v_;                                                                 \
	})
#define nat_data(skb)		NAT_CTX_LOAD(skb, data)
#define nat_data_end(skb)	NAT_CTX_LOAD(skb, data_end)

static __always_inline int nat_refuse(__u32 stat)
{
	count(stat, 1);
	return -1;
}

static __always_inline int nat_pass(__u32 stat)
{
	count(stat, 1);
	return TC_ACT_OK;
}

/* clang does not inline memcmp for BPF. */
static __always_inline bool nat_addr_eq(const __u8 *a, const __u8 *b)
{
	__u8 diff = 0;

	for (int i = 0; i < 16; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

/*
 * Headers split off the linear data (paged skbs, header split): pull up to
 * want bytes so that direct access reaches them. Linear packets pay one
 * comparison. Packet pointers are invalid after this.
 */
static __always_inline void nat_pull(struct __sk_buff *skb, __u32 want)
{
	void *data = nat_data(skb), *end = nat_data_end(skb);

	if (data + want <= end || skb->len <= end - data)
		return;
	bpf_skb_pull_data(skb, skb->len < want ? skb->len : want);
}

/* Where a TCP, UDP or ICMP echo header keeps what is translated. */
struct nat_l4 {
	__u32 port;	/* offset of the port (or the echo identifier) */
	__u32 csum;	/* offset of the checksum */
};

/* dst: the destination port (replies) rather than the source port. */
static __always_inline void nat_l4_layout(__u8 proto, bool dst, struct nat_l4 *l)
{
	if (proto == NAT_TCP) {
		l->port = dst ? 2 : 0;
		l->csum = 16;
	} else if (proto == NAT_UDP) {
		l->port = dst ? 2 : 0;
		l->csum = 6;
	} else {		/* ICMP echo: the identifier plays both ports */
		l->port = 4;
		l->csum = 2;
	}
}

/*
 * Rewrite one IPv4 address of the header at ETH_HLEN (the source going out,
 * dst: the destination coming back) and the port or echo identifier of the
 * L4 header at l4 (from skb->data), with every checksum covering them. With
 * ttl, also decrement the TTL (going out the classifier already did).
 * Returns 0, or -1 when a header is out of reach (the caller drops).
 */
static __always_inline int nat_rewrite4(struct __sk_buff *skb, __u8 proto, __u32 l4, bool dst,
					const __u8 *addr, __u16 port, bool ttl)
{
	void *data = nat_data(skb), *end = nat_data_end(skb);
	struct iphdr *iph = data + ETH_HLEN;
	__u64 flags = proto == NAT_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	struct nat_l4 l;
	__u16 *pp, *cp, pfrom;
	__be32 from, to;

	nat_l4_layout(proto, dst, &l);
	if (l4 > ETH_HLEN + NAT_L3_MAX)
		return -1;
	pp = data + l4 + l.port;
	cp = data + l4 + l.csum;
	if ((void *)(iph + 1) > end || (void *)(pp + 1) > end || (void *)(cp + 1) > end)
		return -1;

	__builtin_memcpy(&to, addr, 4);
	if (dst) {
		from = iph->daddr;
		iph->daddr = to;
	} else {
		from = iph->saddr;
		iph->saddr = to;
	}
	csum_replace4(&iph->check, from, to);
	if (ttl)
		ipv4_decrease_ttl(iph);
	pfrom = *pp;
	*pp = port;
	if (proto == NAT_ICMP) {
		/* No pseudo-header in ICMPv4 (RFC 792): only the identifier counts. */
		*cp = csum_apply(*cp, csum_diff16(0, pfrom, port));
		return 0;
	}
	/* TCP, UDP: helpers from here on, packet pointers are invalid. */
	if (from != to &&
	    bpf_l4_csum_replace(skb, l4 + l.csum, from, to, flags | BPF_F_PSEUDO_HDR | 4))
		return -1;
	if (pfrom != port && bpf_l4_csum_replace(skb, l4 + l.csum, pfrom, port, flags | 2))
		return -1;
	return 0;
}

/* The same for IPv6, with a fixed header (no extension headers). */
static __always_inline int nat_rewrite6(struct __sk_buff *skb, __u8 proto, bool dst,
					const __u8 *addr, __u16 port, bool ttl)
{
	void *data = nat_data(skb), *end = nat_data_end(skb);
	struct ipv6hdr *ip6h = data + ETH_HLEN;
	__u64 flags = proto == NAT_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__u32 l4 = ETH_HLEN + NAT_IP6_HLEN, diff;
	struct nat_l4 l;
	__u16 *pp, *cp, pfrom;
	__u8 *a;

	nat_l4_layout(proto, dst, &l);
	pp = data + l4 + l.port;
	cp = data + l4 + l.csum;
	if ((void *)(ip6h + 1) > end || (void *)(pp + 1) > end || (void *)(cp + 1) > end)
		return -1;

	a = dst ? (__u8 *)&ip6h->daddr : (__u8 *)&ip6h->saddr;
	diff = csum_diff_bytes(0, a, addr, 16);
	__builtin_memcpy(a, addr, 16);
	if (ttl)
		ip6h->hop_limit--;	/* no header checksum in IPv6 */
	pfrom = *pp;
	*pp = port;
	if (proto == NAT_ICMPV6) {
		/* ICMPv6 sums a pseudo-header too (RFC 4443 section 2.3). */
		*cp = csum_apply(*cp, csum_diff16(diff, pfrom, port));
		return 0;
	}
	if (l4_csum_pseudo6(skb, l4 + l.csum, csum_fold(diff), flags))
		return -1;
	if (pfrom != port && bpf_l4_csum_replace(skb, l4 + l.csum, pfrom, port, flags | 2))
		return -1;
	return 0;
}

/* ---------------------------------------------------------------------------
 * Flows
 */

/*
 * The state a client's packet puts its flow in, as conntrack reads TCP flags
 * coarsely. A SYN (re)opens a TCP flow, half-open; a FIN or RST closes it;
 * an ACK establishes it only once the remote has answered
 * (BPFROUTE_NAT_F_REPLIED on the reply side). The remote's SYN-ACK alone
 * never does: it proves nothing about the client, whose source may be
 * forged, and a SYN flood would otherwise hold a port per SYN for the
 * established timeout (conntrack, too, waits for the ACK: SYN_RECV until
 * then). Only a half-open flow's ACK looks at the reply side: one lookup,
 * once per connection.
 */
static __always_inline __u8 nat_state_out(const struct bpfroute_flow_key *key,
					  const struct bpfroute_nat *out, __u8 tcp_flags)
{
	struct bpfroute_flow_key ikey;
	struct bpfroute_nat *in;
	__u8 cur = out->state;

	if (key->proto != NAT_TCP)
		return cur;
	if (tcp_flags & (NAT_TCP_FIN | NAT_TCP_RST))
		return BPFROUTE_FLOW_CLOSING;
	if (tcp_flags & NAT_TCP_SYN) {
		if (cur == BPFROUTE_FLOW_NEW)	/* a retransmission */
			return cur;
		/* A new connection on this tuple: the old one's answer does not count. */
		bpfroute_flow_reply_key(key, out->addr, out->port, &ikey);
		in = bpf_map_lookup_elem(&BPFROUTE_MAP_NAT_IN, &ikey);
		if (in && in->flags)
			in->flags = 0;
		return BPFROUTE_FLOW_NEW;
	}
	if (cur != BPFROUTE_FLOW_NEW || !(tcp_flags & NAT_TCP_ACK))
		return cur;
	bpfroute_flow_reply_key(key, out->addr, out->port, &ikey);
	in = bpf_map_lookup_elem(&BPFROUTE_MAP_NAT_IN, &ikey);
	return in && (in->flags & BPFROUTE_NAT_F_REPLIED) ? BPFROUTE_FLOW_ESTABLISHED : cur;
}

/*
 * The state a reply puts its flow in: any reply establishes UDP and ICMP
 * echo. TCP: a FIN or RST closes; a SYN-ACK answers a (new) connection,
 * which stays half-open until the client's ACK (nat_state_out()).
 */
static __always_inline __u8 nat_state_in(__u8 proto, __u8 tcp_flags, __u8 cur)
{
	if (proto != NAT_TCP)
		return BPFROUTE_FLOW_ESTABLISHED;
	if (tcp_flags & (NAT_TCP_FIN | NAT_TCP_RST))
		return BPFROUTE_FLOW_CLOSING;
	if (tcp_flags & NAT_TCP_SYN)
		return BPFROUTE_FLOW_NEW;
	return cur;
}

/*
 * The flags a reply sets on its side: a TCP segment other than a RST says
 * the remote took the connection (a SYN-ACK; any segment of a flow picked
 * up mid-stream, after the agent removed an idle one).
 */
static __always_inline __u8 nat_flags_in(__u8 proto, __u8 tcp_flags)
{
	return proto == NAT_TCP && !(tcp_flags & NAT_TCP_RST) ? BPFROUTE_NAT_F_REPLIED : 0;
}

/*
 * Count a packet on one direction of a flow. The entry is shared by every
 * CPU: atomic adds, and last_seen_ns and state written only when they change
 * (last_seen_ns at most once a second) so that a busy flow does not bounce
 * its cache line more than it must.
 */
static __always_inline void nat_touch(struct bpfroute_nat *e, __u64 len, __u64 now, __u8 state,
				      __u8 flags)
{
	__sync_fetch_and_add(&e->packets, 1);
	__sync_fetch_and_add(&e->bytes, len);
	if (now - e->last_seen_ns > BPFROUTE_NSEC_PER_SEC)
		e->last_seen_ns = now;
	if (e->state != state)
		e->state = state;
	if ((e->flags & flags) != flags)
		e->flags |= flags;
}

/* The address a target masquerades with, in 16 bytes; false: none of the family. */
static __always_inline bool nat_target_addr(const struct bpfroute_target *tg, __u8 family,
					    __u8 *addr)
{
	__u8 any = 0;

	__builtin_memset(addr, 0, 16);
	if (family == 4)
		__builtin_memcpy(addr, tg->addr4, 4);
	else
		__builtin_memcpy(addr, tg->addr6, 16);
	for (int i = 0; i < 16; i++)
		any |= addr[i];
	return any;
}

/* ---------------------------------------------------------------------------
 * Flows per client (bpfroute_natcli, max-client-flows)
 */

static __always_inline const struct bpfroute_conf *nat_conf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&BPFROUTE_MAP_CONF, &zero);
}

/* The client's two counters; false never happens with an array, but say so. */
static __always_inline bool nat_client_counters(const struct bpfroute_conf *conf, __u8 family,
						const __u8 *addr, __u64 **c0, __u64 **c1)
{
	__u32 i0 = bpfroute_client_slot(conf, family, addr, 0);
	__u32 i1 = bpfroute_client_slot(conf, family, addr, 1);

	*c0 = bpf_map_lookup_elem(&BPFROUTE_MAP_NAT_CLIENTS, &i0);
	*c1 = bpf_map_lookup_elem(&BPFROUTE_MAP_NAT_CLIENTS, &i1);
	return *c0 && *c1;
}

/* A flow of the client at addr is gone (its nat_out entry deleted by us). */
static __always_inline void nat_client_put(const struct bpfroute_conf *conf, __u8 family,
					   const __u8 *addr)
{
	__u64 *c0, *c1;

	if (!nat_client_counters(conf, family, addr, &c0, &c1))
		return;
	__sync_fetch_and_add(c0, -1);
	__sync_fetch_and_add(c1, -1);
}

/*
 * Count a flow for the client at addr, unless it holds max-client-flows
 * already. Counting first and looking at what was there before makes the
 * cap exact when CPUs race. Read as signed, so that a count that ever went
 * below zero would let its clients have more flows, never fewer.
 */
static __always_inline bool nat_client_get(const struct bpfroute_conf *conf, __u8 family,
					   const __u8 *addr)
{
	__s64 max = bpfroute_client_flows_max(conf), n0, n1;
	__u64 *c0, *c1;

	if (!nat_client_counters(conf, family, addr, &c0, &c1))
		return true;
	n0 = (__s64)__sync_fetch_and_add(c0, 1);
	n1 = (__s64)__sync_fetch_and_add(c1, 1);
	if ((n0 < n1 ? n0 : n1) < max)
		return true;
	__sync_fetch_and_add(c0, -1);
	__sync_fetch_and_add(c1, -1);
	return false;
}

/* Remove both directions of a flow. */
static __always_inline void nat_flow_forget(const struct bpfroute_conf *conf,
					    const struct bpfroute_flow_key *key,
					    const struct bpfroute_nat *out)
{
	struct bpfroute_flow_key ikey;

	bpfroute_flow_reply_key(key, out->addr, out->port, &ikey);	/* before out is freed */
	bpf_map_delete_elem(&BPFROUTE_MAP_NAT_IN, &ikey);
	if (!bpf_map_delete_elem(&BPFROUTE_MAP_NAT_OUT, key))
		nat_client_put(conf, key->family, key->saddr);
}

/*
 * The flow that holds the reply key ikey (a port towards a remote
 * endpoint), removed if it is dead (bpfroute_flow_dead()), so that a new
 * flow takes its port now rather than after the agent's next sweep: after
 * a SYN flood, half-open flows give their ports back as soon as they time
 * out. Whoever deletes the nat_out entry counts the client down; a CPU that
 * loses that race leaves the rest to the winner. With early, a flow never
 * established gives way too (bpfroute_flow_unconfirmed()): the last port a
 * new flow tries. Returns true if the port may be free now.
 */
static __always_inline bool nat_reclaim(const struct bpfroute_conf *conf,
					const struct bpfroute_flow_key *ikey, __u64 now,
					bool early)
{
	struct bpfroute_nat *in, *out;
	struct bpfroute_flow_key okey;

	in = bpf_map_lookup_elem(&BPFROUTE_MAP_NAT_IN, ikey);
	if (!in)
		return true;
	bpfroute_flow_request_key(ikey, in->addr, in->port, &okey);
	out = bpf_map_lookup_elem(&BPFROUTE_MAP_NAT_OUT, &okey);
	/* The client's tuple translated elsewhere now: not this port's flow. */
	if (out && (out->port != ikey->dport || !nat_addr_eq(out->addr, ikey->daddr)))
		out = NULL;
	/* Without its other half, the reply side alone decides. */
	if (!bpfroute_flow_dead(out ? out : in, in, ikey->proto, now)) {
		if (!early || !bpfroute_flow_unconfirmed(out ? out : in, in, ikey->proto, now))
			return false;
		count(BPFROUTE_STAT_NAT_EARLY_DROP, 1);
	}
	if (out) {
		if (bpf_map_delete_elem(&BPFROUTE_MAP_NAT_OUT, &okey))
			return false;
		nat_client_put(conf, okey.family, okey.saddr);
	}
	bpf_map_delete_elem(&BPFROUTE_MAP_NAT_IN, ikey);
	return true;
}

/*
 * Whether the source of a new flow may be masqueraded (route_back.h): the
 * route back to it, as a packet from the remote forwarded through this
 * gateway would take, leaves through the LAN device the packet came in on.
 * Strict reverse-path filtering for new flows only: the LAN's own subnets
 * pass, and so do networks routed behind a LAN router; a forged source from
 * elsewhere, the gateway's own addresses (local, not forwarded) and
 * unroutable ones do not. bpf_fib_lookup() answers only where forwarding is
 * on for the LAN device (BPF_FIB_LKUP_RET_FWD_DISABLED).
 */
static __always_inline bool nat_source_ok(struct __sk_buff *skb,
					  const struct bpfroute_flow_key *key)
{
	__u32 oif = 0;
	long rc;

	rc = route_back(skb, key->family, key->proto, key->daddr, key->saddr, skb->ifindex, 0,
			&oif);
	return route_back_by(rc, oif, skb->ifindex);
}

/*
 * Create the flow of key, translated to addr: check its source, count it
 * for its client, claim a port by inserting the reverse entry (BPF_NOEXIST,
 * atomic; a dead flow on the port is reclaimed first), then the forward
 * entry. Returns 0 (the flow exists now: ours, or another CPU's that raced
 * us to it), or the counter of the refusal. The checks cost a FIB lookup
 * and two atomic adds once per flow; packets of existing flows pay none.
 */
static __always_inline __u32 nat_flow_new(struct __sk_buff *skb,
					  const struct bpfroute_flow_key *key, const __u8 *addr,
					  __u32 ifindex, __u64 now)
{
	struct bpfroute_nat in = {
		.port = key->sport,
		.state = BPFROUTE_FLOW_NEW,
		.ifindex = skb->ifindex,	/* the LAN device it came in on */
		.last_seen_ns = now,
	};
	struct bpfroute_nat out = {
		.state = BPFROUTE_FLOW_NEW,
		.ifindex = ifindex,
		.last_seen_ns = now,
	};
	const struct bpfroute_conf *conf = nat_conf();
	struct bpfroute_flow_key ikey;
	__u16 port = key->sport;
	long err = -EEXIST;

	if (!nat_source_ok(skb, key))
		return BPFROUTE_STAT_NAT_BAD_SOURCE;
	if (!nat_client_get(conf, key->family, key->saddr))
		return BPFROUTE_STAT_NAT_CLIENT_CAP;

	__builtin_memcpy(in.addr, key->saddr, sizeof(in.addr));
	for (int i = 0; i <= NAT_PORT_TRIES; i++) {
		if (i)
			port = bpf_htons(NAT_PORT_MIN + bpf_get_prandom_u32() %
					 (NAT_PORT_MAX - NAT_PORT_MIN + 1));
		bpfroute_flow_reply_key(key, addr, port, &ikey);
		err = bpf_map_update_elem(&BPFROUTE_MAP_NAT_IN, &ikey, &in, BPF_NOEXIST);
		if (err == -EEXIST && nat_reclaim(conf, &ikey, now, i == NAT_PORT_TRIES))
			err = bpf_map_update_elem(&BPFROUTE_MAP_NAT_IN, &ikey, &in, BPF_NOEXIST);
		if (err != -EEXIST)
			break;
	}
	if (err) {
		nat_client_put(conf, key->family, key->saddr);
		/* -E2BIG: full; never evict a live flow */
		return err == -EEXIST ? BPFROUTE_STAT_NAT_NO_PORT : BPFROUTE_STAT_NAT_FULL;
	}

	__builtin_memcpy(out.addr, addr, sizeof(out.addr));
	out.port = port;
	err = bpf_map_update_elem(&BPFROUTE_MAP_NAT_OUT, key, &out, BPF_NOEXIST);
	if (err) {
		bpf_map_delete_elem(&BPFROUTE_MAP_NAT_IN, &ikey);
		nat_client_put(conf, key->family, key->saddr);
		/* -EEXIST: another CPU created the same flow first; use theirs. */
		return err == -EEXIST ? 0 : BPFROUTE_STAT_NAT_FULL;
	}
	count(BPFROUTE_STAT_NAT_NEW, 1);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Out: LAN ingress
 */

/* What an outbound packet carries of its flow. */
struct nat_out_pkt {
	struct bpfroute_flow_key key;	/* as the client sent it */
	__u32 l4;			/* offset of the L4 header from skb->data */
	__u8 tcp_flags;
};

/* The flow of a TCP, UDP or ICMP echo request packet; -1: not translatable. */
static __always_inline int nat_out_parse(struct __sk_buff *skb, __u8 family, struct nat_out_pkt *p)
{
	void *data = nat_data(skb), *end = nat_data_end(skb);
	__u8 icmp = NAT_ICMP, echo = NAT_ICMP_ECHO;
	__u32 l4off;
	__u8 *l4;

	p->key.family = family;
	if (family == 4) {
		struct iphdr *iph = data + ETH_HLEN;

		if ((void *)(iph + 1) > end)
			return -1;
		if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return -1;
		p->key.proto = iph->protocol;
		__builtin_memcpy(p->key.saddr, &iph->saddr, 4);
		__builtin_memcpy(p->key.daddr, &iph->daddr, 4);
		l4off = ETH_HLEN + iph->ihl * 4;
	} else {
		struct ipv6hdr *ip6h = data + ETH_HLEN;

		if ((void *)(ip6h + 1) > end)
			return -1;
		/* Extension headers, a Fragment header among them, are not walked. */
		p->key.proto = ip6h->nexthdr;
		__builtin_memcpy(p->key.saddr, &ip6h->saddr, 16);
		__builtin_memcpy(p->key.daddr, &ip6h->daddr, 16);
		l4off = ETH_HLEN + NAT_IP6_HLEN;
		icmp = NAT_ICMPV6;
		echo = NAT_ICMP6_ECHO_REQUEST;
	}
	if (l4off > ETH_HLEN + NAT_L3_MAX)
		return -1;
	p->l4 = l4off;

	nat_pull(skb, l4off + NAT_L4_MAX);
	data = nat_data(skb);
	end = nat_data_end(skb);
	l4 = data + l4off;
	if (p->key.proto == NAT_TCP) {
		if ((void *)(l4 + 20) > end)
			return -1;
		p->key.sport = *(__u16 *)l4;
		p->key.dport = *(__u16 *)(l4 + 2);
		p->tcp_flags = l4[13];
	} else if (p->key.proto == NAT_UDP) {
		if ((void *)(l4 + 8) > end)
			return -1;
		p->key.sport = *(__u16 *)l4;
		p->key.dport = *(__u16 *)(l4 + 2);
	} else if (p->key.proto == icmp) {
		if ((void *)(l4 + NAT_ICMP_HLEN) > end || l4[0] != echo)
			return -1;
		p->key.sport = *(__u16 *)(l4 + 4);
		p->key.dport = p->key.sport;
	} else {
		return -1;
	}
	return 0;
}

/* nat_masquerade(): a draining target, and no flow of its own: send as it is. */
#define NAT_PASS	1

/*
 * Masquerade a packet steered to the masqueraded target tg (ifindex): called
 * after every check of the classifier passed and the TTL was decremented.
 * Returns 0 when the packet may leave, translated; otherwise it has counted
 * why, and the caller drops the packet: an untranslated packet must never
 * enter the tunnel. A draining target (BPFROUTE_TARGET_F_DRAIN) translates
 * only the flows it already has; anything else is NAT_PASS.
 */
static __always_inline int nat_masquerade(struct __sk_buff *skb, const struct bpfroute_target *tg,
					  __u32 ifindex, __u8 family)
{
	bool create = tg->flags & BPFROUTE_TARGET_F_MASQ;
	struct nat_out_pkt p = {};
	struct bpfroute_nat *out;
	__u8 addr[16], state;
	__u32 stat;
	__u64 now;
	__u16 port;

	if (nat_out_parse(skb, family, &p))
		return create ? nat_refuse(BPFROUTE_STAT_NAT_UNSUPPORTED) : NAT_PASS;
	if (!nat_target_addr(tg, family, addr))
		return create ? nat_refuse(BPFROUTE_STAT_NAT_NO_ADDR) : NAT_PASS;

	now = bpf_ktime_get_coarse_ns();
	out = bpf_map_lookup_elem(&BPFROUTE_MAP_NAT_OUT, &p.key);
	/*
	 * A flow made for another target or address (the route moved, the
	 * device got a new address) would send on with a source that no
	 * longer comes back: start it afresh.
	 */
	if (out && (out->ifindex != ifindex || !nat_addr_eq(out->addr, addr))) {
		nat_flow_forget(nat_conf(), &p.key, out);
		out = NULL;
	}
	if (!out && !create)
		return NAT_PASS;
	if (!out) {
		stat = nat_flow_new(skb, &p.key, addr, ifindex, now);
		if (stat)
			return nat_refuse(stat);
		out = bpf_map_lookup_elem(&BPFROUTE_MAP_NAT_OUT, &p.key);
		if (!out)	/* removed again in between: rare, and retried next packet */
			return nat_refuse(BPFROUTE_STAT_NAT_FULL);
	}
	port = out->port;
	state = nat_state_out(&p.key, out, p.tcp_flags);
	nat_touch(out, skb->len, now, state,
		  state == BPFROUTE_FLOW_ESTABLISHED ? BPFROUTE_NAT_F_ESTABLISHED : 0);

	if (family == 4 ? nat_rewrite4(skb, p.key.proto, p.l4, false, addr, port, false) :
			  nat_rewrite6(skb, p.key.proto, false, addr, port, false))
		return nat_refuse(BPFROUTE_STAT_NAT_UNSUPPORTED);
	return 0;
}

/* ---------------------------------------------------------------------------
 * In: target ingress
 */

enum nat_in_kind {
	NAT_IN_REPLY = 1,	/* TCP, UDP, echo reply: addressed to the target */
	NAT_IN_ERROR,		/* ICMP error quoting a translated packet */
};

/* What an inbound packet carries of its flow; offsets from the L3 header. */
struct nat_in_pkt {
	struct bpfroute_flow_key key;	/* nat_in key: the reply's tuple */
	__u32 l4;		/* the L4 (or ICMP) header */
	__u32 inner_l4;		/* ICMP error: the quoted L4 header */
	__u8 kind;		/* enum nat_in_kind */
	__u8 ttl;		/* the TTL or hop limit it came with */
	__u8 tcp_flags;
	__u8 valid;		/* the L3 header passes the stack's checks */
};

/*
 * Whether skb->data is the network header, as on an L3 device (WireGuard,
 * TUN): there tc ingress sees the IP header first (mac_len 0), where an
 * Ethernet device shows the MAC header. __sk_buff has no mac_len, but
 * bpf_skb_load_bytes_relative(BPF_HDR_START_NET) reads from the network
 * header and fails past the end of the linear data: the last linear byte
 * counted from the network header is readable only if the network header
 * is at skb->data.
 */
static __always_inline bool nat_data_is_l3(struct __sk_buff *skb)
{
	void *data = nat_data(skb), *end = nat_data_end(skb);
	__u32 linear = end - data;
	__u8 b;

	if (linear == 0 || linear > 0x10000)	/* the helper's offsets stop at 0xffff */
		return false;
	return bpf_skb_load_bytes_relative(skb, linear - 1, &b, 1, BPF_HDR_START_NET) == 0;
}

/* An ICMP error about a translated TCP, UDP or echo request: its flow. */
static __always_inline int nat_in_error4(struct __sk_buff *skb, const __u32 l3off,
					 struct nat_in_pkt *p)
{
	void *data, *end;
	struct iphdr *iph, *inner;
	__u32 hlen, ihlen;
	__u8 *il4;

	nat_pull(skb, l3off + NAT_L3_MAX + NAT_ICMP_HLEN + NAT_L3_MAX + NAT_L4_MAX);
	data = nat_data(skb);
	end = nat_data_end(skb);
	iph = data + l3off;
	if ((void *)(iph + 1) > end)
		return BPFROUTE_STAT_NAT_IN_MISS;
	hlen = iph->ihl * 4;
	inner = (void *)iph + hlen + NAT_ICMP_HLEN;
	if ((void *)(inner + 1) > end || inner->version != 4 || inner->ihl < 5 ||
	    (inner->frag_off & bpf_htons(IP_OFFSET)))
		return BPFROUTE_STAT_NAT_IN_MISS;
	/* The error goes to whoever sent the quoted packet: our address. */
	if (inner->saddr != iph->daddr)
		return BPFROUTE_STAT_NAT_IN_MISS;
	ihlen = inner->ihl * 4;
	il4 = (void *)inner + ihlen;
	if ((void *)(il4 + 8) > end)	/* RFC 792: at least 8 bytes of the quoted datagram */
		return BPFROUTE_STAT_NAT_IN_MISS;

	p->key.proto = inner->protocol;
	if (inner->protocol == NAT_TCP || inner->protocol == NAT_UDP) {
		p->key.sport = *(__u16 *)(il4 + 2);
		p->key.dport = *(__u16 *)il4;
	} else if (inner->protocol == NAT_ICMP && il4[0] == NAT_ICMP_ECHO) {
		p->key.sport = *(__u16 *)(il4 + 4);
		p->key.dport = p->key.sport;
	} else {
		return BPFROUTE_STAT_NAT_IN_MISS;
	}
	__builtin_memcpy(p->key.saddr, &inner->daddr, 4);
	__builtin_memcpy(p->key.daddr, &inner->saddr, 4);
	p->kind = NAT_IN_ERROR;
	p->inner_l4 = hlen + NAT_ICMP_HLEN + ihlen;
	p->valid = ipv4_header_valid_at(skb, iph, end, l3off);
	return 0;
}

static __always_inline int nat_in_parse4(struct __sk_buff *skb, const __u32 l3off,
					 struct nat_in_pkt *p)
{
	void *data = nat_data(skb), *end = nat_data_end(skb);
	struct iphdr *iph = data + l3off;
	__u8 *l4;

	if ((void *)(iph + 1) > end || iph->version != 4 || iph->ihl < 5)
		return BPFROUTE_STAT_NAT_IN_MISS;
	/* Fragments go to the stack, which reassembles them. */
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return BPFROUTE_STAT_NAT_IN_MISS;
	p->key.family = 4;
	p->ttl = iph->ttl;
	p->l4 = iph->ihl * 4;
	l4 = (void *)iph + p->l4;
	if ((void *)(l4 + NAT_ICMP_HLEN) > end)
		return BPFROUTE_STAT_NAT_IN_MISS;

	p->key.proto = iph->protocol;
	if (iph->protocol == NAT_TCP || iph->protocol == NAT_UDP) {
		if (iph->protocol == NAT_TCP) {
			if ((void *)(l4 + 20) > end)
				return BPFROUTE_STAT_NAT_IN_MISS;
			p->tcp_flags = l4[13];
		}
		p->key.sport = *(__u16 *)l4;
		p->key.dport = *(__u16 *)(l4 + 2);
	} else if (iph->protocol == NAT_ICMP) {
		__u8 type = l4[0];

		if (type == NAT_ICMP_DEST_UNREACH || type == NAT_ICMP_TIME_EXCEEDED ||
		    type == NAT_ICMP_PARAMETERPROB)
			return nat_in_error4(skb, l3off, p);
		if (type != NAT_ICMP_ECHOREPLY)
			return BPFROUTE_STAT_NAT_IN_MISS;
		p->key.sport = *(__u16 *)(l4 + 4);
		p->key.dport = p->key.sport;
	} else {
		return BPFROUTE_STAT_NAT_IN_MISS;
	}
	__builtin_memcpy(p->key.saddr, &iph->saddr, 4);
	__builtin_memcpy(p->key.daddr, &iph->daddr, 4);
	p->kind = NAT_IN_REPLY;
	p->valid = ipv4_header_valid_at(skb, iph, end, l3off);
	return 0;
}

static __always_inline int nat_in_error6(struct __sk_buff *skb, const __u32 l3off,
					 struct nat_in_pkt *p)
{
	void *data, *end;
	struct ipv6hdr *ip6h, *inner;
	__u8 *il4;

	nat_pull(skb, l3off + 2 * NAT_IP6_HLEN + NAT_ICMP_HLEN + NAT_L4_MAX);
	data = nat_data(skb);
	end = nat_data_end(skb);
	ip6h = data + l3off;
	inner = data + l3off + NAT_IP6_HLEN + NAT_ICMP_HLEN;
	il4 = (void *)(inner + 1);
	if ((void *)(ip6h + 1) > end || (void *)(il4 + 8) > end || inner->version != 6)
		return BPFROUTE_STAT_NAT_IN_MISS;
	if (!nat_addr_eq((__u8 *)&inner->saddr, (__u8 *)&ip6h->daddr))
		return BPFROUTE_STAT_NAT_IN_MISS;

	p->key.proto = inner->nexthdr;
	if (inner->nexthdr == NAT_TCP || inner->nexthdr == NAT_UDP) {
		p->key.sport = *(__u16 *)(il4 + 2);
		p->key.dport = *(__u16 *)il4;
	} else if (inner->nexthdr == NAT_ICMPV6 && il4[0] == NAT_ICMP6_ECHO_REQUEST) {
		p->key.sport = *(__u16 *)(il4 + 4);
		p->key.dport = p->key.sport;
	} else {
		return BPFROUTE_STAT_NAT_IN_MISS;	/* extension headers: not walked */
	}
	__builtin_memcpy(p->key.saddr, &inner->daddr, 16);
	__builtin_memcpy(p->key.daddr, &inner->saddr, 16);
	p->kind = NAT_IN_ERROR;
	p->inner_l4 = 2 * NAT_IP6_HLEN + NAT_ICMP_HLEN;
	p->valid = ipv6_header_valid_at(skb, ip6h, l3off);
	return 0;
}

static __always_inline int nat_in_parse6(struct __sk_buff *skb, const __u32 l3off,
					 struct nat_in_pkt *p)
{
	void *data = nat_data(skb), *end = nat_data_end(skb);
	struct ipv6hdr *ip6h = data + l3off;
	__u8 *l4 = (void *)(ip6h + 1);

	if ((void *)(l4 + NAT_ICMP_HLEN) > end || ip6h->version != 6)
		return BPFROUTE_STAT_NAT_IN_MISS;
	p->key.family = 6;
	p->ttl = ip6h->hop_limit;
	p->l4 = NAT_IP6_HLEN;

	p->key.proto = ip6h->nexthdr;
	if (ip6h->nexthdr == NAT_TCP || ip6h->nexthdr == NAT_UDP) {
		if (ip6h->nexthdr == NAT_TCP) {
			if ((void *)(l4 + 20) > end)
				return BPFROUTE_STAT_NAT_IN_MISS;
			p->tcp_flags = l4[13];
		}
		p->key.sport = *(__u16 *)l4;
		p->key.dport = *(__u16 *)(l4 + 2);
	} else if (ip6h->nexthdr == NAT_ICMPV6) {
		__u8 type = l4[0];

		if (type >= NAT_ICMP6_DEST_UNREACH && type <= NAT_ICMP6_PARAMPROB)
			return nat_in_error6(skb, l3off, p);
		if (type != NAT_ICMP6_ECHO_REPLY)
			return BPFROUTE_STAT_NAT_IN_MISS;
		p->key.sport = *(__u16 *)(l4 + 4);
		p->key.dport = p->key.sport;
	} else {
		return BPFROUTE_STAT_NAT_IN_MISS;	/* extension headers: not walked */
	}
	__builtin_memcpy(p->key.saddr, &ip6h->saddr, 16);
	__builtin_memcpy(p->key.daddr, &ip6h->daddr, 16);
	p->kind = NAT_IN_REPLY;
	p->valid = ipv6_header_valid_at(skb, ip6h, l3off);
	return 0;
}

/*
 * Parse an inbound packet whose L3 header is at l3off (a constant: 0 on an
 * L3 device, ETH_HLEN on Ethernet). Returns 0, or the counter of a packet
 * that is not a translated flow's.
 */
static __always_inline int nat_in_parse(struct __sk_buff *skb, const __u32 l3off,
					struct nat_in_pkt *p)
{
	void *data, *end;

	nat_pull(skb, l3off + NAT_L3_MAX + NAT_L4_MAX);
	data = nat_data(skb);
	end = nat_data_end(skb);
	if (l3off) {
		struct ethhdr *eth = data;

		if ((void *)(eth + 1) > end)
			return BPFROUTE_STAT_NAT_IN_MISS;
		/* VLAN-tagged, or for another host: not ours, as on the LAN. */
		if (eth->h_proto != skb->protocol || skb->pkt_type != PACKET_HOST)
			return BPFROUTE_STAT_NAT_IN_MISS;
	}
	if (skb->protocol == bpf_htons(ETH_P_IP))
		return nat_in_parse4(skb, l3off, p);
	return nat_in_parse6(skb, l3off, p);
}

/*
 * Translate an ICMPv4 error back (RFC 5508 section 4.2): the outer
 * destination, the quoted source address and port (or echo identifier) with
 * the quoted header's checksum and the quoted L4 checksum (if the quote
 * reaches it; the quote is truncated, so it is patched incrementally as
 * conntrack does, never recomputed), and the ICMP checksum over the whole
 * message. All written directly: see nat_csum.h.
 */
static __always_inline int nat_rewrite_error4(struct __sk_buff *skb, const struct nat_in_pkt *p,
					      const __u8 *addr, __u16 port)
{
	void *data = nat_data(skb), *end = nat_data_end(skb);
	struct iphdr *iph = data + ETH_HLEN, *inner;
	__u16 *pp, *cp, *icp, pfrom, old;
	__u32 diff, l4diff;
	__be32 from, to;
	struct nat_l4 l;
	__u8 *icmp, *il4;

	nat_l4_layout(p->key.proto, false, &l);
	if (p->l4 > NAT_L3_MAX || p->inner_l4 > NAT_L3_MAX + NAT_ICMP_HLEN + NAT_L3_MAX)
		return -1;
	icmp = data + ETH_HLEN + p->l4;
	inner = (void *)(icmp + NAT_ICMP_HLEN);
	il4 = data + ETH_HLEN + p->inner_l4;
	pp = (void *)(il4 + l.port);
	cp = (void *)(il4 + l.csum);
	icp = (void *)(icmp + 2);
	if ((void *)(iph + 1) > end || (void *)(inner + 1) > end || (void *)(pp + 1) > end ||
	    (void *)(icp + 1) > end)
		return -1;
	__builtin_memcpy(&to, addr, 4);

	/* The outer destination; the ICMPv4 checksum has no pseudo-header. */
	from = iph->daddr;
	iph->daddr = to;
	csum_replace4(&iph->check, from, to);
	ipv4_decrease_ttl(iph);

	/* The quoted source, with the quoted header's checksum. */
	from = inner->saddr;
	old = inner->check;
	inner->saddr = to;
	csum_replace4(&inner->check, from, to);
	diff = csum_diff_bytes(0, &from, &to, 4);
	diff = csum_diff16(diff, old, inner->check);

	/* The quoted source port or echo identifier, and its L4 checksum. */
	pfrom = *pp;
	*pp = port;
	diff = csum_diff16(diff, pfrom, port);
	l4diff = csum_diff16(0, pfrom, port);
	if (p->key.proto != NAT_ICMP)
		l4diff = csum_diff_bytes(l4diff, &from, &to, 4);	/* pseudo-header */
	if ((void *)(cp + 1) <= end) {
		old = *cp;
		*cp = p->key.proto == NAT_UDP ? csum_apply_udp(old, l4diff) :
						csum_apply(old, l4diff);
		diff = csum_diff16(diff, old, *cp);
	}
	/* The ICMP checksum covers the whole message, the quote included (RFC 792). */
	*icp = csum_apply(*icp, diff);
	return 0;
}

/* The same for ICMPv6, whose checksum also covers the outer addresses (RFC 4443 2.3). */
static __always_inline int nat_rewrite_error6(struct __sk_buff *skb, const struct nat_in_pkt *p,
					      const __u8 *addr, __u16 port)
{
	void *data = nat_data(skb), *end = nat_data_end(skb);
	struct ipv6hdr *ip6h = data + ETH_HLEN, *inner;
	__u16 *pp, *cp, *icp, pfrom, old;
	__u32 diff, idiff, l4diff;
	struct nat_l4 l;
	__u8 *icmp, *il4;

	nat_l4_layout(p->key.proto, false, &l);
	icmp = (void *)(ip6h + 1);
	inner = (void *)(icmp + NAT_ICMP_HLEN);
	il4 = (void *)(inner + 1);
	pp = (void *)(il4 + l.port);
	cp = (void *)(il4 + l.csum);
	icp = (void *)(icmp + 2);
	if ((void *)(inner + 1) > end || (void *)(pp + 1) > end)
		return -1;

	/* The outer destination: in the ICMPv6 pseudo-header. */
	diff = csum_diff_bytes(0, &ip6h->daddr, addr, 16);
	__builtin_memcpy(&ip6h->daddr, addr, 16);
	ip6h->hop_limit--;

	/* The quoted source: in the quoted L4 header's pseudo-header too. */
	idiff = csum_diff_bytes(0, &inner->saddr, addr, 16);
	__builtin_memcpy(&inner->saddr, addr, 16);
	diff += idiff;

	pfrom = *pp;
	*pp = port;
	diff = csum_diff16(diff, pfrom, port);
	l4diff = csum_diff16(idiff, pfrom, port);
	if ((void *)(cp + 1) <= end) {
		old = *cp;
		*cp = p->key.proto == NAT_UDP ? csum_apply_udp(old, l4diff) :
						csum_apply(old, l4diff);
		diff = csum_diff16(diff, old, *cp);
	}
	*icp = csum_apply(*icp, diff);
	return 0;
}

/*
 * Give a packet of an L3 device a MAC header. bpf_redirect_neigh() fills in
 * the addresses of one but refuses a packet without (__bpf_redirect_neigh():
 * mac_header >= network_header drops it); bpf_skb_change_head() pushes a
 * zeroed one and resets mac_header: the kernel's stated way for "an L3 skb
 * that needs to push mac header for redirection into L2 device".
 */
static __always_inline int nat_push_eth(struct __sk_buff *skb)
{
	void *data, *end;
	struct ethhdr *eth;

	if (bpf_skb_change_head(skb, ETH_HLEN, 0))
		return -1;
	data = nat_data(skb);
	end = nat_data_end(skb);
	eth = data;
	if ((void *)(eth + 1) > end)
		return -1;
	eth->h_proto = (__be16)skb->protocol;
	return 0;
}

/*
 * Translate a reply or an ICMP error arriving on a masqueraded target back to
 * its client, and forward it there. Every packet is counted once: NAT_IN,
 * NAT_IN_ICMP, NAT_IN_MISS (passed on untouched), PASS_MALFORMED (a flow's,
 * but the stack would drop it: passed on untouched) or PASS_TTL (dropped).
 */
static __always_inline int nat_unnat(struct __sk_buff *skb)
{
	struct nat_in_pkt p = {};
	struct bpfroute_nat *in;
	__u32 ifindex;
	bool l3;
	int err;

	if (skb->protocol != bpf_htons(ETH_P_IP) && skb->protocol != bpf_htons(ETH_P_IPV6))
		return nat_pass(BPFROUTE_STAT_NAT_IN_MISS);
	/* Headers in the linear data first: the probe looks at its end. */
	nat_pull(skb, ETH_HLEN + NAT_L3_MAX + NAT_L4_MAX);
	l3 = nat_data_is_l3(skb);
	err = l3 ? nat_in_parse(skb, 0, &p) : nat_in_parse(skb, ETH_HLEN, &p);
	if (err)
		return nat_pass(err);
	in = bpf_map_lookup_elem(&BPFROUTE_MAP_NAT_IN, &p.key);
	if (!in)
		return nat_pass(BPFROUTE_STAT_NAT_IN_MISS);
	if (!p.valid)
		return nat_pass(BPFROUTE_STAT_PASS_MALFORMED);
	/*
	 * A router drops a packet whose TTL expires here (RFC 1812 5.3.1).
	 * Passed on untranslated, the gateway would answer it itself (a TCP
	 * reset, a port unreachable) and break the client's flow; translated,
	 * the stack's time exceeded would quote the client's address. Dropped.
	 */
	if (p.ttl <= 1) {
		count(BPFROUTE_STAT_PASS_TTL, 1);
		return TC_ACT_SHOT;
	}
	ifindex = in->ifindex;
	if (p.kind == NAT_IN_REPLY)
		nat_touch(in, skb->len, bpf_ktime_get_coarse_ns(),
			  nat_state_in(p.key.proto, p.tcp_flags, in->state),
			  nat_flags_in(p.key.proto, p.tcp_flags));

	if (l3 && nat_push_eth(skb))
		return TC_ACT_SHOT;
	if (p.kind == NAT_IN_REPLY && p.key.family == 4)
		err = nat_rewrite4(skb, p.key.proto, ETH_HLEN + p.l4, true, in->addr, in->port,
				   true);
	else if (p.kind == NAT_IN_REPLY)
		err = nat_rewrite6(skb, p.key.proto, true, in->addr, in->port, true);
	else
		err = p.key.family == 4 ? nat_rewrite_error4(skb, &p, in->addr, in->port) :
					  nat_rewrite_error6(skb, &p, in->addr, in->port);
	if (err)
		return TC_ACT_SHOT;
	/*
	 * A SYN-ACK's MSS is what the client may send: lowered to fit the
	 * target it came in on, uploads need no ICMP either (mtu.h).
	 */
	if (p.kind == NAT_IN_REPLY && p.key.proto == NAT_TCP && (p.tcp_flags & MTU_TCP_SYN))
		mtu_clamp_in(skb, ETH_HLEN + p.l4, p.key.family);
	count(p.kind == NAT_IN_REPLY ? BPFROUTE_STAT_NAT_IN : BPFROUTE_STAT_NAT_IN_ICMP, 1);
	return bpf_redirect_neigh(ifindex, NULL, 0, 0);
}

#endif /* BPFROUTE_NAT_H */
