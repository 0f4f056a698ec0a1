#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench_hotlines.sh PERF_DATA LINES_FILE...: the source lines of BPF programs
# where a CPU profile's samples fall, most first. LINES_FILEs are what
# .output/bpf_lines printed for the programs while the profile was taken
# (tools/bench_forward.sh with BENCH_PERF keeps them beside each profile);
# a sample belongs to the last line record at or below its address.
set -u

if (($# < 2)); then
	echo "usage: $0 PERF_DATA LINES_FILE..." >&2
	exit 2
fi
data=$1
shift
perf script -i "$data" -F ip,sym 2>/dev/null | awk '$2 ~ /^bpf_prog_/ { print $1 }' |
	awk '# The low 40 bits of a kernel address: exact in awk'"'"'s doubles, and the
	     # JIT images of one boot lie well within one such window.
	     function lo40(s,   v, i) {
		s = tolower(s); v = 0
		for (i = length(s) > 10 ? length(s) - 9 : 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	     }
	     FNR == NR { addr[++n] = $1; $1 = ""; text[n] = $0; next }
	     { ips[++m] = $1 }
	     END {
		# Line records sorted by address across files; samples by address.
		for (i = 1; i <= n; i++) a[i] = lo40(addr[i])
		for (i = 2; i <= n; i++)	# insertion sort: a few thousand records
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
				t = text[j]; text[j] = text[j - 1]; text[j - 1] = t
			}
		for (k = 1; k <= m; k++) {
			ip = lo40(ips[k]); lo = 1; hi = n; best = 0
			while (lo <= hi) {
				mid = int((lo + hi) / 2)
				if (a[mid] <= ip) { best = mid; lo = mid + 1 } else hi = mid - 1
			}
			if (best) hits[text[best]]++
		}
		for (t in hits) printf "%6d %5.1f%% %s\n", hits[t], 100 * hits[t] / m, t
	     }' <(cat "$@") - | sort -rn | head -n 40
