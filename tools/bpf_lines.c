// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bpf_lines: where a loaded BPF program's source lines are in its JIT image,
 * for reading a CPU profile (perf record) of a program down to the line
 * when neither bpftool nor perf here can disassemble it (no libbfd).
 *
 *	bpf_lines PROG_ID
 *
 * Prints "ADDRESS FILE:LINE SOURCE" for each line record (BTF line info) of
 * the program, ADDRESS its first byte in the JIT image, sorted: a sample's
 * address belongs to the last record at or below it. tools/bench_forward.sh
 * (BENCH_PERF) keeps this beside each profile. Root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

struct rec {
	__u64 addr;
	const char *file, *line;
	__u32 lnum;
};

static int cmp_rec(const void *a, const void *b)
{
	__u64 x = ((const struct rec *)a)->addr, y = ((const struct rec *)b)->addr;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), n, id;
	struct bpf_line_info *li = NULL;
	__u64 *jli = NULL;
	struct btf *btf = NULL;
	struct rec *r = NULL;
	int fd, err = 1;

	if (argc != 2 || !(id = (__u32)strtoul(argv[1], NULL, 0))) {
		fprintf(stderr, "usage: %s PROG_ID\n", argv[0]);
		return 2;
	}
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "bpf_lines: program %u: %s\n", id, strerror(errno));
		return 1;
	}
	n = info.nr_jited_line_info;
	if (!n || n != info.nr_line_info || !info.btf_id) {
		fprintf(stderr, "bpf_lines: program %u has no JIT line info\n", id);
		goto cleanup;
	}
	li = calloc(n, info.line_info_rec_size);
	jli = calloc(n, sizeof(*jli));
	r = calloc(n, sizeof(*r));
	if (!li || !jli || !r)
		goto cleanup;
	memset(&info, 0, sizeof(info));
	info.nr_line_info = n;
	info.line_info_rec_size = sizeof(*li);
	info.line_info = (__u64)(unsigned long)li;
	info.nr_jited_line_info = n;
	info.jited_line_info_rec_size = sizeof(*jli);
	info.jited_line_info = (__u64)(unsigned long)jli;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "bpf_lines: line info: %s\n", strerror(errno));
		goto cleanup;
	}
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf) {
		fprintf(stderr, "bpf_lines: BTF %u: %s\n", info.btf_id, strerror(errno));
		goto cleanup;
	}
	for (__u32 i = 0; i < n; i++) {
		r[i].addr = jli[i];
		r[i].file = btf__name_by_offset(btf, li[i].file_name_off);
		r[i].line = btf__name_by_offset(btf, li[i].line_off);
		r[i].lnum = BPF_LINE_INFO_LINE_NUM(li[i].line_col);
	}
	qsort(r, n, sizeof(*r), cmp_rec);
	for (__u32 i = 0; i < n; i++) {
		const char *f = r[i].file ? strrchr(r[i].file, '/') : NULL;

		printf("%llx %s:%u %s\n", (unsigned long long)r[i].addr,
		       f ? f + 1 : r[i].file ? r[i].file : "?", r[i].lnum,
		       r[i].line ? r[i].line : "");
	}
	err = 0;
cleanup:
	btf__free(btf);
	free(li);
	free(jli);
	free(r);
	close(fd);
	return err;
}
