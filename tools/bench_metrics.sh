#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# What the metrics cost with many learned entries: the agent's walk (its
# steps, each a bound on how long learning may wait for it, and the whole
# walk) and a whole `bpfroute metrics`. In a network namespace of its own,
# with a bpffs of its own; N entries (default 1000000) in 100.64.0.0/10
# written by bench_fill. Run as root after `make` and `make .output/bench_fill`.
#
#	tools/bench_metrics.sh [N]
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
BPFROUTE=${BPFROUTE:-$top/bpfroute}
FILL=${FILL:-$top/.output/bench_fill}
N=${1:-1000000}
NS=brm-bench-$$
DIR=$(mktemp -d /tmp/bpfroute-bench-metrics.XXXXXX) || exit 1
PIN=$DIR/bpffs/bpfroute
AGENT=

cleanup()
{
	if [[ -n $AGENT ]] && kill -0 "$AGENT" 2>/dev/null; then
		kill "$AGENT"
		wait "$AGENT" 2>/dev/null
	fi
	ip netns exec "$NS" "$BPFROUTE" --pin-dir "$PIN" unload >/dev/null 2>&1
	mountpoint -q "$DIR/bpffs" && umount "$DIR/bpffs"
	ip netns del "$NS" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

in_ns() { ip netns exec "$NS" "$@"; }

ip netns add "$NS" || exit 1
in_ns ip link set lo up
in_ns ip link add lan0 type veth peer name lan0p
in_ns ip link add tgt0 type veth peer name tgt0p
for d in lan0 lan0p tgt0 tgt0p; do in_ns ip link set "$d" up; done
in_ns ip addr add 192.0.2.1/24 dev lan0
mkdir -p "$DIR/bpffs" && mount -t bpf bpf "$DIR/bpffs" || exit 1
cat >"$DIR/bpfroute.conf" <<EOC
interface lan0
route *.example.com dev tgt0
max-routes $N
metrics 192.0.2.1:9472
EOC

in_ns "$BPFROUTE" -q --pin-dir "$PIN" load -c "$DIR/bpfroute.conf" || exit 1
ifindex=$(in_ns cat /sys/class/net/tgt0/ifindex)
in_ns "$FILL" "$PIN" "$ifindex" 100.64.0.0 "$N" || exit 1
in_ns "$BPFROUTE" -v --pin-dir "$PIN" run -c "$DIR/bpfroute.conf" >"$DIR/agent.log" 2>&1 &
AGENT=$!
# Two walks (every 5 s), then scrapes while the next ones run.
for ((i = 0; i < 150; i++)); do
	(($(grep -c 'metrics: walk done' "$DIR/agent.log") >= 3)) && break
	sleep 0.1
done
for ((i = 0; i < 3; i++)); do
	in_ns curl -sS -m 5 -o /dev/null -w 'scrape: %{http_code}, %{time_total} s\n' \
		http://192.0.2.1:9472/metrics
done
grep 'metrics: walk done' "$DIR/agent.log" | sed 's/^/agent: /'
echo "bpfroute metrics (a whole walk at once), $N entries:"
/usr/bin/time -f '  %e s elapsed, %U s user, %S s system, %M KiB' \
	ip netns exec "$NS" "$BPFROUTE" --pin-dir "$PIN" metrics >"$DIR/metrics.txt"
grep -E '^bpfroute_(map_entries\{map="learned4"|target_learned_entries)' "$DIR/metrics.txt"
