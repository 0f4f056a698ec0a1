/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Decisions the kernel and the agent must make identically, defined once:
 * which addresses are never forwarded nor learned, how long a record lives,
 * and when a learned entry is dead. Plain byte and integer arithmetic, so
 * that the same code compiles for BPF and for the host.
 *
 * Include bpfroute_abi.h and a type header first.
 */
#ifndef BPFROUTE_POLICY_H
#define BPFROUTE_POLICY_H

#define BPFROUTE_NSEC_PER_SEC 1000000000ULL

/*
 * Addresses a router never forwards to or from, whatever the routes say
 * (RFC 1812 sections 5.3.7 and 4.2.2.11, RFC 3927 section 2.7): "this
 * network" 0/8, loopback 127/8, link-local 169.254/16, multicast 224/4,
 * reserved 240/4 with the limited broadcast.
 */
static __always_inline bool bpfroute_ipv4_special(const __u8 *a)
{
	return a[0] == 0 || a[0] == 127 || a[0] >= 224 || (a[0] == 169 && a[1] == 254);
}

/*
 * Multicast ff00::/8, link-local fe80::/10, unspecified, loopback, and
 * v4-mapped ::ffff:0:0/96, which never appears on the wire (RFC 4291
 * 2.5.5.2, RFC 4038 section 4.2).
 */
static __always_inline bool bpfroute_ipv6_special(const __u8 *a)
{
	__u8 head = 0;

	if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
		return true;
	for (int i = 0; i < 10; i++)
		head |= a[i];
	if (head)
		return false;
	if (a[10] == 0xff && a[11] == 0xff)
		return true;
	if (a[10] || a[11] || a[12] || a[13] || a[14])
		return false;
	return a[15] <= 1;
}

/*
 * A record's TTL as a lifetime in seconds: RFC 2181 section 8 reads a TTL
 * with the top bit set as 0; then clamped to [min-ttl, max-ttl], so that a
 * TTL of 0 does not expire at once and a huge one does not live for ever.
 */
static __always_inline __u32 bpfroute_lifetime_s(const struct bpfroute_conf *conf, __u32 ttl)
{
	if (ttl & 0x80000000)
		ttl = 0;
	if (ttl < conf->min_ttl)
		ttl = conf->min_ttl;
	if (ttl > conf->max_ttl)
		ttl = conf->max_ttl;
	return ttl;
}

/* The datapath's clock (CLOCK_MONOTONIC) in the whole seconds entries keep. */
static __always_inline __u32 bpfroute_seconds(__u64 ns)
{
	return (__u32)(ns / BPFROUTE_NSEC_PER_SEC);
}

/*
 * A learned entry steers until it expires and after that while it is used:
 * idle_timeout seconds (bpfroute_conf's) without a packet past max(expiry,
 * last use), it is dead. The classifier treats a dead entry as a miss; the agent removes it.
 * Times in seconds (struct bpfroute_host).
 */
static __always_inline bool bpfroute_host_dead(const struct bpfroute_host *h, __u32 now,
					      __u32 idle_timeout)
{
	__u32 since = h->last_used > h->expires ? h->last_used : h->expires;

	if (now <= h->expires || now < since)
		return false;
	return now - since > idle_timeout;
}

/*
 * The bucket of bpfroute_query that holds a client's outstanding queries
 * (include/bpfroute_abi.h). Each IPv4 /24 and IPv6 /64 has
 * BPFROUTE_QUERY_HOSTS buckets, at a keyed hash of the prefix among
 * BPFROUTE_QUERY_NETS groups; an IPv4 client's bucket in its group is its
 * last byte, so two hosts of one /24 never share one, whatever a spoofer
 * sends. An IPv6 client's is a keyed hash of its interface identifier: a
 * spoofer that can send from any address of a /64 reaches every bucket of
 * that /64, which nothing short of per-address state bounds. The key
 * (bpfroute_conf.hash_key) is secret: nobody can aim at another prefix's
 * group.
 */
static __always_inline __u64 bpfroute_query_mix(const struct bpfroute_conf *conf, __u64 x)
{
	x = (x ^ conf->hash_key[0]) * 0x9e3779b97f4a7c15ULL;
	x ^= (x >> 32) ^ conf->hash_key[1];
	x *= 0xff51afd7ed558ccdULL;
	return x ^ (x >> 33);
}

static __always_inline __u32 bpfroute_query_bucket(const struct bpfroute_conf *conf,
						   const __u8 *client, __u8 family)
{
	__u64 net = 0, host = 0;

	if (family == 4) {
		net = (__u64)client[0] << 16 | (__u64)client[1] << 8 | client[2] | 4ULL << 56;
		host = client[3];
	} else {
		for (int i = 0; i < 8; i++) {
			net = net << 8 | client[i];
			host = host << 8 | client[8 + i];
		}
		host = bpfroute_query_mix(conf, host ^ 0x6a09e667f3bcc908ULL);
	}
	return (__u32)(bpfroute_query_mix(conf, net) % BPFROUTE_QUERY_NETS) * BPFROUTE_QUERY_HOSTS +
	       (__u32)(host % BPFROUTE_QUERY_HOSTS);
}

/*
 * The two shared slots where a query of a client with a full bucket may go
 * (include/bpfroute_abi.h), 0..BPFROUTE_QUERY_SHARED_SLOTS - 1: halves of a
 * keyed hash of the whole key, so no client can aim at another's; two
 * choices, so that a busy client's queries seldom collide. A slot there is
 * taken from another query only once that one is BPFROUTE_QUERY_KEEP_NS
 * old: longer than resolvers take to answer or give up (glibc waits 5 s),
 * so a flood of fresh queries cannot push out one still waiting.
 */
#define BPFROUTE_QUERY_KEEP_NS	(5ULL * BPFROUTE_NSEC_PER_SEC)

#define BPFROUTE_QUERY_SHARED_WAYS 2

static __always_inline __u32 bpfroute_query_shared(const struct bpfroute_conf *conf,
						   const struct bpfroute_query_key *k, int way)
{
	const __u64 *w = (const void *)k;
	__u64 h = bpfroute_query_mix(conf, w[0]);

	h = bpfroute_query_mix(conf, h ^ w[1]);
	h = bpfroute_query_mix(conf, h ^ w[2]);
	return (__u32)((way ? h >> 32 : h) & (BPFROUTE_QUERY_SHARED_SLOTS - 1));
}

/*
 * Masqueraded flows time out like conntrack's, coarsely: TCP established
 * for 2 h 4 min (RFC 5382 REQ-5), TCP closing 2 min, UDP 5 min (RFC 4787
 * REQ-5 asks at least 2), ICMP echo 1 min.
 *
 * A half-open TCP flow (a SYN, perhaps the remote's SYN-ACK, no ACK of the
 * client after it) lives 30 s, where conntrack gives SYN_SENT 120 s and
 * SYN_RECV 60 s: every such flow holds a port towards its remote endpoint,
 * and a SYN flood must not hold them for minutes. 30 s still spans every
 * gap between a Linux client's SYN retransmissions but the last (1, 2, 4,
 * 8, 16, then 32 s: RFC 6298 backoff from a 1 s RTO, tcp_syn_retries 6);
 * each one refreshes the flow, and a SYN after a longer silence simply
 * opens a new flow. A handshake that completes takes one round trip.
 */
#define BPFROUTE_FLOW_TCP_OPEN_S	30
#define BPFROUTE_FLOW_TCP_EST_S		7440
#define BPFROUTE_FLOW_TCP_CLOSE_S	120
#define BPFROUTE_FLOW_UDP_S		300
#define BPFROUTE_FLOW_ICMP_S		60

#define BPFROUTE_IPPROTO_ICMP		1
#define BPFROUTE_IPPROTO_TCP		6
#define BPFROUTE_IPPROTO_UDP		17
#define BPFROUTE_IPPROTO_ICMPV6		58

static __always_inline __u64 bpfroute_flow_timeout_ns(__u8 proto, __u8 state)
{
	__u64 s;

	if (proto == BPFROUTE_IPPROTO_TCP)
		s = state == BPFROUTE_FLOW_ESTABLISHED ? BPFROUTE_FLOW_TCP_EST_S :
		    state == BPFROUTE_FLOW_CLOSING ? BPFROUTE_FLOW_TCP_CLOSE_S :
						     BPFROUTE_FLOW_TCP_OPEN_S;
	else if (proto == BPFROUTE_IPPROTO_UDP)
		s = BPFROUTE_FLOW_UDP_S;
	else
		s = BPFROUTE_FLOW_ICMP_S;
	return s * BPFROUTE_NSEC_PER_SEC;
}

/*
 * Masqueraded flows one client address may hold at once (max-client-flows),
 * unless the config says otherwise: a few thousand, far more than a busy
 * host keeps open, a seventh of the ports towards one remote endpoint.
 */
#define BPFROUTE_CLIENT_FLOWS_DEFAULT	4096

static __always_inline __u32 bpfroute_client_flows_max(const struct bpfroute_conf *conf)
{
	return conf && conf->max_client_flows ? conf->max_client_flows :
						 BPFROUTE_CLIENT_FLOWS_DEFAULT;
}

/*
 * The counter of a client address in row row of bpfroute_natcli: a keyed
 * hash (the instance's secret, so that nobody can aim at another client's
 * counters), each row with its own seed. A client's count is the smaller of
 * its two counters: each counter also counts the clients that share it, so
 * the estimate is never below the truth, and another client is capped early
 * only if both its counters are shared with clients that hold the cap
 * together: beside one client at the cap, one chance in 2^30 for each other
 * client (two rows of 2^15).
 */
static __always_inline __u32 bpfroute_client_slot(const struct bpfroute_conf *conf, __u8 family,
						  const __u8 *addr, __u32 row)
{
	__u64 h = (conf ? conf->hash_key[0] : 0) ^ (0x9e3779b97f4a7c15ULL * (row + 1)) ^ family;
	__u32 w;

	for (int i = 0; i < 16; i += 4) {
		__builtin_memcpy(&w, addr + i, 4);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	h ^= conf ? conf->hash_key[1] : 0;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return row * BPFROUTE_NAT_CLIENT_SLOTS + (__u32)(h & (BPFROUTE_NAT_CLIENT_SLOTS - 1));
}

/*
 * The two halves of a masqueraded flow find each other by these keys. An
 * outgoing flow (as the client sent it) translated to addr:port is answered
 * with the remote as source and addr:port as destination; for ICMP echo the
 * translated identifier stands in both port fields.
 */
static __always_inline void bpfroute_flow_reply_key(const struct bpfroute_flow_key *out,
						    const __u8 *addr, __u16 port,
						    struct bpfroute_flow_key *in)
{
	__builtin_memset(in, 0, sizeof(*in));
	__builtin_memcpy(in->saddr, out->daddr, sizeof(in->saddr));
	__builtin_memcpy(in->daddr, addr, sizeof(in->daddr));
	in->sport = out->proto == BPFROUTE_IPPROTO_TCP || out->proto == BPFROUTE_IPPROTO_UDP ?
		    out->dport : port;
	in->dport = port;
	in->family = out->family;
	in->proto = out->proto;
}

/* The outgoing half of a reply key whose entry names the client at addr:port. */
static __always_inline void bpfroute_flow_request_key(const struct bpfroute_flow_key *in,
						      const __u8 *addr, __u16 port,
						      struct bpfroute_flow_key *out)
{
	__builtin_memset(out, 0, sizeof(*out));
	__builtin_memcpy(out->saddr, addr, sizeof(out->saddr));
	__builtin_memcpy(out->daddr, in->saddr, sizeof(out->daddr));
	out->sport = port;
	out->dport = in->proto == BPFROUTE_IPPROTO_TCP || in->proto == BPFROUTE_IPPROTO_UDP ?
		     in->sport : port;
	out->family = in->family;
	out->proto = in->proto;
}

/*
 * A flow is dead when neither direction has been seen for the timeout of
 * its state: the later of the two states (a reply makes UDP and ICMP
 * established, the client's ACK after the remote's answer TCP; a FIN or RST
 * from either side, closing) and the later of the two times.
 */
static __always_inline __u64 bpfroute_flow_timeout_of(const struct bpfroute_nat *out,
						      const struct bpfroute_nat *in, __u8 proto)
{
	__u8 state = out->state > in->state ? out->state : in->state;

	/* Closed before it was ever established: still half-open, as far as time goes. */
	if (proto == BPFROUTE_IPPROTO_TCP && state == BPFROUTE_FLOW_CLOSING &&
	    !(out->flags & BPFROUTE_NAT_F_ESTABLISHED))
		state = BPFROUTE_FLOW_NEW;
	return bpfroute_flow_timeout_ns(proto, state);
}

static __always_inline bool bpfroute_flow_dead(const struct bpfroute_nat *out,
					       const struct bpfroute_nat *in, __u8 proto,
					       __u64 now)
{
	__u64 last = out->last_seen_ns > in->last_seen_ns ? out->last_seen_ns : in->last_seen_ns;

	return now > last && now - last > bpfroute_flow_timeout_of(out, in, proto);
}

/*
 * Conntrack's early drop: when every port a new flow tries towards a remote
 * endpoint is taken, the flow on the last one gives way if it was never
 * established (no reply to UDP or ICMP, no completed TCP handshake) and has
 * been quiet this long: longer than a handshake in flight takes. Forged
 * SYNs from unused addresses of the LAN's own subnet pass the reverse-path
 * check and fill the ports with such flows; without this, every other
 * client's new flows to that endpoint would be refused until they time out.
 */
#define BPFROUTE_FLOW_EARLY_DROP_NS	(1ULL * BPFROUTE_NSEC_PER_SEC)

static __always_inline bool bpfroute_flow_unconfirmed(const struct bpfroute_nat *out,
						      const struct bpfroute_nat *in, __u8 proto,
						      __u64 now)
{
	__u64 last = out->last_seen_ns > in->last_seen_ns ? out->last_seen_ns : in->last_seen_ns;
	__u8 state = out->state > in->state ? out->state : in->state;
	bool confirmed = proto == BPFROUTE_IPPROTO_TCP ?
			 (out->flags & BPFROUTE_NAT_F_ESTABLISHED) ||
			 state == BPFROUTE_FLOW_ESTABLISHED :
			 state != BPFROUTE_FLOW_NEW;

	return !confirmed && now > last && now - last > BPFROUTE_FLOW_EARLY_DROP_NS;
}

#endif /* BPFROUTE_POLICY_H */
