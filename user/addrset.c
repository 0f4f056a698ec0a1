// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A set of prefixes with a mark each (addrset.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addrset.h"

#define ADDRSET_MIN_CAP	1024

static size_t addr_bytes(int family)
{
	return family == 4 ? 4 : 16;
}

/* FNV-1a over what tells two prefixes apart. */
static size_t slot_of(const struct addrset *s, int family, __u8 len, const __u8 *addr)
{
	__u64 h = 0xcbf29ce484222325ULL;

	h = (h ^ (__u8)family) * 0x100000001b3ULL;
	h = (h ^ len) * 0x100000001b3ULL;
	for (size_t i = 0; i < addr_bytes(family); i++)
		h = (h ^ addr[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 32)) & (s->cap - 1);
}

static bool same(const struct addrset_entry *e, int family, __u8 len, const __u8 *addr)
{
	return e->family == family && e->len == len && !memcmp(e->addr, addr, addr_bytes(family));
}

struct addrset_entry *addrset_find(const struct addrset *s, int family, __u8 len,
				   const __u8 *addr)
{
	if (!s->cap)
		return NULL;
	for (size_t i = slot_of(s, family, len, addr);; i = (i + 1) & (s->cap - 1)) {
		struct addrset_entry *e = &s->e[i];

		if (!e->family)
			return NULL;
		if (same(e, family, len, addr))
			return e;
	}
}

/* Place e, known to be absent, in a set with room. */
static struct addrset_entry *place(struct addrset *s, const struct addrset_entry *e)
{
	size_t i = slot_of(s, e->family, e->len, e->addr);

	while (s->e[i].family)
		i = (i + 1) & (s->cap - 1);
	s->e[i] = *e;
	s->n++;
	return &s->e[i];
}

/* Rehash into cap slots (a power of two, room for every entry). */
static int resize(struct addrset *s, size_t cap)
{
	struct addrset old = *s;

	s->e = calloc(cap, sizeof(*s->e));
	if (!s->e) {
		*s = old;
		return -ENOMEM;
	}
	s->cap = cap;
	s->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.e[i].family)
			place(s, &old.e[i]);
	free(old.e);
	return 0;
}

int addrset_reserve(struct addrset *s, size_t n)
{
	size_t cap = s->cap ? s->cap : ADDRSET_MIN_CAP;

	while (n * 2 > cap)
		cap *= 2;
	return cap == s->cap ? 0 : resize(s, cap);
}

struct addrset_entry *addrset_get(struct addrset *s, int family, __u8 len, const __u8 *addr,
				  bool *added)
{
	struct addrset_entry *e = addrset_find(s, family, len, addr), fresh = {};

	*added = false;
	if (e)
		return e;
	if ((s->n + 1) * 2 > s->cap && resize(s, s->cap ? s->cap * 2 : ADDRSET_MIN_CAP))
		return NULL;
	fresh.family = (__u8)family;
	fresh.len = len;
	memcpy(fresh.addr, addr, addr_bytes(family));
	*added = true;
	return place(s, &fresh);
}

void addrset_del(struct addrset *s, struct addrset_entry *e)
{
	size_t hole = (size_t)(e - s->e), i = hole;

	memset(e, 0, sizeof(*e));
	s->n--;
	/*
	 * Backward shift: an entry further on moves into the hole unless its
	 * home slot lies cyclically in (hole, i], where it can still be found.
	 */
	for (;;) {
		size_t home;

		i = (i + 1) & (s->cap - 1);
		if (!s->e[i].family)
			return;
		home = slot_of(s, s->e[i].family, s->e[i].len, s->e[i].addr);
		if (((i - home) & (s->cap - 1)) < ((i - hole) & (s->cap - 1)))
			continue;
		s->e[hole] = s->e[i];
		memset(&s->e[i], 0, sizeof(s->e[i]));
		hole = i;
	}
}

void addrset_free(struct addrset *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}
