#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# How long a big config takes to load: in a scratch network namespace with
# a veth pair (lan0, the LAN interface; tun0, the target), a config of two
# `route-list` files, BENCH_LOAD_NAMES names in `domains` format (two rules
# each) and BENCH_LOAD_PREFIXES IPv4 /32 prefixes of 100.64.0.0/10. Runs a
# first `load`, a `load` of the same config over it (a reload) and `check`,
# BENCH_LOAD_REPS times each in turn, and prints the median CPU time
# (user + system) and wall time of each, and the CPU of each step of the
# last run as `bpfroute -v` logs it. The pin directory, the namespace
# and the files are removed at the end, whatever happens.
#
#	sudo tools/bench_load.sh		# after `make`
#	BENCH_LOAD_NAMES=100000 BENCH_LOAD_PREFIXES=1000000 BENCH_LOAD_REPS=3
#	BENCH_LOAD_PERF=FILE: record a first load and a reload with `perf record -g`
#	into FILE.load and FILE.reload, before the timed runs

set -eu

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BPFROUTE=${BPFROUTE:-$HERE/../bpfroute}
NAMES=${BENCH_LOAD_NAMES:-100000}
PREFIXES=${BENCH_LOAD_PREFIXES:-1000000}
REPS=${BENCH_LOAD_REPS:-3}
PERF_OUT=${BENCH_LOAD_PERF:-}

[ "$(id -u)" = 0 ] || { echo "bench_load: needs root" >&2; exit 1; }
[ -x "$BPFROUTE" ] || { echo "bench_load: $BPFROUTE not built (make)" >&2; exit 1; }
# 100.64.0.0/10 holds 4M addresses; the list walks it from the start.
[ "$PREFIXES" -le 4194304 ] || { echo "bench_load: at most 4194304 prefixes" >&2; exit 1; }

NS=bpfroute-bench-load-$$
DIR=$(mktemp -d /tmp/bpfroute-bench-load.XXXXXX)
# A bpffs of its own, outside /sys: `ip netns exec` mounts a fresh /sys for
# each command, where the pins of the one before would be gone.
PIN=$DIR/bpffs/bench

cleanup()
{
	if mountpoint -q "$DIR/bpffs"; then
		ip netns exec "$NS" "$BPFROUTE" -d "$PIN" unload >/dev/null 2>&1 || true
		umount "$DIR/bpffs"
	fi
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir "$DIR/bpffs"
mount -t bpf bpf "$DIR/bpffs"

ip netns add "$NS"
ip -n "$NS" link add lan0 type veth peer name tun0
ip -n "$NS" link set lo up
ip -n "$NS" link set lan0 up
ip -n "$NS" link set tun0 up
ip -n "$NS" addr add 192.0.2.1/24 dev lan0
ip -n "$NS" addr add 198.51.100.1/24 dev tun0

awk -v n="$NAMES" 'BEGIN { for (i = 0; i < n; i++) printf "n%d.bench.example\n", i }' \
	>"$DIR/names.txt"
# 100.64.0.0 + i, as dotted quads: 100.64-127.x.y.
awk -v n="$PREFIXES" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "%d.%d.%d.%d/32\n", 100, 64 + int(i / 65536), int(i / 256) % 256, i % 256
}' >"$DIR/prefixes.txt"
cat >"$DIR/bench.conf" <<EOF
interface lan0
target tun0 masquerade
route-list names.txt dev tun0 format domains
route-list prefixes.txt dev tun0 format bpfroute
EOF

# run KIND: one timed command; appends "cpu wall" to $DIR/KIND.
run()
{
	local kind=$1 cmd

	case $kind in
	load|reload) cmd=(load -c "$DIR/bench.conf") ;;
	check) cmd=(check -c "$DIR/bench.conf") ;;
	esac
	/usr/bin/time -f '%U %S %e' -o "$DIR/time" \
		ip netns exec "$NS" "$BPFROUTE" -v -d "$PIN" "${cmd[@]}" >"$DIR/out" 2>&1 || {
		echo "bench_load: $kind failed:" >&2
		cat "$DIR/out" >&2
		exit 1
	}
	awk '{ printf "%.2f %.2f\n", $1 + $2, $3 }' "$DIR/time" >>"$DIR/$kind"
	# The CPU of each step, as `load -v` logs it: the last run's.
	grep '^load: .* ms of CPU' "$DIR/out" >"$DIR/$kind.steps" || true
}

# median FILE COLUMN
median()
{
	sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END {
		if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
	}'
}

if [ -n "$PERF_OUT" ]; then
	for kind in load reload; do
		ip netns exec "$NS" perf record -q -g -o "$PERF_OUT.$kind" -- \
			"$BPFROUTE" -d "$PIN" load -c "$DIR/bench.conf" >/dev/null 2>&1
	done
	ip netns exec "$NS" "$BPFROUTE" -d "$PIN" unload >/dev/null 2>&1
fi

for ((i = 0; i < REPS; i++)); do
	run load
	run reload
	run check
	ip netns exec "$NS" "$BPFROUTE" -d "$PIN" unload >/dev/null 2>&1
done

printf 'bench_load: %d names (%d rules), %d prefixes, medians of %d\n' \
	"$NAMES" $((2 * NAMES)) "$PREFIXES" "$REPS"
for kind in load reload check; do
	printf '%-7s cpu %5.2f s  wall %5.2f s\n' "$kind" "$(median "$DIR/$kind" 1)" \
		"$(median "$DIR/$kind" 2)"
	sed 's/^/\t/' "$DIR/$kind.steps"
done
