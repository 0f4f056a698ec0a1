// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer harness: the agent's reading of a DNS answer (user/agent_dns.c)
 * and the choice of the rule it is learned for (agent_rule(), user/agent.c),
 * on any bytes. The first byte chooses a rule, the rest is the message:
 * the rule is a suffix of the question, the (byte % labels)-th, exact or,
 * with the top bit, a wildcard. agent_rule() must find it exactly where
 * README's matching says: an exact rule covers the name itself, a wildcard
 * every name below it but not the name itself. The rules are the agent's
 * cache, read "just now", so agent_rule() never asks the maps.
 *
 * Checked besides memory errors and undefined behaviour: the result is 0,
 * -EBADMSG or -ELOOP, and a refused answer leaves no address; an accepted
 * one has a well-formed lower-case question whose text is printable ASCII
 * (escaped as dig does, so no name from the network can forge a line or a
 * terminal sequence), a chain within BPFROUTE_DNS_CHAIN_MAX links, and only
 * A and AAAA addresses. The message is also read as a configured name by
 * dnsname_to_wire(), whose output must be a well-formed name.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "agent_dns.h"
#include "dnsname.h"

#define NOW_NS (1000ULL * HOSTS_NSEC_PER_SEC)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct agent agent;
static struct agent_dns_answer *ans;
static __u8 rule_name[BPFROUTE_DNS_NAME_MAX];	/* the one rule's name */

/* The label offsets of a well-formed wire name; how many labels, root excluded. */
static int wire_labels(const __u8 *wire, size_t len, size_t *offs, int max)
{
	size_t i = 0;
	int n = 0;

	if (len < 1 || len > BPFROUTE_DNS_NAME_MAX)
		abort();
	while (wire[i]) {
		if (wire[i] > 63 || i + 1 + wire[i] >= len || n == max)
			abort();
		for (size_t j = i + 1; j <= i + wire[i]; j++)
			if (wire[j] >= 'A' && wire[j] <= 'Z')
				abort();
		offs[n++] = i;
		i += 1 + wire[i];
	}
	if (i != len - 1)
		abort();
	return n;
}

static void check_rule(__u8 ctl, int nlabels, const size_t *offs)
{
	struct agent_rule *r = &agent.rules[0];
	int k = ctl % nlabels;
	bool wildcard = ctl & 0x80, want = wildcard ? k > 0 : k == 0;

	memset(r, 0, sizeof(*r));
	r->used = true;
	r->id = ctl;
	r->wildcard = wildcard;
	r->name_len = (__u16)(ans->qname_len - offs[k]);
	memcpy(rule_name, ans->qname + offs[k], r->name_len);
	r->name = rule_name;
	if ((agent_rule(&agent, ctl, ans->qname, ans->qname_len, NOW_NS) == r) != want)
		abort();
	r->used = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t offs[BPFROUTE_DNS_NAME_MAX / 2];
	__u8 wire[BPFROUTE_DNS_NAME_MAX];
	const __u8 *msg = data + 1;
	size_t len = size - 1;
	char *text;
	int ret, n;

	if (!agent.rules) {
		agent.rules = calloc(1, sizeof(*agent.rules));
		agent.n_rules = 1;
		ans = malloc(sizeof(*ans));
		if (!agent.rules || !ans)
			abort();
	}
	if (size < 1)
		return 0;
	agent.rules_read_ns = NOW_NS;

	memset(ans, 0xa5, sizeof(*ans));
	ret = agent_dns_parse(msg, len, ans);
	if (ret != 0 && ret != -EBADMSG && ret != -ELOOP)
		abort();
	if (ret) {
		if (ans->n)
			abort();	/* all or nothing, as in the kernel */
	} else {
		if (ans->n > AGENT_DNS_ADDRS_MAX || ans->links > BPFROUTE_DNS_CHAIN_MAX ||
		    !memchr(ans->qtext, 0, sizeof(ans->qtext)))
			abort();
		for (size_t i = 0; i < ans->n; i++)
			if (ans->addrs[i].family != 4 && ans->addrs[i].family != 6)
				abort();
		n = wire_labels(ans->qname, ans->qname_len, offs, (int)ARRAY_SIZE(offs));
		for (const char *t = ans->qtext; *t; t++)
			if (*t < 0x21 || *t > 0x7e)
				abort();
		if (n)
			check_rule(data[0], n, offs);
	}

	text = malloc(len + 1);
	if (!text)
		abort();
	memcpy(text, msg, len);
	text[len] = '\0';
	ret = dnsname_to_wire(text, wire, sizeof(wire));
	if (ret != -EINVAL)
		wire_labels(wire, (size_t)ret, offs, (int)ARRAY_SIZE(offs));
	free(text);
	return 0;
}
