/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The keyed hash of DNS names, one definition for the BPF programs and user
 * space, which must agree bit for bit.
 *
 * Input is a name's lower-case wire form (length bytes and labels, ending
 * with the root label 0). FNV-1a over the bytes, seeded and finished with the
 * instance's secret key (bpfroute_conf.hash_key, random per instance) and the
 * MurmurHash3 finaliser, so that nobody without the key can aim for a
 * collision.
 *
 * Two directions:
 *  - forward, first byte to last: the identity of a whole name (questions,
 *    CNAME chains);
 *  - backward, last byte to first: a domain rule's key. Walking a question
 *    backwards once yields the hash of every suffix at its label starts, so
 *    that `*.example.com` is found for any name below it in one pass.
 *
 * Include bpfroute_abi.h and a type header first.
 */
#ifndef BPFROUTE_NAME_HASH_H
#define BPFROUTE_NAME_HASH_H

#define NAME_HASH_FNV_OFFSET	0xcbf29ce484222325ULL
#define NAME_HASH_FNV_PRIME	0x100000001b3ULL

static __always_inline __u64 name_hash_init(const struct bpfroute_conf *conf)
{
	return conf->hash_key[0] ^ NAME_HASH_FNV_OFFSET;
}

static __always_inline __u64 name_hash_byte(__u64 h, __u8 c)
{
	return (h ^ c) * NAME_HASH_FNV_PRIME;
}

static __always_inline __u64 name_hash_final(const struct bpfroute_conf *conf, __u64 h)
{
	h ^= conf->hash_key[1];
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

#endif /* BPFROUTE_NAME_HASH_H */
