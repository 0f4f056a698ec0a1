#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The command line: every refusal is one line on stderr with a non-zero exit
# and leaves the kernel and the pin directory as they were; load, reload,
# route add/del and unload do what they say. Runs in a network namespace of
# its own with veth pairs (no traffic) and a bpffs of its own.
set -u

BPFROUTE=${BPFROUTE:-$(cd "$(dirname "$0")/.." && pwd)/bpfroute}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP cli: needs root"
	exit 0
fi

ns=br-cli-$$
dir=$(mktemp -d /tmp/bpfroute-cli.XXXXXX)
pin=$dir/bpffs/bpfroute

cleanup() {
	ip netns del "$ns" 2>/dev/null
	umount "$dir/bpffs" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

ip netns add "$ns" || exit 1
mkdir "$dir/bpffs" && mount -t bpf bpf "$dir/bpffs" || exit 1
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link add lan0 type veth peer name tun0
in_ns ip link add lan1 type veth peer name tun1
for d in lo lan0 tun0 lan1 tun1; do in_ns ip link set "$d" up; done
in_ns ip addr add 192.0.2.1/24 dev lan0
in_ns ip addr add 2001:db8:1::1/64 dev lan0 nodad
# Masquerade targets: tun0 has global addresses of both families; tun1 only a
# link-local IPv4 one and its automatic fe80::, never a source to masquerade
# with.
in_ns ip addr add 100.64.0.1/30 dev tun0
in_ns ip addr add 2001:db8:100::1/64 dev tun0 nodad
in_ns ip addr add 169.254.7.1/16 dev tun1
# An L3 target like WireGuard: a TUN device, no Ethernet header. A bridge: an
# Ethernet device whose driver has no native XDP (none if not built in).
in_ns ip tuntap add mode tun dev tunx
# A gateway forwards (load warns otherwise: see forwarding_off_warned_*).
in_ns sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv6.conf.all.forwarding=1
have_bridge=false
in_ns ip link add brx0 type bridge 2>/dev/null && in_ns ip link set brx0 up && have_bridge=true

br() { in_ns "$BPFROUTE" -d "$pin" "$@"; }

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; }
check() {	# check NAME COMMAND...: pass if the command succeeds
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# expect_refusal NAME PATTERN COMMAND...: non-zero exit, exactly one line on
# stderr matching PATTERN, nothing on stdout.
expect_refusal() {
	local name=$1 pattern=$2 rc lines
	shift 2
	"$@" >"$dir/out" 2>"$dir/err"
	rc=$?
	lines=$(wc -l <"$dir/err")
	if [ "$rc" -ne 0 ] && [ "$lines" -eq 1 ] && grep -qE -- "$pattern" "$dir/err" &&
	   [ ! -s "$dir/out" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, $lines stderr lines: $(head -c 300 "$dir/err" | tr '\n' '|')"
	fi
}

# A fingerprint of everything bpfroute may touch: filters, XDP programs (with
# their ids: a rollback puts the very same program back) and pins.
state() {
	for d in lan0 lan1 tun0 tun1 brx0; do
		in_ns tc filter show dev "$d" ingress 2>/dev/null | sed 's/ id [0-9]*//; s/:\[[0-9]*\]//'
		in_ns tc filter show dev "$d" egress 2>/dev/null | sed 's/ id [0-9]*//; s/:\[[0-9]*\]//'
		echo "$d xdp: $(in_ns ip -d link show dev "$d" 2>/dev/null | grep -o 'prog/xdp[a-z]* id [0-9]*')"
	done
	ls -R "$dir/bpffs" 2>/dev/null
	bpftool map dump pinned "$pin/bpfroute_target" 2>/dev/null
	bpftool map dump pinned "$pin/bpfroute_lan" 2>/dev/null
}

conf() {	# conf NAME LINES...: write a config file, print its path
	local f=$dir/$1
	shift
	printf '%s\n' "$@" >"$f"
	echo "$f"
}

# target_field DEV FIELD: a field of DEV's entry in bpfroute_target, as bpftool
# shows it (a list for the addresses), or "none". Flags: 1 masquerade, 2
# draining, 4 Ethernet, 8 xdp, 16 down, 32 not strict (include/bpfroute_abi.h).
target_field() {
	local ifindex
	ifindex=$(in_ns cat "/sys/class/net/$1/ifindex") || return 1
	bpftool -j map dump pinned "$pin/bpfroute_target" | python3 -c "
import json, sys
for e in json.load(sys.stdin):
    f = e['formatted']
    if f['key'] == $ifindex:
        v = f['value']['$2']
        print(','.join(map(str, v)) if isinstance(v, list) else v)
        break
else:
    print('none')"
}

good=$(conf good.conf "interface lan0   # the LAN" "route 203.0.113.0/24 dev tun0" \
	"route 2001:db8:3::/64 dev tun0" "route *.corp.example.com dev tun0")

# --- usage and help ---------------------------------------------------------
expect_refusal no_command "no command given" "$BPFROUTE"
expect_refusal unknown_command "unknown or ambiguous command 'bogus'" "$BPFROUTE" bogus
expect_refusal ambiguous_prefix "unknown or ambiguous command 'r'" "$BPFROUTE" r
expect_refusal unknown_option "unknown option '--frob'" "$BPFROUTE" --frob status
check help_all "$BPFROUTE" help >/dev/null
check help_load bash -c "'$BPFROUTE' help load | grep -q 'reload atomically'"
check help_flag bash -c "'$BPFROUTE' route --help | grep -q 'add PREFIX dev IFNAME'"
expect_refusal help_unknown "unknown command 'nope'" "$BPFROUTE" help nope

# --- nothing loaded yet -----------------------------------------------------
expect_refusal status_not_loaded "not loaded at $pin" br status
expect_refusal routes_not_loaded "not loaded at $pin" br routes
expect_refusal why_not_loaded "^bpfroute is not loaded at $pin " br why 203.0.113.5
expect_refusal rules_not_loaded "^bpfroute is not loaded at $pin " br rules
expect_refusal metrics_not_loaded "not loaded at $pin" br metrics
expect_refusal metrics_no_json "metrics: no -j: the output is Prometheus text" br metrics -j
expect_refusal metrics_extra_arg "unexpected argument 'x'" br metrics x
expect_refusal route_add_not_loaded "not loaded at $pin" br route add 203.0.113.0/24 dev tun0
check unload_not_loaded br unload

# --- bad configs: refused before the kernel is touched ----------------------
before=$(state)
bad() {	# bad NAME PATTERN LINES...
	local name=$1 pattern=$2 f
	shift 2
	f=$(conf "$name.conf" "$@")
	expect_refusal "config_$name" "^$f:$pattern" br load -c "$f"
}
bad unknown_keyword "2: unknown keyword 'rout'" "interface lan0" "rout 203.0.113.0/24 dev tun0"
bad bad_prefix "2: host bits set in 203.0.113.1/24" "interface lan0" "route 203.0.113.1/24 dev tun0"
bad bad_length "2: bad prefix length" "interface lan0" "route 203.0.113.0/33 dev tun0"
bad bad_domain "3: bad domain" "interface lan0" "" "route a..b dev tun0"
bad missing_dev "2: expected 'dev'" "interface lan0" "route 203.0.113.0/24 via tun0"
bad unknown_iface "1: unknown device 'nope0'" "interface nope0" "route 203.0.113.0/24 dev tun0"
bad unknown_target "2: unknown device 'wg9'" "interface lan0" "route 203.0.113.0/24 dev wg9"
bad no_interface " no interface line" "route 203.0.113.0/24 dev tun0"
bad iface_is_target "2: lan0 is both" "interface lan0" "route 203.0.113.0/24 dev lan0"
bad duplicate "3: duplicate route" "interface lan0" "route 203.0.113.0/24 dev tun0" \
	"route 203.0.113.0/24 dev tun1"
bad masq_unknown_option "2: unknown option 'masq' after dev tun0" "interface lan0" \
	"route 203.0.113.0/24 dev tun0 masq"
bad target_no_masquerade "2: target tun0: missing 'masquerade'" "interface lan0" "target tun0"
bad target_unknown_word "2: unknown option 'snat' for target tun0" "interface lan0" \
	"target tun0 snat"
bad target_duplicate "3: duplicate target tun0 \(first at line 2\)" "interface lan0" \
	"target tun0 masquerade" "target tun0 masquerade"
bad target_is_lan "2: lan0 is both a LAN interface \(line 1\) and a target" "interface lan0" \
	"target lan0 masquerade"
bad target_unknown_dev "2: unknown device 'wg9'" "interface lan0" "target wg9 masquerade"
bad masq_no_address "2: tun1 has no global IPv4 or IPv6 address to masquerade with" \
	"interface lan0" "route 203.0.113.0/24 dev tun1 masquerade"
bad target_no_address "3: tun1 has no global IPv4 or IPv6 address to masquerade with" \
	"interface lan0" "route 203.0.113.0/24 dev tun1" "target tun1 masquerade"
bad xdp_and_masquerade "2: tun0: 'xdp' and 'masquerade' exclude each other: masquerade is done in TC, not XDP$" \
	"interface lan0" "target tun0 xdp masquerade"
bad xdp_after_masquerade "3: tun0: 'xdp' and 'masquerade' \(line 2\) exclude each other: masquerade is done in TC" \
	"interface lan0" "route 203.0.113.0/24 dev tun0 masquerade" "target tun0 xdp"
bad xdp_tun_target "3: tunx is not an Ethernet device \(link type 65534\): 'xdp' needs one$" \
	"interface lan0" "route 203.0.113.0/24 dev tunx" "target tunx xdp"
bad xdp_route_option "2: unknown option 'xdp' after dev tun0" "interface lan0" \
	"route 203.0.113.0/24 dev tun0 xdp"
expect_refusal config_missing_file "$dir/none.conf: No such file" br load -c "$dir/none.conf"
expect_refusal load_extra_arg "unexpected argument 'x'" br load -c "$good" x
expect_refusal load_no_file "needs a FILE" br load -c
check bad_configs_touch_nothing test "$before" = "$(state)"
check no_pin_dir_after_refusals test ! -e "$pin"

# --- version ----------------------------------------------------------------------
# One version, the Makefile's; the layout is the ABI header's.
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^VERSION := *//p' "$top/Makefile")
layout=$(sed -n 's/^#define BPFROUTE_LAYOUT_VERSION[[:space:]]*\([0-9]*\).*/\1/p' \
	"$top/include/bpfroute_abi.h")
check version_known test -n "$version" -a -n "$layout"
check version_long test "$("$BPFROUTE" --version)" = "$(printf 'bpfroute %s\npinned layout %s' "$version" "$layout")"
check version_short test "$("$BPFROUTE" -V)" = "$("$BPFROUTE" --version)"
expect_refusal pin_dir_empty "^--pin-dir is empty: give a directory on a bpf filesystem$" \
	in_ns "$BPFROUTE" -d "" status

# --- check: what load checks, touching nothing ----------------------------------
# check_same NAME FILE: check refuses FILE with exactly load's one line, and
# neither leaves anything behind.
check_same() {
	local name=$1 f=$2 rc_check rc_load
	br check -c "$f" >"$dir/check.out" 2>"$dir/check.err"
	rc_check=$?
	br load -c "$f" >/dev/null 2>"$dir/load.err"
	rc_load=$?
	if [ "$rc_check" -ne 0 ] && [ "$rc_load" -ne 0 ] && [ ! -s "$dir/check.out" ] &&
	   [ "$(wc -l <"$dir/check.err")" -eq 1 ] && cmp -s "$dir/check.err" "$dir/load.err"; then
		pass "$name"
	else
		fail "$name" "check exit $rc_check: $(tr '\n' '|' <"$dir/check.err"), load exit $rc_load: $(tr '\n' '|' <"$dir/load.err")"
	fi
}
before=$(state)
out=$(br check -c "$good" 2>"$dir/check.err")
check check_good test $? -eq 0 -a ! -s "$dir/check.err"
check check_good_summary test "$(head -1 <<<"$out")" = "$good: ok: 1 interface, 2 prefix routes, 1 domain rule, 1 target"
# The capacities the maps get, and their kernel memory when full, per map and
# in all (the learned tables at max-routes included).
check check_good_capacities test "$(sed -n 2p <<<"$out")" = \
	"capacities: 4096 domain rules (max-rules), 65536 IPv4 and 65536 IPv6 prefixes (max-prefixes), 1000000 learned addresses per family (max-routes)"
check check_good_memory grep -qE '^kernel memory of the maps when full, estimated from their capacity, key and value sizes: [0-9.]+ MiB$' <<<"$out"
check check_good_memory_rules grep -qE '^  bpfroute_rules +hash +4096 x +[0-9]+ B +[0-9.]+ [KM]iB$' <<<"$out"
check check_good_memory_tries grep -qE '^  bpfroute_route6 +lpm_trie +65536 x +[0-9]+ B' <<<"$out"
if command -v python3 >/dev/null; then
	check check_good_json bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' check -j -c '$good' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert (d[\"interfaces\"], d[\"prefix_routes\"], d[\"domain_rules\"], d[\"targets\"], d[\"programs_verified\"]) == (1, 2, 1, 1, True), d'"
	# The total is the sum of the maps; max-rules 8192 doubles the rules' share.
	mem_json() { br check -j -c "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
m = d["memory"]
assert m["total_bytes"] == sum(x["bytes"] for x in m["maps"]), m
r = [x for x in m["maps"] if x["map"] == "bpfroute_rules"][0]
assert r["max_entries"] == d["max_rules"], (r, d["max_rules"])
print(d["max_rules"], r["bytes"], m["total_bytes"])'; }
	read -r mr0 rb0 tot0 < <(mem_json "$good")
	f=$(conf max_rules.conf "interface lan0" "route *.corp.example.com dev tun0" "max-rules 8192")
	read -r mr1 rb1 tot1 < <(mem_json "$f")
	if [ "${mr0:-}" = 4096 ] && [ "${mr1:-}" = 8192 ] && [ "${rb0:-0}" -gt 0 ] &&
	   [ $((rb1 * 10 / rb0)) -ge 19 ] && [ $((rb1 * 10 / rb0)) -le 21 ] &&
	   [ "$tot1" -gt "$tot0" ]; then
		pass check_memory_max_rules
	else
		fail check_memory_max_rules "max-rules ${mr0:-?}: ${rb0:-?} B of ${tot0:-?}; ${mr1:-?}: ${rb1:-?} B of ${tot1:-?}"
	fi
fi
check_same check_unknown_target "$dir/unknown_target.conf"
check_same check_duplicate "$dir/duplicate.conf"
check_same check_masq_no_address "$dir/masq_no_address.conf"
check_same check_xdp_tun_target "$dir/xdp_tun_target.conf"
check_same check_missing_file "$dir/none.conf"
# Capacities: one domain rule more than max-rules is refused by both at its
# line, naming the setting, before any pin exists.
{
	echo "interface lan0"
	echo "max-rules 100"
	for ((i = 0; i <= 100; i++)); do echo "route r$i.corp.example.com dev tun0"; done
} >"$dir/rules.conf"
expect_refusal check_too_many_rules \
	"^$dir/rules.conf:103: more than 100 domain rules: max-rules is 100 \($dir/rules.conf:2\)$" \
	br check -c "$dir/rules.conf"
check_same check_too_many_rules_as_load "$dir/rules.conf"
check check_touches_nothing test "$before" = "$(state)"
check check_no_pin_dir test ! -e "$pin"

# --- config files that are not regular files ----------------------------------
# A FIFO used to block load until a writer came; a directory or a device
# was read. Refused in one line, before anything is read.
mkfifo "$dir/fifo.conf"
expect_refusal config_fifo "^$dir/fifo.conf: not a regular file \(a FIFO\)$" \
	timeout 10 "$BPFROUTE" -d "$pin" load -c "$dir/fifo.conf"
expect_refusal config_directory "^$dir: not a regular file \(a directory\)$" br load -c "$dir"
expect_refusal config_dev_zero "^/dev/zero: not a regular file \(a character device\)$" \
	br check -c /dev/zero
truncate -s 17M "$dir/big.conf"
expect_refusal config_too_big "^$dir/big.conf: larger than 16 MiB$" br load -c "$dir/big.conf"
check config_non_regular_no_pin_dir test ! -e "$pin"

# --- a duplicate among many routes ----------------------------------------------
# Found by a hash now, not by a walk of every earlier route: the same line
# numbers as ever.
awk 'BEGIN { print "interface lan0";
	for (i = 0; i < 30000; i++)
		printf "route 100.%d.%d.%d/32 dev tun0\n", 64 + int(i / 65536), int(i / 256) % 256, i % 256;
	print "route 100.64.19.135/32 dev tun0" }' >"$dir/many.conf"
expect_refusal config_duplicate_among_many \
	"^$dir/many.conf:30002: duplicate route 100.64.19.135/32 \(first at line 5001\)$" \
	br check -c "$dir/many.conf"

# --- load ---------------------------------------------------------------------
check load br load -c "$good"
check attached_lan0 bash -c "ip netns exec $ns tc filter show dev lan0 ingress | grep -q 'handle 0xb9f0 bpfroute_steer'"
check pins_exist test -e "$pin/bpfroute_route4" -a -e "$pin/bpfroute_route6" \
	-a -e "$pin/bpfroute_excl4" -a -e "$pin/bpfroute_excl6" -a -e "$pin/bpfroute_stats"
# Forwarding off on the LAN interface: load says so for each family, and
# says nothing once it is on again.
in_ns sysctl -qw net.ipv4.conf.lan0.forwarding=0 net.ipv6.conf.lan0.forwarding=0
out=$(br load -c "$good" 2>&1 >/dev/null)
check forwarding_off_warned_ipv4 grep -q "^warning: IPv4 forwarding is off on lan0: .*net.ipv4.conf.lan0.forwarding=1$" <<<"$out"
check forwarding_off_warned_ipv6 grep -q "^warning: IPv6 forwarding is off on lan0: .*net.ipv6.conf.lan0.forwarding=1$" <<<"$out"
in_ns sysctl -qw net.ipv4.conf.lan0.forwarding=1 net.ipv6.conf.lan0.forwarding=1
out=$(br load -c "$good" 2>&1 >/dev/null)
check forwarding_on_no_warning test -z "$(grep forwarding <<<"$out")"
check routes_listed bash -c "'$BPFROUTE' -d '$pin' routes >/dev/null && ip netns exec $ns '$BPFROUTE' -d '$pin' routes | grep -qE '^203.0.113.0/24 +tun0 .* config$'"
check own_address_excluded bash -c "bpftool -j map dump pinned '$pin/bpfroute_excl4' | grep -q '\"addr\":\[192,0,2,1\]'"
if command -v python3 >/dev/null; then
	check status_json bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' -j status | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"attached\"][0][\"dev\"]==\"lan0\"; assert d[\"maps\"][\"routes4\"][\"entries\"]==1'"
	check routes_json bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' routes -j | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [r[\"prefix\"] for r in d]==[\"203.0.113.0/24\",\"2001:db8:3::/64\"]'"
fi

# --- why and rules: read the instance of $good, in the classifier's order ------
# why_json NAME PYTHON-TEST OPERAND: `why OPERAND -j` exits 0 and its JSON, d,
# passes the test.
why_json() {
	local out
	if out=$(br why "$3" -j 2>&1) &&
	   python3 -c "import json, sys; d = json.load(sys.stdin); assert ($2), d" <<<"$out" \
		>/dev/null 2>&1; then
		pass "$1"
	else
		fail "$1" "why $3 -j: $out"
	fi
}
if command -v python3 >/dev/null; then
	why_json why_prefix_route "d['steered'] and d['verdict'] == 'prefix' and
		d['prefix']['prefix'] == '203.0.113.0/24' and d['prefix']['origin'] == 'config' and
		d['target']['dev'] == 'tun0' and d['target']['state'] == 'up' and
		not d['target']['masquerade'] and d['learned'] is None" 203.0.113.5
	why_json why_prefix_route6 "d['verdict'] == 'prefix' and
		d['prefix']['prefix'] == '2001:db8:3::/64'" 2001:db8:3::7
	why_json why_special_loopback "not d['steered'] and d['verdict'] == 'special' and
		d['target'] is None" 127.0.0.1
	why_json why_special_multicast6 "d['verdict'] == 'special'" ff02::1
	why_json why_excluded_own_address "not d['steered'] and d['verdict'] == 'excluded' and
		d['excluded']['reason'] == 'local' and d['excluded']['dev'] == 'lan0'" \
		192.0.2.1
	why_json why_no_entry "not d['steered'] and d['verdict'] == 'no_entry' and
		d['prefix'] is None" 198.51.100.7
	why_json why_name_wildcard_rule "d['rule']['rule'] == '*.corp.example.com' and
		d['rule']['id'] == 0 and d['rule']['dev'] == 'tun0' and d['learned'] == []" \
		WWW.Corp.Example.com.
	why_json why_name_wildcard_not_itself "d['rule'] is None" corp.example.com
	why_json why_name_no_rule "d['rule'] is None and d['learned'] == []" other.example.net
	check rules_json bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' rules -j | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d == [dict(rule=\"*.corp.example.com\", id=0, wildcard=True, bypass=False, dev=\"tun0\",
                  ifindex=d[0][\"ifindex\"], masquerade=False, clients=\"all\", learned4=0,
                  learned6=0)], d'"
	# Which rule a name falls under, as the learner decides: an exact rule
	# first, then the most specific wildcard, which never covers its own name.
	nested=$(conf nested.conf "interface lan0" "route *.example.com dev tun0" \
		"route *.corp.example.com dev tun1" "route vip.corp.example.com dev tun0")
	check why_nested_load br load -c "$nested"
	why_json why_rule_exact_first "d['rule']['rule'] == 'vip.corp.example.com' and
		d['rule']['id'] == 2" vip.corp.example.com
	why_json why_rule_longest_wildcard "d['rule']['rule'] == '*.corp.example.com' and
		d['rule']['dev'] == 'tun1'" a.vip.corp.example.com
	why_json why_rule_parent_wildcard "d['rule']['rule'] == '*.example.com'" corp.example.com
	why_json why_rule_none_above "d['rule'] is None" example.com
	# A rule that stays keeps its id (*.corp.example.com, 0 since $good, now
	# to tun1); new rules take the lowest free ids, in config order.
	check rules_ids_kept bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' rules -j |
		python3 -c 'import json, sys; d = json.load(sys.stdin)
assert [(r[\"id\"], r[\"rule\"], r[\"dev\"]) for r in d] == [(0, \"*.corp.example.com\", \"tun1\"),
	(1, \"*.example.com\", \"tun0\"), (2, \"vip.corp.example.com\", \"tun0\")], d'"
	# A rule and a prefix of a client group: rules, routes and why name it.
	grouped=$(conf grouped.conf "interface lan0" "clients staff 192.0.2.0/26 2001:db8:1::/64" \
		"route *.corp.example.com dev tun0 clients staff" \
		"route 203.0.113.0/24 dev tun0 clients staff")
	check clients_load br load -c "$grouped"
	check clients_rules_text bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' rules |
		grep -qE '^0 +\*\.corp\.example\.com +tun0 +no +staff +0 +0$'"
	check clients_routes_text bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' routes |
		grep -qE '^203\.0\.113\.0/24 .* config, clients staff$'"
	why_json clients_why "d['verdict'] == 'prefix' and d['clients'] == 'staff' and
		d['from'] is None" 203.0.113.5
	check clients_why_text bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' why 203.0.113.5 \
		from 192.0.2.200 | grep -qx '203.0.113.5: not steered from 192.0.2.200: its prefix is \
for client group staff, which does not hold 192.0.2.200'"
	check why_nested_back br load -c "$good"
fi
check why_text_prefix bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' why 203.0.113.5 |
	grep -qx '203.0.113.5: steered by the prefix 203.0.113.0/24 (config)'"
check why_text_excluded bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' why 192.0.2.1 |
	grep -qx '192.0.2.1: not steered: excluded, an address of the gateway (lan0)'"
check why_text_no_rule bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' why other.example.net |
	grep -qx '  rule:      none: answers for it are not learned'"
check rules_text bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' rules |
	grep -qE '^0 +\*\.corp\.example\.com +tun0 +no +all +0 +0$'"
expect_refusal why_bad_address "^why: '203.0.113.999' is not an IPv4 or IPv6 address; usage: " \
	br why 203.0.113.999
expect_refusal why_bad_name "^why: 'a\.\.b' is neither an address nor a name: empty label; " \
	br why a..b
expect_refusal why_prefix_refused "^why: 203.0.113.0/24 is a prefix" br why 203.0.113.0/24
expect_refusal why_wildcard_refused "is a rule, not a name" br why '*.corp.example.com'
expect_refusal why_no_operand "^why: expected an ADDRESS or a NAME; usage: " br why
expect_refusal why_extra_arg "^why: unexpected argument 'x'" br why 203.0.113.5 -j x
expect_refusal why_from_bad_source "^why: from: 'x' is not an IPv4 address, as 203\.0\.113\.5 is" \
	br why 203.0.113.5 from x
expect_refusal why_from_other_family "^why: from: '2001:db8::1' is not an IPv4 address" \
	br why 203.0.113.5 from 2001:db8::1
expect_refusal why_from_no_source "^why: from: expected a source address" br why 203.0.113.5 from
expect_refusal why_from_with_name "^why: unexpected argument 'from'" \
	br why app.example.org from 192.0.2.2
expect_refusal rules_extra_arg "^rules: unexpected argument 'x'" br rules x
check help_why bash -c "'$BPFROUTE' help why | grep -q 'ADDRESS|NAME'"
check help_lists_why_rules bash -c "'$BPFROUTE' help | grep -q '^  why ' &&
	'$BPFROUTE' help | grep -q '^  rules '"

# --- bypass: exceptions to the routes, the most specific wins -----------------
bypassed=$(conf bypassed.conf "interface lan0" "route *.corp.example.com dev tun0" \
	"bypass public.corp.example.com" "route 203.0.113.0/24 dev tun0" \
	"bypass 203.0.113.128/25" "bypass *.a.corp.example.com" \
	"route x.a.corp.example.com dev tun0" "bypass 2001:db8:3::/64")
out=$(br check -c "$bypassed" 2>"$dir/check.err")
check bypass_check test $? -eq 0 -a ! -s "$dir/check.err"
check bypass_check_summary test "${out%%$'\n'*}" = \
	"$bypassed: ok: 1 interface, 1 prefix route, 2 domain rules, 1 target, 4 bypasses"
before=$(state)
bad bypass_and_route "4: public.corp.example.com is both a route \($dir/bypass_and_route.conf:3\) and a bypass$" \
	"interface lan0" "route *.corp.example.com dev tun0" "route public.corp.example.com dev tun0" \
	"bypass public.corp.example.com"
bad bypass_with_dev "2: usage: bypass PREFIX\|DOMAIN$" "interface lan0" "bypass 203.0.113.0/24 dev tun0"
check bypass_refusals_touch_nothing test "$before" = "$(state)"
check bypass_load br load -c "$bypassed"
rules=$(br rules)
check bypass_rules_text bash -c "grep -qE '^1 +public\.corp\.example\.com +bypass +- +all +0 +0$' <<<'$rules' &&
	grep -qE '^2 +\*\.a\.corp\.example\.com +bypass +- +all +0 +0$' <<<'$rules' &&
	grep -qE '^3 +x\.a\.corp\.example\.com +tun0 +no +all +0 +0$' <<<'$rules'"
routes=$(br routes)
check bypass_routes_text bash -c "grep -qE '^203\.0\.113\.128/25 +bypass +- .* config$' <<<'$routes' &&
	grep -qE '^203\.0\.113\.0/24 +tun0 +no .* config$' <<<'$routes'"
check bypass_why_name_text bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' why public.corp.example.com |
	grep -qx '  rule:      bypass public.corp.example.com (id 1), the most specific, wins over \*.corp.example.com: answers for it are not learned, it stays on the ordinary path'"
check bypass_why_address_text bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' why 203.0.113.130 |
	grep -qx '203.0.113.130: not steered: inside the bypass 203.0.113.128/25 (config): the ordinary path; never learned either'"
check bypass_status_counters bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' status |
	grep -qE '^  pass_bypass +0$' && ip netns exec $ns '$BPFROUTE' -d '$pin' status |
	grep -qE '^  dns_bypass +0$' && ip netns exec $ns '$BPFROUTE' -d '$pin' status |
	grep -qE '^  dns_refused_bypass +0$'"
if command -v python3 >/dev/null; then
	why_json bypass_why_name "d['rule']['rule'] == 'public.corp.example.com' and
		d['rule']['bypass'] and d['rule']['overrides'] == '*.corp.example.com' and
		d['rule']['dev'] == ''" public.corp.example.com
	why_json bypass_why_sibling "d['rule']['rule'] == '*.corp.example.com' and
		not d['rule']['bypass'] and d['rule']['dev'] == 'tun0'" www.corp.example.com
	why_json bypass_why_wildcard "d['rule']['rule'] == '*.a.corp.example.com' and
		d['rule']['bypass'] and d['rule']['overrides'] == '*.corp.example.com'" y.a.corp.example.com
	why_json bypass_why_exact_route_under_it "d['rule']['rule'] == 'x.a.corp.example.com' and
		not d['rule']['bypass'] and d['rule']['dev'] == 'tun0'" x.a.corp.example.com
	why_json bypass_why_address "not d['steered'] and d['verdict'] == 'bypass' and
		d['prefix']['prefix'] == '203.0.113.128/25' and d['prefix']['bypass'] and
		d['target'] is None" 203.0.113.130
	why_json bypass_why_address_beside "d['steered'] and d['verdict'] == 'prefix' and
		d['prefix']['prefix'] == '203.0.113.0/24'" 203.0.113.5
	why_json bypass_why_address6 "d['verdict'] == 'bypass'" 2001:db8:3::7
	check bypass_rules_json bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' rules -j |
		python3 -c 'import json, sys; d = json.load(sys.stdin)
assert [(r[\"rule\"], r[\"bypass\"], r[\"dev\"]) for r in d] == [(\"*.corp.example.com\", False, \"tun0\"),
	(\"public.corp.example.com\", True, \"\"), (\"*.a.corp.example.com\", True, \"\"),
	(\"x.a.corp.example.com\", False, \"tun0\")], d'"
	check bypass_routes_json bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' routes -j |
		python3 -c 'import json, sys; d = json.load(sys.stdin)
assert [(r[\"prefix\"], r[\"bypass\"]) for r in d] == [(\"203.0.113.0/24\", False),
	(\"203.0.113.128/25\", True), (\"2001:db8:3::/64\", True)], d'"
	check bypass_check_json bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' check -j -c '$bypassed' |
		python3 -c 'import json, sys; d = json.load(sys.stdin)
assert (d[\"prefix_routes\"], d[\"domain_rules\"], d[\"bypasses\"]) == (1, 2, 4), d'"
fi
check bypass_back br load -c "$good"

# --- route add / del ----------------------------------------------------------
expect_refusal route_bad_prefix "route: 203.0.113.0/99: bad prefix length" \
	br route add 203.0.113.0/99 dev tun0
expect_refusal route_unknown_dev "unknown device 'wg9'" br route add 198.51.100.0/24 dev wg9
expect_refusal route_to_lan "lan0 is a LAN interface" br route add 198.51.100.0/24 dev lan0
expect_refusal route_bad_syntax "expected 'add PREFIX dev IFNAME'" br route add 198.51.100.0/24 tun0
expect_refusal route_del_missing "no route 198.51.100.0/24" br route del 198.51.100.0/24
if command -v python3 >/dev/null; then
	check route_add_no_target_yet test "$(target_field tun1 flags)" = none
fi
check route_add br route add 198.51.100.0/24 dev tun1
if command -v python3 >/dev/null; then
	# A new device gets its entry as load would write it: Ethernet (4) or not.
	check route_add_target_ether test "$(target_field tun1 flags)" = 4
	check route_add_tun br route add 198.51.100.128/25 dev tunx
	# No process holds tunx: no carrier, so down (16).
	check route_add_target_l3 test "$(target_field tunx flags)" = 16
	check route_del_tun br route del 198.51.100.128/25
fi
check route_add_v6 br route add 2001:db8:5::/48 dev tun1
check route_add_listed bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' routes | grep -qE '^198.51.100.0/24 +tun1 .* manual$'"
check route_del_exact bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' route del 2001:db8:5::/48 && ! ip netns exec $ns '$BPFROUTE' -d '$pin' routes | grep -q 2001:db8:5::"

# --- reload: config routes follow the file, manual ones stay ------------------
id_before=$(in_ns tc filter show dev lan0 ingress | grep -o ' id [0-9]*')
next=$(conf next.conf "interface lan0" "interface lan1" "route 203.0.113.128/25 dev tun0")
check reload br load -c "$next"
id_after=$(in_ns tc filter show dev lan0 ingress | grep -o ' id [0-9]*')
check reload_replaced_program test -n "$id_after" -a "$id_before" != "$id_after"
check reload_one_filter test "$(in_ns tc filter show dev lan0 ingress | grep -c 'handle 0xb9f0')" -eq 1
check reload_attached_lan1 bash -c "ip netns exec $ns tc filter show dev lan1 ingress | grep -q bpfroute_steer"
routes=$(br routes)
check reload_dropped_config_route bash -c "! grep -q '^203.0.113.0/24 ' <<<'$routes' && ! grep -q '2001:db8:3::/64' <<<'$routes'"
check reload_added_config_route grep -qE '^203.0.113.128/25 +tun0 .* config$' <<<"$routes"
check reload_kept_manual_route grep -qE '^198.51.100.0/24 +tun1 .* manual$' <<<"$routes"
check reload_back br load -c "$good"
check reload_detached_lan1 bash -c "! ip netns exec $ns tc filter show dev lan1 ingress | grep -q bpfroute_steer"

# --- a refused reload changes nothing -----------------------------------------
before=$(state)
routes_before=$(br routes)
bad reload_bad_target "2: unknown device 'wg9'" "interface lan0" "route 203.0.113.0/24 dev wg9"
bad reload_masq_no_address "2: tun1 has no global IPv4 or IPv6 address" "interface lan0" \
	"route 203.0.113.0/24 dev tun1 masquerade"
check refused_reload_touches_nothing test "$before" = "$(state)" -a "$routes_before" = "$(br routes)"

# --- route-list: list files, read with the config at every load ---------------
# rule_names: the rules of the instance, in id order, on one line.
rule_names() { br rules | awk '$1 ~ /^[0-9]+$/ { print $2 }' | paste -sd' '; }
mkdir "$dir/lists"
printf '%s\n' "# corp" "app.example.org" "*.corp.example.com   # below" "203.0.113.0/24" \
	"app.example.org" >"$dir/lists/corp.txt"
printf '%s\n' "domain:example.net @ads" "full:www.example.org" >"$dir/lists/v2.txt"
listed=$(conf listed.conf "interface lan0" "route-list lists/corp.txt dev tun0" \
	"route-list lists/v2.txt dev tun0 format v2fly")
out=$(br check -c "$listed" 2>"$dir/check.err")
check list_check test $? -eq 0 -a ! -s "$dir/check.err"
check list_check_summary test "$(head -1 <<<"$out")" = \
	"$listed: ok: 1 interface, 1 prefix route, 5 domain rules, 1 target"
check list_load br load -c "$listed"
# *.corp.example.com keeps the id it had in $good, 0; the others follow.
check list_rules test "$(rule_names)" = \
	"*.corp.example.com app.example.org example.net *.example.net www.example.org"
check list_routes bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' routes |
	grep -qE '^203.0.113.0/24 +tun0 .* config$'"
# A changed list is read again by the next load (as by the agent's SIGHUP).
printf '%s\n' "app.example.org" "198.51.100.0/24" >"$dir/lists/corp.txt"
check list_reload br load -c "$listed"
check list_reload_rules test "$(rule_names)" = \
	"app.example.org example.net *.example.net www.example.org"
routes=$(br routes)
check list_reload_routes bash -c "grep -qE '^198.51.100.0/24 +tun0 .* config$' <<<'$routes' &&
	! grep -q '^203.0.113.0/24 ' <<<'$routes'"
# Refused at the list's line, or at the config's for a list that is not there:
# nothing changes.
before=$(state)
routes_before=$(br routes)
rules_before=$(rule_names)
printf '%s\n' "domain:ok.example.com" "keyword:google" >"$dir/lists/bad.txt"
f=$(conf bad_list.conf "interface lan0" "route-list lists/bad.txt dev tun0 format v2fly")
expect_refusal list_bad_entry "^$dir/lists/bad.txt:2: keyword: is not supported" \
	br load -c "$f"
f=$(conf missing_list.conf "interface lan0" "" "route-list lists/none.txt dev tun0")
expect_refusal list_missing "^$f:3: route-list $dir/lists/none.txt: No such file or directory$" \
	br load -c "$f"
check_same list_missing_check_as_load "$f"
check list_refusals_touch_nothing test "$before" = "$(state)" -a \
	"$routes_before" = "$(br routes)" -a "$rules_before" = "$(rule_names)"
# Pinned maps keep their size: a config that needs more, or sets another
# size, is refused in one line by check and load alike, and nothing changes.
f=$(conf bigger.conf "interface lan0" "route-list lists/corp.txt dev tun0" "max-rules 8192")
expect_refusal capacity_pinned_setting \
	"^$f:3: max-rules 8192, but the pinned bpfroute_rules holds 4096: run 'bpfroute unload' first to resize it" \
	br load -c "$f"
check_same capacity_pinned_setting_check "$f"
awk 'BEGIN { for (i = 0; i < 4097; i++) printf "n%d.many.example\n", i }' >"$dir/lists/many.txt"
f=$(conf many.conf "interface lan0" "route-list lists/many.txt dev tun0")
expect_refusal capacity_pinned_full \
	"^$f: 4097 entries for bpfroute_rules, which is pinned with room for 4096: set max-rules and run 'bpfroute unload' first" \
	br load -c "$f"
check_same capacity_pinned_full_check "$f"
check capacity_refusals_touch_nothing test "$before" = "$(state)" -a \
	"$routes_before" = "$(br routes)" -a "$rules_before" = "$(rule_names)"

# A reload of changed lists: rules that stay keep their ids, new ones take
# free ids, removed ones go; prefixes likewise, and the summary follows.
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "n%d.big.example\n", i }' >"$dir/lists/names.txt"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "100.64.%d.%d\n", int(i / 256), i % 256 }' \
	>"$dir/lists/pfx.txt"
f=$(conf big.conf "interface lan0" "route-list lists/names.txt dev tun0" \
	"route-list lists/pfx.txt dev tun0")
check list_big_load br load -c "$f"
br rules -j >"$dir/rules_before.json"
# 500 of each removed, 500 added.
awk 'BEGIN { for (i = 500; i < 3500; i++) printf "n%d.big.example\n", i }' >"$dir/lists/names.txt"
awk 'BEGIN { for (i = 500; i < 3500; i++) printf "100.64.%d.%d\n", int(i / 256), i % 256 }' \
	>"$dir/lists/pfx.txt"
check list_big_reload br load -c "$f"
br rules -j >"$dir/rules_after.json"
check list_big_ids_kept python3 -c "
import json
b = {r['rule']: r['id'] for r in json.load(open('$dir/rules_before.json'))}
a = {r['rule']: r['id'] for r in json.load(open('$dir/rules_after.json'))}
want = {'n%d.big.example' % i for i in range(500, 3500)}
assert set(a) == want, (len(a), len(want))
kept = [n for n in a if n in b]
assert len(kept) == 2500 and all(a[n] == b[n] for n in kept), 'an id changed'
assert len(set(a.values())) == 3000 and max(a.values()) < 4096, 'ids'
"
routes=$(br routes)
check list_big_routes test "$(grep -c '^100\.64\..* config$' <<<"$routes")" = 3000
check list_big_removed_prefix test -z "$(grep '^100\.64\.0\.1/32 ' <<<"$routes")"
check list_big_new_prefix_steered bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' why 100.64.13.171 | grep -q 'steered by the prefix 100.64.13.171/32'"
check list_back br load -c "$good"

# --- a second instance may not take the first one's filter -------------------
other=$dir/bpffs/other
expect_refusal second_instance_refused "lan0: clsact ingress handle .* not this instance's" \
	in_ns "$BPFROUTE" -d "$other" load -c "$good"
check second_instance_left_nothing test ! -e "$other"
check first_instance_intact bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' status | grep -q '^  lan0 '"

# --- domain rules, resolvers and settings -------------------------------------
map_entries() { bpftool -j map dump pinned "$pin/$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
conf_field() { bpftool -j map dump pinned "$pin/bpfroute_conf" | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['formatted']['value']['$1'])"; }
dns=$(conf dns.conf "interface lan0" "route *.corp.example.com dev tun0" "route app.example.org dev tun1" \
	"resolver 192.0.2.53" "resolver 2001:db8::53" "min-ttl 5" "max-ttl 600" "idle-timeout 7" \
	"max-routes 1000")
if command -v python3 >/dev/null; then
	check dns_fresh_start br unload
	check dns_load br load -c "$dns"
	check dns_rules_written test "$(map_entries bpfroute_rules)" -eq 2
	check dns_resolvers_written test "$(map_entries bpfroute_resolv)" -eq 2
	# 1 resolvers, 2 learn, 4 next hops kept (no policy rule here)
	check dns_conf_flags test "$(conf_field flags)" -eq 7
	check dns_conf_ttls test "$(conf_field min_ttl)-$(conf_field max_ttl)-$(conf_field idle_timeout)" = "5-600-7"
	key_before=$(conf_field hash_key)
	check dns_learner_on_egress bash -c "ip netns exec $ns tc filter show dev lan0 egress | grep -q 'handle 0xb9f0 bpfroute_learn'"
	check dns_max_routes_written test "$(conf_field max_routes)" -eq 1000
	less=$(conf dns2.conf "interface lan0" "route *.corp.example.com dev tun0" "max-routes 1000")
	check dns_reload_fewer_rules br load -c "$less"
	check dns_rule_dropped test "$(map_entries bpfroute_rules)" -eq 1
	check dns_resolvers_dropped test "$(map_entries bpfroute_resolv)" -eq 0
	check dns_conf_flags_narrowed test "$(conf_field flags)" -eq 6
	check dns_hash_key_kept test "$key_before" = "$(conf_field hash_key)"
	# max-routes bounds the learned tables, which size themselves: a reload changes it.
	tables_before=$(bpftool -j map dump pinned "$pin/bpfroute_host4")
	resize=$(conf dns3.conf "interface lan0" "route *.corp.example.com dev tun0" "max-routes 2000")
	check dns_max_routes_change br load -c "$resize"
	check dns_max_routes_changed test "$(conf_field max_routes)" -eq 2000
	check dns_max_routes_change_keeps_tables test "$tables_before" = \
		"$(bpftool -j map dump pinned "$pin/bpfroute_host4")"
	plain=$(conf dns4.conf "interface lan0" "route 203.0.113.0/24 dev tun0" "max-routes 1000")
	check dns_reload_no_rules br load -c "$plain"
	check dns_no_rules_learning_off test "$(conf_field flags)" -eq 4
	# A policy rule may make a route depend on the client: next hops are not kept.
	in_ns ip rule add from 192.0.2.0/24 lookup 100 pref 100
	check policy_rule_reload br load -c "$plain"
	check policy_rule_next_hops_not_kept test "$(conf_field flags)" -eq 0
	in_ns ip rule del from 192.0.2.0/24 lookup 100 pref 100
	check policy_rule_gone_reload br load -c "$plain"
	check policy_rule_gone_next_hops_kept test "$(conf_field flags)" -eq 4
	check dns_back bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' unload && ip netns exec $ns '$BPFROUTE' -d '$pin' load -c '$good'"
fi

# --- the XDP stage ----------------------------------------------------------------
# xdp_on DEV: a native XDP program is attached (`ip link` says "xdp", generic
# would say "xdpgeneric"); xdp_id DEV: its id, empty if none.
xdp_on() { in_ns ip link show dev "$1" | grep -q ' xdp '; }
xdp_id() { in_ns ip -d link show dev "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'; }
not() { ! "$@"; }
steer_on() { in_ns tc filter show dev "$1" ingress | grep -q 'handle 0xb9f0 bpfroute_steer'; }
# lan_macs: bpfroute_lan as "IFINDEX=MAC ..."; want_macs DEV...: what it should hold.
lan_macs() {
	local dump
	dump=$(bpftool -j map dump pinned "$pin/bpfroute_lan") || { echo unreadable; return; }
	python3 -c '
import json, sys
print(" ".join(sorted("%d=%s" % (e["formatted"]["key"],
      ":".join("%02x" % b for b in e["formatted"]["value"]["mac"])) for e in json.load(sys.stdin))))' \
		<<<"$dump" || echo unreadable
}
want_macs() {
	local d
	for d in "$@"; do
		echo "$(in_ns cat "/sys/class/net/$d/ifindex")=$(in_ns cat "/sys/class/net/$d/address")"
	done | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}
# A program of someone else's, to sit on a LAN interface's XDP hook.
foreign=$dir/foreign.o
printf '%s\n' 'struct xdp_md;' \
	'__attribute__((section("xdp"), used)) int foreign_pass(struct xdp_md *ctx) { return 2; }' \
	'__attribute__((section("license"), used)) char LICENSE[] = "GPL";' >"$dir/foreign.c"
have_foreign=false
clang -O2 -target bpf -c "$dir/foreign.c" -o "$foreign" 2>/dev/null && have_foreign=true

xdp=$(conf xdp.conf "interface lan0" "interface lan1" "route 203.0.113.0/24 dev tun0" \
	"route 198.51.100.0/24 dev tunx" "target tun0 xdp")
if command -v python3 >/dev/null; then
	check xdp_none_before not xdp_on lan0
	check xdp_load br load -c "$xdp"
	check xdp_attached_lan0 xdp_on lan0
	check xdp_attached_lan1 xdp_on lan1
	id0=$(xdp_id lan0)
	id1=$(xdp_id lan1)
	check xdp_prog_named bash -c "bpftool prog show id '$id0' | grep -q '^$id0: xdp  name bpfroute_xdp '"
	check xdp_bpftool_net bash -c "ip netns exec $ns bpftool net show dev lan0 | grep -q '^lan0([0-9]*) driver id $id0\$'"
	check xdp_tc_kept steer_on lan0
	check xdp_target_flags test "$(target_field tun0 flags)" = 12	# 4 Ethernet + 8 xdp
	check xdp_l3_target_flags test "$(target_field tunx flags)" = 16	# down: no carrier
	check xdp_lan_entries test "$(lan_macs)" = "$(want_macs lan0 lan1)"
	check xdp_status_text bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' status | grep -qE '^  lan0 +ifindex [0-9]+ +tc ingress prog [0-9]+, egress prog [0-9]+, xdp prog $id0\$' && ip netns exec $ns '$BPFROUTE' -d '$pin' status | grep -qE '^  tun0 +ifindex [0-9]+ +routed +ether,xdp ' && ip netns exec $ns '$BPFROUTE' -d '$pin' status | grep -qE '^  tunx +ifindex [0-9]+ +routed +- '"
	check xdp_status_json bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' status -j | python3 -c '
import json, sys
d = json.load(sys.stdin)
a = {x[\"dev\"]: x[\"xdp_prog_id\"] for x in d[\"attached\"]}
assert a == {\"lan0\": $id0, \"lan1\": $id1}, a
t = {x[\"dev\"]: x for x in d[\"targets\"]}
assert t[\"tun0\"][\"ether\"] and t[\"tun0\"][\"xdp\"] and not t[\"tun0\"][\"masquerade\"], t
assert not t[\"tunx\"][\"ether\"] and not t[\"tunx\"][\"xdp\"], t
assert d[\"maps\"][\"lans\"][\"entries\"] == 2, d[\"maps\"][\"lans\"]
'"

	# Refused reloads leave the stage as it is: the same programs, the same entries.
	before=$(state)
	bad xdp_reload_tun_target "2: tunx is not an Ethernet device" "interface lan0" "target tunx xdp"
	bad xdp_reload_masquerade "3: tun0: 'masquerade' and 'xdp' \(line 2\) exclude each other" \
		"interface lan0" "target tun0 xdp" "route 203.0.113.0/24 dev tun0 masquerade"
	check xdp_refused_reload_touches_nothing test "$before" = "$(state)"

	# A LAN interface whose driver has no native XDP, after one that has:
	# refused, and lan0's XDP program and both classifiers put back.
	if $have_bridge; then
		brconf=$(conf xdp_bridge.conf "interface lan0" "interface brx0" \
			"route 203.0.113.0/24 dev tun0" "target tun0 xdp")
		expect_refusal xdp_no_native "^brx0: its driver has no native XDP" br load -c "$brconf"
		check xdp_no_native_rolled_back test "$before" = "$(state)"
		check xdp_no_native_same_prog test "$(xdp_id lan0)" = "$id0"
		check xdp_no_native_no_filter bash -c "! ip netns exec $ns tc filter show dev brx0 ingress | grep -q bpf"
	else
		echo "SKIP xdp_no_native: no bridge devices in this kernel"
	fi

	# Reload: replaced in place; an interface dropped from the config loses it.
	check xdp_reload br load -c "$xdp"
	check xdp_reload_replaced test -n "$(xdp_id lan0)" -a "$(xdp_id lan0)" != "$id0"
	one=$(conf xdp1.conf "interface lan0" "route 203.0.113.0/24 dev tun0" "target tun0 xdp")
	check xdp_reload_drop_lan1 br load -c "$one"
	check xdp_dropped_lan1_detached not xdp_on lan1
	check xdp_dropped_lan1_lan0_kept xdp_on lan0
	check xdp_dropped_lan1_entry test "$(lan_macs)" = "$(want_macs lan0)"

	# No target says xdp any more: off everywhere, entries and flag gone, TC stays.
	check xdp_reload_without br load -c "$good"
	check xdp_reload_without_detached not xdp_on lan0
	check xdp_reload_without_entries test -z "$(lan_macs)"
	check xdp_reload_without_flags test "$(target_field tun0 flags)" = 4
	check xdp_reload_without_tc_kept steer_on lan0

	# Someone else's XDP program on a LAN interface: refused, left as it is.
	if $have_foreign && in_ns ip link set dev lan1 xdpdrv obj "$foreign" sec xdp; then
		fid=$(xdp_id lan1)
		before=$(state)
		expect_refusal xdp_foreign_refused \
			"^lan1: native XDP holds program $fid, which is not this instance's" \
			br load -c "$xdp"
		check xdp_foreign_touches_nothing test "$before" = "$(state)"
		check xdp_foreign_kept test -n "$fid" -a "$(xdp_id lan1)" = "$fid"
		check xdp_foreign_lan0_untouched not xdp_on lan0
		# Without xdp in the config, another program's hook is none of ours.
		check xdp_foreign_no_xdp_load br load -c "$next"
		check xdp_foreign_no_xdp_kept test "$(xdp_id lan1)" = "$fid"
		check xdp_foreign_no_xdp_tc steer_on lan1
		# A first load refused for it leaves no pin behind.
		check xdp_foreign_unload br unload
		expect_refusal xdp_foreign_first_load "^lan1: native XDP holds program $fid" \
			br load -c "$xdp"
		check xdp_foreign_first_load_no_pins test ! -e "$pin"
		check xdp_foreign_first_load_no_tc not steer_on lan0
		check xdp_foreign_unload_kept test "$(xdp_id lan1)" = "$fid"
		in_ns ip link set dev lan1 xdpdrv off
	else
		echo "SKIP xdp_foreign: cannot build or attach a foreign XDP program (clang?)"
	fi

	# unload takes the stage off wherever it finds it.
	check xdp_unload_load br load -c "$xdp"
	check xdp_unload_attached bash -c "ip netns exec $ns ip link show dev lan0 | grep -q ' xdp ' && ip netns exec $ns ip link show dev lan1 | grep -q ' xdp '"
	check xdp_unload br unload
	check xdp_unload_detached bash -c "! ip netns exec $ns ip -d link show | grep -q 'prog/xdp'"
	check xdp_unload_no_pins test ! -e "$pin"
	check xdp_back br load -c "$good"
fi

# --- strict targets -------------------------------------------------------------
if command -v python3 >/dev/null; then
	# Strict targets: 'strict no' (32) where the line says so, the state
	# (16: down) as load finds it, for a device only a target line names too.
	strict=$(conf strict.conf "interface lan0" "route 203.0.113.0/24 dev tun0" \
		"target tun0 strict no" "target tunx strict no" "target tun1 strict yes")
	check strict_load br load -c "$strict"
	check strict_no_flags test "$(target_field tun0 flags)" = 36	# 4 Ethernet + 32
	check strict_no_down_flags test "$(target_field tunx flags)" = 48	# 16 down + 32
	check strict_yes_flags test "$(target_field tun1 flags)" = 4
	check strict_status_text bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' status | grep -qE '^  tunx +ifindex [0-9]+ +routed +- +down +strict no ' && ip netns exec $ns '$BPFROUTE' -d '$pin' status | grep -qE '^  tun1 +ifindex [0-9]+ +routed +ether +up +strict '"
	# The peer down: tun0 loses its carrier; a load sees it.
	in_ns ip link set lan0 down
	check strict_load_sees_down br load -c "$strict"
	check strict_down_flags test "$(target_field tun0 flags)" = 52	# 4 + 16 + 32
	in_ns ip link set lan0 up
	check strict_reload_good br load -c "$good"
	check strict_reload_good_flags test "$(target_field tun0 flags)" = 4
fi

# --- masquerade -----------------------------------------------------------------
unnat_on() { in_ns tc filter show dev "$1" ingress | grep -q 'handle 0xb9f0 bpfroute_unnat'; }
# flow add|del FAM PROTO CLIENT CPORT REMOTE RPORT TRANSLATED TPORT: both
# entries of a masqueraded flow through tun0 from lan0, as the datapath
# writes them (include/bpfroute_abi.h): the outgoing side seen 5 s ago, the
# reply side 3 s ago. No packet crosses this test's devices, so flows are
# made by hand.
cat >"$dir/flow.py" <<'EOF'
import socket, struct, sys, time
fam, proto = int(sys.argv[1]), int(sys.argv[2])
cli, cport, rem, rport, tgt, tport = sys.argv[3:9]
cport, rport, tport, tif, lif = int(cport), int(rport), int(tport), int(sys.argv[9]), int(sys.argv[10])
def a16(s):
    b = socket.inet_pton(socket.AF_INET if fam == 4 else socket.AF_INET6, s)
    return b + bytes(16 - len(b))
def key(sa, da, sp, dp):
    return a16(sa) + a16(da) + struct.pack('!HH', sp, dp) + struct.pack('BB2x', fam, proto)
def val(addr, port, state, ifindex, age, pk, by):
    now = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    return (a16(addr) + struct.pack('!H', port) + struct.pack('=BxI', state, ifindex) +
            struct.pack('=QQQ', now - age * 10**9, pk, by))
hx = lambda b: ' '.join('%02x' % c for c in b)
echo = proto in (1, 58)	# an echo reply carries the translated identifier both ways
for k, v in ((key(cli, rem, cport, rport), val(tgt, tport, 1, tif, 5, 10, 1000)),
             (key(rem, tgt, tport if echo else rport, tport), val(cli, cport, 2, lif, 3, 9, 9000))):
    print('key hex %s value hex %s' % (hx(k), hx(v)))
EOF
flow() {
	local op=$1 out in
	shift
	{ read -r out; read -r in; } < <(python3 "$dir/flow.py" "$@" \
		"$(in_ns cat /sys/class/net/tun0/ifindex)" "$(in_ns cat /sys/class/net/lan0/ifindex)")
	if [ "$op" = add ]; then
		bpftool map update pinned "$pin/bpfroute_nat_out" $out &&
			bpftool map update pinned "$pin/bpfroute_nat_in" $in
	else
		bpftool map delete pinned "$pin/bpfroute_nat_out" ${out% value *} &&
			bpftool map delete pinned "$pin/bpfroute_nat_in" ${in% value *}
	fi
}
flow4="4 6 192.0.2.2 40000 203.0.113.10 8080 100.64.0.1 40001"
flow6="6 17 2001:db8:1::2 5353 2001:db8:3::10 53 2001:db8:100::1 61000"
masq=$(conf masq.conf "interface lan0" "route 203.0.113.0/24 dev tun0 masquerade" \
	"route 198.51.100.0/24 dev tun1" "route *.corp.example.com dev tun0")
if command -v python3 >/dev/null; then
	check masq_load br load -c "$masq"
	# 1 masquerade + 4 Ethernet: tun0 is a veth.
	check masq_target_flags test "$(target_field tun0 flags)" = 5
	check masq_target_addr4 test "$(target_field tun0 addr4)" = "100,64,0,1"
	check masq_target_addr6 test "$(target_field tun0 addr6)" = "32,1,13,184,1,0,0,0,0,0,0,0,0,0,0,1"
	# tun1 is a target, not masqueraded, with no global address: 169.254/16
	# and fe80::/10 are never taken.
	check masq_plain_target_written test "$(target_field tun1 flags)" = 4
	check masq_never_link_local test "$(target_field tun1 addr4)-$(target_field tun1 addr6)" = \
		"0,0,0,0-0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0"
	check masq_lan_not_a_target test "$(target_field lan0 flags)" = none
	check masq_unnat_attached unnat_on tun0
	check masq_unnat_one_filter test "$(in_ns tc filter show dev tun0 ingress | grep -c 'handle 0xb9f0')" -eq 1
	check masq_no_unnat_unmasqueraded bash -c "! ip netns exec $ns tc filter show dev tun1 ingress | grep -q bpf"
	check masq_no_egress_on_target bash -c "! ip netns exec $ns tc filter show dev tun0 egress | grep -q bpf"
	routes=$(br routes)
	check masq_routes_column grep -qE '^203.0.113.0/24 +tun0 +yes ' <<<"$routes"
	check masq_routes_column_no grep -qE '^198.51.100.0/24 +tun1 +no ' <<<"$routes"
	check masq_routes_json bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' routes -j | python3 -c 'import json,sys; d={r[\"prefix\"]: r[\"masquerade\"] for r in json.load(sys.stdin)}; assert d==({\"203.0.113.0/24\": True, \"198.51.100.0/24\": False}), d'"
	check masq_status_json bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' status -j | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [a[\"dev\"] for a in d[\"attached\"]] == [\"lan0\"], d[\"attached\"]
t = {x[\"dev\"]: x for x in d[\"targets\"]}
assert t[\"tun0\"][\"masquerade\"] and t[\"tun0\"][\"unnat_prog_id\"] > 0, t
assert t[\"tun0\"][\"addr4\"] == \"100.64.0.1\" and t[\"tun0\"][\"addr6\"] == \"2001:db8:100::1\", t
assert not t[\"tun1\"][\"masquerade\"] and t[\"tun1\"][\"unnat_prog_id\"] == 0, t
for m in (\"nat_out\", \"nat_in\", \"targets\"):
    assert d[\"maps\"][m][\"entries\"] == (2 if m == \"targets\" else 0), (m, d[\"maps\"][m])
assert d[\"counters\"][\"nat_new\"] == 0
'"
	check flows_json_empty bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' flows -j | python3 -c 'import json,sys; assert json.load(sys.stdin) == []'"
	check flows_text_header bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' flows | grep -q '^PROTO .*CLIENT .*REMOTE .*TRANSLATED .*STATE .*EXPIRES-IN'"
	check help_flows bash -c "'$BPFROUTE' help flows | grep -q 'masqueraded flows'"
	expect_refusal flows_extra_arg "unexpected argument 'x'" br flows x
	# shellcheck disable=SC2086  # the words of a flow
	check flows_made flow add $flow4
	# shellcheck disable=SC2086
	check flows_made6 flow add $flow6
	check flows_json_listed bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' flows -j | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d) == 2, d
f = d[0]
want = dict(proto=\"tcp\", family=4, client=\"192.0.2.2\", client_port=40000, remote=\"203.0.113.10\",
            remote_port=8080, translated=\"100.64.0.1\", translated_port=40001, dev=\"tun0\",
            lan_dev=\"lan0\", state=\"established\", packets_out=10, bytes_out=1000,
            packets_in=9, bytes_in=9000)
assert all(f[k] == v for k, v in want.items()), f
# Seen 5 s and 3 s ago: the newer side counts (a slow machine adds seconds).
assert 3 <= f[\"idle\"] <= 6 and f[\"idle\"] + f[\"expires_in\"] in (7439, 7440), f
assert d[1][\"proto\"] == \"udp\" and d[1][\"translated\"] == \"2001:db8:100::1\", d[1]
assert 290 <= d[1][\"expires_in\"] <= 297, d[1]
'"
	check flows_text_listed bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' flows | grep -qE '^udp +\\[2001:db8:1::2\\]:5353 +-> \\[2001:db8:3::10\\]:53 +\\[2001:db8:100::1\\]:61000 +tun0 +established +[3-6]s +29[0-9]s +10 +1000 +9 +9000$'"

	# A second instance may not take the translator's hook either.
	other_conf=$(conf other.conf "interface lan1" "route 203.0.113.0/24 dev tun0 masquerade")
	expect_refusal masq_second_instance_refused "tun0: clsact ingress handle .* not this instance's" \
		in_ns "$BPFROUTE" -d "$other" load -c "$other_conf"
	check masq_second_instance_left_nothing test ! -e "$other"

	# Reload: the translator is replaced in place; a target line masquerades
	# every rule to the device.
	id_before=$(in_ns tc filter show dev tun0 ingress | grep -o ' id [0-9]*')
	check masq_reload br load -c "$masq"
	id_after=$(in_ns tc filter show dev tun0 ingress | grep -o ' id [0-9]*')
	check masq_reload_replaced test -n "$id_after" -a "$id_before" != "$id_after"
	check masq_reload_one_filter test "$(in_ns tc filter show dev tun0 ingress | grep -c 'handle 0xb9f0')" -eq 1
	tline=$(conf target.conf "interface lan0" "route 203.0.113.0/24 dev tun0" \
		"route 198.51.100.0/24 dev tun1" "target tun0 masquerade")
	check masq_target_line br load -c "$tline"
	check masq_target_line_flags test "$(target_field tun0 flags)" = 5
	check masq_target_line_unnat unnat_on tun0

	# Without the keyword new flows are not translated, but live ones drain:
	# they keep translating (flag 2, BPFROUTE_TARGET_F_DRAIN) and keep their
	# reply translator; the first load after they are gone removes both.
	check masq_reload_live_flows br load -c "$good"
	check masq_reload_live_flows_flags test "$(target_field tun0 flags)" = 6
	check masq_reload_live_flows_kept unnat_on tun0
	# shellcheck disable=SC2086
	check flows_removed eval 'flow del $flow4 && flow del $flow6'
	check masq_reload_without br load -c "$good"
	check masq_reload_without_flags test "$(target_field tun0 flags)" = 4
	check masq_reload_without_detached bash -c "! ip netns exec $ns tc filter show dev tun0 ingress | grep -q bpf"
	check masq_reload_without_flags test "$(target_field tun0 flags)" = 4
	check masq_reload_without_stale_target test "$(target_field tun1 flags)" = none
	check masq_reload_without_lan_kept bash -c "ip netns exec $ns tc filter show dev lan0 ingress | grep -q bpfroute_steer"
	routes=$(br routes)
	check masq_reload_without_column grep -qE '^203.0.113.0/24 +tun0 +no ' <<<"$routes"

	# A refused masquerading reload changes nothing.
	before=$(state)
	bad reload_masq_refused "2: tun1 has no global IPv4 or IPv6 address" "interface lan0" \
		"route 203.0.113.0/24 dev tun1 masquerade"
	check reload_masq_refused_touches_nothing test "$before" = "$(state)"

	# Back to masquerade for the unload below: it must find the translator.
	check masq_back br load -c "$masq"
fi

# --- a pin directory someone else could have prepared ------------------------
# Whoever can write the directory can replace a pinned map: every command
# refuses it, in one line, and leaves everything as it was.
before=$(state)
chmod 0777 "$pin"
expect_refusal pin_dir_world_writable_status "writable by group or others \(mode 0777\)" br status
expect_refusal pin_dir_world_writable_load "writable by group or others" br load -c "$good"
chmod 0700 "$pin"
chown 65534 "$pin"
expect_refusal pin_dir_foreign_owner_unload "owned by uid 65534, not by uid 0" br unload
expect_refusal pin_dir_foreign_owner_route "owned by uid 65534" br route add 198.51.100.0/24 dev tun0
chown 0 "$pin"
check pin_dir_refusals_touch_nothing test "$before" = "$(state)"
check pin_dir_ours_again br status

# --- a target that vanishes while load attaches --------------------------------
# gdb stops load where it attaches (load_xdp_attach, after the TC filters and
# the targets are written) and deletes the target device: load must notice,
# put everything back and fail, not exit 0 with a route to a dead ifindex.
if command -v gdb >/dev/null; then
	in_ns ip link add vanish0 type veth peer name vanish1
	in_ns ip link set vanish0 up
	vconf=$(conf vanish.conf "interface lan0" "route 192.0.2.128/25 dev vanish0")
	before=$(state)
	in_ns gdb -q -batch -ex 'set breakpoint pending on' -ex 'break load_xdp_attach' -ex run \
		-ex 'shell ip link del vanish0' -ex continue \
		--args "$BPFROUTE" -d "$pin" load -c "$vconf" >"$dir/gdb.out" 2>&1
	check vanished_target_refused grep -q 'vanish0 vanished during the load: nothing was changed' "$dir/gdb.out"
	check vanished_target_exit_nonzero grep -q 'exited with code' "$dir/gdb.out"
	check vanished_target_touches_nothing test "$before" = "$(state)"
	check vanished_target_no_route bash -c "! ip netns exec $ns $BPFROUTE -d $pin routes 2>&1 | grep -q 192.0.2.128/25"
	in_ns ip link del vanish0 2>/dev/null
else
	echo "SKIP vanished_target: no gdb"
fi

# --- operator's details ------------------------------------------------------------
# Load afresh with the masquerading config: tun1 is a target with no global
# address of either family.
check details_load br load -c "$masq"
expect_refusal route_add_domain "^route: \*.corp.example.com is a domain name: domain rules belong in the config file \('route \*.corp.example.com dev IFNAME' there, then 'bpfroute load'\)$" \
	br route add '*.corp.example.com' dev tun0
expect_refusal route_add_name "^route: github.com is a domain name: domain rules belong in the config file" \
	br route add github.com dev tun0
# Every counter's value in one column, the longest name's included.
check status_counters_aligned test "$(br status | sed -n '/^counters:$/,$p' | tail -n +2 |
	awk 'match($0, / [0-9]+$/) { print RSTART }' | sort -u | wc -l)" -eq 1
if command -v python3 >/dev/null; then
	check status_json_no_address_null bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' status -j | python3 -c '
import json, sys
t = {x[\"dev\"]: x for x in json.load(sys.stdin)[\"targets\"]}
assert t[\"tun1\"][\"addr4\"] is None and t[\"tun1\"][\"addr6\"] is None, t[\"tun1\"]
assert t[\"tun0\"][\"addr4\"] == \"100.64.0.1\", t[\"tun0\"]
'"
fi
# check with an instance loaded: it passes, and the instance stays as it is.
before=$(state)
check check_loaded_instance bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' check -c '$masq' | grep -qx '$masq: ok: 1 interface, 2 prefix routes, 1 domain rule, 2 targets, 1 masqueraded'"
check check_loaded_touches_nothing test "$before" = "$(state)"

# --- logs with priorities for the journal --------------------------------------
# JOURNAL_STREAM naming stderr's device and inode (as systemd sets it):
# every line starts with its syslog priority. Naming another file, or unset:
# lines as ever.
journal() {	# journal FILE COMMAND...: run with stderr to FILE, JOURNAL_STREAM of FILE
	local f=$1
	shift
	: >"$f"
	JOURNAL_STREAM=$(stat -L -c %d:%i "$f") "$@" 2>>"$f"
}
journal "$dir/j.err" "$BPFROUTE" bogus
check journal_error_prefix grep -qx "<3>unknown or ambiguous command 'bogus' (see bpfroute --help)" "$dir/j.err"
"$BPFROUTE" bogus 2>"$dir/j.err"
check journal_unset_no_prefix grep -qx "unknown or ambiguous command 'bogus' (see bpfroute --help)" "$dir/j.err"
: >"$dir/other"
JOURNAL_STREAM=$(stat -L -c %d:%i "$dir/other") "$BPFROUTE" bogus 2>"$dir/j.err"
check journal_other_stream_no_prefix grep -qx "unknown or ambiguous command 'bogus' (see bpfroute --help)" "$dir/j.err"
in_ns sysctl -qw net.ipv4.conf.lan0.forwarding=0
journal "$dir/j.err" ip netns exec "$ns" "$BPFROUTE" -d "$pin" load -c "$masq"
in_ns sysctl -qw net.ipv4.conf.lan0.forwarding=1
check journal_warning_prefix grep -q "^<4>warning: IPv4 forwarding is off on lan0" "$dir/j.err"
check journal_info_prefix grep -q "^<6>reloaded $pin: " "$dir/j.err"
check journal_every_line_prefixed test "$(grep -cv '^<[0-7]>' "$dir/j.err")" -eq 0

# --- the layout of the pinned state ------------------------------------------------
# load records it in bpfroute_layout; pinned state of another layout is
# refused by every command that uses it, in one line, before anything is
# touched; unload takes it away.
if command -v python3 >/dev/null; then
	pinned_layout() { bpftool -j map dump pinned "$pin/bpfroute_layout" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["formatted"]["value"])'; }
	check layout_recorded test "$(pinned_layout)" = "$layout"
	check layout_status bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' status | grep -qx 'version:   $version' && ip netns exec $ns '$BPFROUTE' -d '$pin' status | grep -qx 'layout:    $layout'"
	check layout_status_json bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' status -j | python3 -c 'import json,sys; d=json.load(sys.stdin); assert (d[\"version\"], d[\"layout\"], d[\"layout_recorded\"]) == (\"$version\", $layout, True), d'"

	# Another layout: layout 0, written over the record.
	bpftool map update pinned "$pin/bpfroute_layout" key 0 0 0 0 value 0 0 0 0
	before=$(state; bpftool map dump pinned "$pin/bpfroute_route4"; bpftool map dump pinned "$pin/bpfroute_rules")
	other_layout="^$pin: pinned state is layout 0, this bpfroute \($version\) uses layout $layout: run 'bpfroute unload' first \(learned entries and flows are dropped\)$"
	expect_refusal layout_refused_load "$other_layout" br load -c "$masq"
	expect_refusal layout_refused_run "$other_layout" in_ns timeout 20 "$BPFROUTE" -d "$pin" run -c "$masq"
	expect_refusal layout_refused_route_add "$other_layout" br route add 198.51.100.0/24 dev tun1
	expect_refusal layout_refused_route_del "$other_layout" br route del 203.0.113.0/24
	expect_refusal layout_refused_status "$other_layout" br status
	expect_refusal layout_refused_routes "$other_layout" br routes
	expect_refusal layout_refused_flows "$other_layout" br flows
	expect_refusal layout_refused_check "$other_layout" br check -c "$masq"
	check layout_refusals_touch_nothing test "$before" = "$(state; bpftool map dump pinned "$pin/bpfroute_route4"; bpftool map dump pinned "$pin/bpfroute_rules")"
	check layout_record_kept test "$(pinned_layout)" = 0

	# No record (loaded before there was one) and every map of our shape:
	# this layout; load records it.
	rm "$pin/bpfroute_layout"
	check layout_unrecorded_status bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' status | grep -qx 'layout:    $layout (not recorded: .*)'"
	check layout_unrecorded_load br load -c "$masq"
	check layout_unrecorded_recorded test "$(pinned_layout)" = "$layout"

	# No record and a map of another shape: layout 0.
	rm "$pin/bpfroute_layout" "$pin/bpfroute_pfxsum"
	bpftool map create "$pin/bpfroute_pfxsum" type array key 4 value 8 entries 1 name bpfroute_pfxsum
	expect_refusal layout_unrecorded_other_shape "$other_layout" br status
	expect_refusal layout_unrecorded_other_shape_load "$other_layout" br load -c "$masq"
	check layout_other_unload br unload
	check layout_other_unload_no_pins test ! -e "$pin"
	check layout_fresh_load br load -c "$masq"
fi

# --- unload -------------------------------------------------------------------
check unload br unload
check unload_no_filter bash -c "! ip netns exec $ns tc filter show dev lan0 ingress | grep -q bpf"
check unload_no_target_filter bash -c "for d in lan0 lan1 tun0 tun1; do ip netns exec $ns tc filter show dev \$d ingress; ip netns exec $ns tc filter show dev \$d egress; done | grep -q bpf; test \$? -ne 0"
check unload_no_pins test ! -e "$pin"
check unload_again br unload

# --- pin directory outside bpffs ----------------------------------------------
expect_refusal pin_dir_not_bpffs "not on a bpf filesystem" \
	in_ns "$BPFROUTE" -d "$dir/plain/bpfroute" load -c "$good"
expect_refusal check_pin_dir_not_bpffs "^$dir/plain/bpfroute: not on a bpf filesystem" \
	in_ns "$BPFROUTE" -d "$dir/plain/bpfroute" check -c "$good"
