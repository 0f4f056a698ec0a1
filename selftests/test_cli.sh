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

# A fingerprint of everything bpfroute may touch: filters and pins.
state() {
	for d in lan0 lan1 tun0 tun1; do
		in_ns tc filter show dev "$d" ingress 2>/dev/null | sed 's/ id [0-9]*//; s/:\[[0-9]*\]//'
	done
	ls -R "$dir/bpffs" 2>/dev/null
}

conf() {	# conf NAME LINES...: write a config file, print its path
	local f=$dir/$1
	shift
	printf '%s\n' "$@" >"$f"
	echo "$f"
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
expect_refusal config_missing_file "$dir/none.conf: No such file" br load -c "$dir/none.conf"
expect_refusal load_extra_arg "unexpected argument 'x'" br load -c "$good" x
expect_refusal load_no_file "needs a FILE" br load -c
check bad_configs_touch_nothing test "$before" = "$(state)"
check no_pin_dir_after_refusals test ! -e "$pin"

# --- load ---------------------------------------------------------------------
check load br load -c "$good"
check attached_lan0 bash -c "ip netns exec $ns tc filter show dev lan0 ingress | grep -q 'handle 0xb9f0 bpfroute_steer'"
check pins_exist test -e "$pin/bpfroute_route4" -a -e "$pin/bpfroute_route6" \
	-a -e "$pin/bpfroute_excl4" -a -e "$pin/bpfroute_excl6" -a -e "$pin/bpfroute_stats"
check routes_listed bash -c "'$BPFROUTE' -d '$pin' routes >/dev/null && ip netns exec $ns '$BPFROUTE' -d '$pin' routes | grep -qE '^203.0.113.0/24 +tun0 .* config$'"
check own_address_excluded bash -c "bpftool -j map dump pinned '$pin/bpfroute_excl4' | grep -q '\"addr\":\[192,0,2,1\]'"
if command -v python3 >/dev/null; then
	check status_json bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' -j status | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"attached\"][0][\"dev\"]==\"lan0\"; assert d[\"maps\"][\"routes4\"][\"entries\"]==1'"
	check routes_json bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' routes -j | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [r[\"prefix\"] for r in d]==[\"203.0.113.0/24\",\"2001:db8:3::/64\"]'"
fi

# --- route add / del ----------------------------------------------------------
expect_refusal route_bad_prefix "route: 203.0.113.0/99: bad prefix length" \
	br route add 203.0.113.0/99 dev tun0
expect_refusal route_unknown_dev "unknown device 'wg9'" br route add 198.51.100.0/24 dev wg9
expect_refusal route_to_lan "lan0 is a LAN interface" br route add 198.51.100.0/24 dev lan0
expect_refusal route_bad_syntax "expected 'add PREFIX dev IFNAME'" br route add 198.51.100.0/24 tun0
expect_refusal route_del_missing "no route 198.51.100.0/24" br route del 198.51.100.0/24
check route_add br route add 198.51.100.0/24 dev tun1
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
check refused_reload_touches_nothing test "$before" = "$(state)" -a "$routes_before" = "$(br routes)"

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
	# max-routes sizes the learned maps when they are made: start afresh.
	check dns_fresh_start br unload
	check dns_load br load -c "$dns"
	check dns_rules_written test "$(map_entries bpfroute_rules)" -eq 2
	check dns_resolvers_written test "$(map_entries bpfroute_resolv)" -eq 2
	check dns_conf_flags test "$(conf_field flags)" -eq 3
	check dns_conf_ttls test "$(conf_field min_ttl)-$(conf_field max_ttl)-$(conf_field idle_timeout)" = "5-600-7"
	key_before=$(conf_field hash_key)
	check dns_learner_on_egress bash -c "ip netns exec $ns tc filter show dev lan0 egress | grep -q 'handle 0xb9f0 bpfroute_learn'"
	check dns_host_maps_sized bash -c "bpftool -j map show pinned '$pin/bpfroute_host4' | grep -q '\"max_entries\":1000,'"
	less=$(conf dns2.conf "interface lan0" "route *.corp.example.com dev tun0" "max-routes 1000")
	check dns_reload_fewer_rules br load -c "$less"
	check dns_rule_dropped test "$(map_entries bpfroute_rules)" -eq 1
	check dns_resolvers_dropped test "$(map_entries bpfroute_resolv)" -eq 0
	check dns_conf_flags_narrowed test "$(conf_field flags)" -eq 2
	check dns_hash_key_kept test "$key_before" = "$(conf_field hash_key)"
	before=$(state)
	resize=$(conf dns3.conf "interface lan0" "route *.corp.example.com dev tun0" "max-routes 2000")
	expect_refusal dns_max_routes_change "max-routes is 2000 in the config, but the learned routes" \
		br load -c "$resize"
	check dns_max_routes_change_touches_nothing test "$before" = "$(state)"
	plain=$(conf dns4.conf "interface lan0" "route 203.0.113.0/24 dev tun0" "max-routes 1000")
	check dns_reload_no_rules br load -c "$plain"
	check dns_no_rules_learning_off test "$(conf_field flags)" -eq 0
	check dns_back bash -c "ip netns exec $ns '$BPFROUTE' -d '$pin' unload && ip netns exec $ns '$BPFROUTE' -d '$pin' load -c '$good'"
fi

# --- unload -------------------------------------------------------------------
check unload br unload
check unload_no_filter bash -c "! ip netns exec $ns tc filter show dev lan0 ingress | grep -q bpf"
check unload_no_pins test ! -e "$pin"
check unload_again br unload

# --- pin directory outside bpffs ----------------------------------------------
expect_refusal pin_dir_not_bpffs "not on a bpf filesystem" \
	in_ns "$BPFROUTE" -d "$dir/plain/bpfroute" load -c "$good"
