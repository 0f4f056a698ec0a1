# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# The bpfroute testbed: four network namespaces joined by veth pairs, a real
# WireGuard tunnel (wireguard-go) and two look-alike HTTP services, so that a
# plain `curl` from the client shows which way the gateway sent a packet.
#
#   client --lan0-- gateway --wan0-- internet host ("decoy", 203.0.113.10)
#                      |
#                     ul0 (underlay) --- WireGuard peer ("private", 203.0.113.10)
#                      wgg<S> ========== wgp<S>   (tunnel over the underlay)
#                      |
#                     ul1, wgh<S> ====== wgq<S> second peer ("private2", optional)
#
# Both the decoy and the peer own 203.0.113.10 and 2001:db8:3::10. The
# gateway's ordinary routes lead to the decoy; only something that puts the
# client's packets into the tunnel (bpfroute) makes them reach "private".
# The decoy's namespace uses TTL / hop limit 50, so at the client its replies
# arrive with 49, the peer's (64, forwarded once by the gateway) with 63.
#
# Usage, from a bash script:
#
#	. selftests/lib/testbed.sh
#	trap tb_teardown EXIT
#	trap 'exit 130' INT TERM HUP	# so that the EXIT trap runs on signals too
#	tb_setup || exit 1
#	tb_cli curl -s --max-time 3 http://203.0.113.10:8080/
#	tb_gw "$BPFROUTE" --pin-dir "$TB_PIN" load -c "$TB_DIR/bpfroute.conf"
#
# Every name carries a per-run suffix ($TB_SUFFIX, random unless set), so that
# parallel or leftover runs never clash: namespaces br-{cli,gw,inet,peer}-S,
# WireGuard interfaces wgg<S> and wgp<S>. The WireGuard names must be unique
# machine-wide: wireguard-go's control socket /var/run/wireguard/NAME.sock is
# a file shared by all network namespaces. Other interface names are per
# namespace and therefore fixed (lan0, wan0, ul0 on the gateway; eth0 on the
# other hosts), which keeps configs and messages readable.
#
# Only documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
# 2001:db8::/32) and 100.64.0.0/10 inside the tunnel are used; nothing is
# connected to the host's own namespace, so no packet can leave the machine.
#
# Optional parts, built after tb_setup by the scripts that need them (each
# torn down by tb_teardown like the rest):
#
#   tb_setup_peer2	a second WireGuard peer ("private2") behind a second
#			tunnel wgh<S> (gateway) = wgq<S> (peer2), over an IPv6
#			underlay ul1; it owns the service addresses too
#   tb_setup_ranges	the decoy and the peers own all of 203.0.113.0/24 and
#			2001:db8:3::/64 (local routes on lo), not just .10 / ::10
#   tb_setup_dns [FILE...]	a real resolver: dnsmasq on the internet host
#			(198.51.100.2, 2001:db8:2::2, port 53) serving the test
#			zones below (and the extra dnsmasq config FILEs), and the
#			client's and gateway's /etc/resolv.conf pointing at it
#   tb_spawn NS COMM LOG CMD...	a long-running process teardown will stop
#
# And for masquerade, the way a commercial VPN provider's server is set up
# (test_e2e_nat.sh):
#
#   tb_setup_vpn_peer	the peer accepts from the gateway only its tunnel
#			addresses (AllowedIPs 100.64.0.1/32, 2001:db8:100::1/128)
#			and has no route to the LAN
#   tb_setup_lan_switch	a second client (br-cli2-S, 192.0.2.3, 2001:db8:1::3):
#			both clients and the gateway's lan0 on a bridge in a
#			"switch" namespace (br-sw-S)
#   tb_setup_service_hop [MTU]	the private service moves one hop behind
#			the peer (br-svc-S), over a link of MTU 1280
#
# And for a high-availability pair of gateways (test_e2e_fleet.sh):
#
#   tb_setup_fleet	a second gateway, B (br-gw2-S), with its own uplink to
#			the internet host and its own tunnel wgb<S> = wgr<S> to
#			the same peer; both gateways' lan0 on the LAN switch
#			(tb_setup_lan_switch, done here if not yet); the clients'
#			default routes point at a virtual address (TB_VIP4,
#			TB_VIP6) that nothing holds until keepalived runs
#   tb_keepalived NS CONF, tb_bird NS CONF	keepalived or BIRD in a
#			gateway, private pid files and control socket in $TB_DIR
#
# Requires root, iproute2, wireguard-go, wg, socat, ping, curl; dnsmasq (from
# dnsmasq-base) for tb_setup_dns; keepalived and bird (from bird2) for
# tb_keepalived and tb_bird.
#
# Exported after tb_setup (most also set as soon as the names are chosen, so
# that a half-built testbed can be torn down):
#   TB_SUFFIX	per-run suffix
#   TB_DIR	private temp dir (keys, logs, configs), removed at teardown
#   TB_BPFFS	a bpffs of our own, mounted at $TB_DIR/bpffs
#   TB_PIN	pin dir for bpfroute: $TB_BPFFS/bpfroute (not created here)
#   TB_NS_CLI TB_NS_GW TB_NS_INET TB_NS_PEER	namespace names
#   TB_GW_LAN TB_GW_WAN TB_GW_UL	gateway interfaces (lan0, wan0, ul0)
#   TB_GW_WG TB_PEER_WG		WireGuard interfaces (gateway, peer)
#   TB_SERVICE4 TB_SERVICE6 TB_SERVICE_PORT	the service both hosts answer on
#   TB_PREFIX4 TB_PREFIX6	the prefixes covering the service addresses
# after tb_setup_peer2:
#   TB_NS_PEER2 TB_GW_WG2 TB_PEER2_WG TB_GW_UL2	the second peer and tunnel
# after tb_setup_lan_switch, tb_setup_service_hop:
#   TB_NS_SW TB_NS_CLI2 TB_NS_SVC	the switch, the second client, the service
#			host (tb_cli2, tb_svc run commands in the last two)
# after tb_setup_fleet:
#   TB_NS_GW2 TB_GW2_WG TB_PEER_WG3	gateway B, its tunnel and the peer's end
#   TB_GW_LAN4 TB_GW2_LAN4 TB_GW2_LAN6	the gateways' own LAN addresses (A's
#			IPv6 one is 2001:db8:1::1, as without B)
#   TB_VIP4 TB_VIP6	the clients' default gateway, moved by VRRP
#   (tb_gw2 runs a command in B; TB_BIRD_CTL is the last tb_bird's socket)
# after tb_setup_dns:
#   TB_DNS4 TB_DNS6	the resolver's addresses
#   TB_CLI_RESOLV TB_GW_RESOLV	the client's and the gateway's resolv.conf
#			(/etc/netns/<ns>/resolv.conf)

# The service both the decoy and the private peer answer on.
TB_SERVICE4=203.0.113.10
TB_SERVICE6=2001:db8:3::10
TB_SERVICE_PORT=8080
TB_PREFIX4=203.0.113.0/24
TB_PREFIX6=2001:db8:3::/64

# The gateway's interface names (per namespace, so no suffix needed).
TB_GW_LAN=lan0
TB_GW_WAN=wan0
TB_GW_UL=ul0
TB_GW_UL2=ul1	# underlay to the second peer (tb_setup_peer2)

# The decoy's TTL / hop limit: distinguishes its replies from the peer's (64).
TB_DECOY_TTL=50

# What the testbed created, for tb_teardown: "pid:comm" of each process we
# started, names of namespaces we added, whether our bpffs is mounted.
TB__PIDS=()
TB__NETNS=()
TB__MOUNTED=0
TB__ETC_NETNS=0		# /etc/netns was made by tb_setup_dns

# Messages go to stderr: callers print PASS/FAIL lines on stdout.
tb_log()
{
	printf 'testbed: %s\n' "$*" >&2
}

tb__debug()
{
	[[ ${TB_VERBOSE:-0} != 0 ]] && printf 'testbed: + %s\n' "$*" >&2
	return 0
}

# Run a command of the setup; on failure say which command and what it printed.
tb__run()
{
	local out rc

	tb__debug "$*"
	out=$("$@" 2>&1)
	rc=$?
	if ((rc != 0)); then
		tb_log "failed (exit $rc): $*"
		[[ -n $out ]] && printf '%s\n' "$out" | sed 's/^/testbed:   /' >&2
	fi
	return $rc
}

# Run a command in one of the hosts. `ip netns exec` gives the command the
# namespace's own /sys (it remounts sysfs in a private mount namespace); the
# bpffs at $TB_BPFFS lives outside /sys, so pins made there survive the exit.
tb__in()
{
	local ns=$1
	shift
	if [[ -z $ns ]]; then
		tb_log "no testbed (call tb_setup first)"
		return 127
	fi
	ip netns exec "$ns" "$@"
}

tb_cli()  { tb__in "${TB_NS_CLI:-}" "$@"; }
tb_gw()   { tb__in "${TB_NS_GW:-}" "$@"; }
tb_inet() { tb__in "${TB_NS_INET:-}" "$@"; }
tb_peer() { tb__in "${TB_NS_PEER:-}" "$@"; }
tb_cli2() { tb__in "${TB_NS_CLI2:-}" "$@"; }
tb_svc()  { tb__in "${TB_NS_SVC:-}" "$@"; }
tb_gw2()  { tb__in "${TB_NS_GW2:-}" "$@"; }

# A process counts as gone once it is reaped or a zombie: bash reaps its
# children only when it gets around to it, and a zombie holds no resources.
tb__alive()
{
	local pid=$1 stat

	[[ -r /proc/$pid/stat ]] || return 1
	stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

tb__any_alive()
{
	local pid

	for pid in "$@"; do
		tb__alive "$pid" && return 0
	done
	return 1
}

# All descendants of a pid (socat forks a child per connection, which forks
# the responder), found through the parent links, deepest last.
tb__descendants()
{
	local pid=$1 child

	for child in $(pgrep -P "$pid" 2>/dev/null); do
		printf '%s\n' "$child"
		tb__descendants "$child"
	done
}

# Start a long-running command in a namespace, in the background, and record
# its pid with the command name it must carry, so that teardown never kills a
# recycled pid. Bash forks and execs `ip`, which execs the command: $! is the
# command's own pid.
tb__spawn()
{
	local ns=$1 comm=$2 log=$3
	shift 3

	tb__debug "[$ns] $* &"
	ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
	TB__PIDS+=("$!:$comm")
	# Keep bash from reporting "Terminated" when teardown kills it.
	disown "$!" 2>/dev/null
}

# Wait (bounded) until a command succeeds: tb__wait_for TRIES DELAY CMD...
tb__wait_for()
{
	local tries=$1 delay=$2 i
	shift 2

	for ((i = 0; i < tries; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep "$delay"
	done
	return 1
}

# Choose the suffix and every name derived from it. Names are checked against
# what exists, so a leftover run with the same suffix is never reused.
tb__names()
{
	local i

	for ((i = 0; i < 20; i++)); do
		TB_SUFFIX=${TB_SUFFIX:-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')}
		# 3 + 8 characters stays below IFNAMSIZ (15) for the WireGuard names.
		if [[ ! $TB_SUFFIX =~ ^[a-z0-9]{1,8}$ ]]; then
			tb_log "TB_SUFFIX must be 1-8 characters of [a-z0-9], not '$TB_SUFFIX'"
			return 1
		fi
		TB_NS_CLI=br-cli-$TB_SUFFIX
		TB_NS_GW=br-gw-$TB_SUFFIX
		TB_NS_INET=br-inet-$TB_SUFFIX
		TB_NS_PEER=br-peer-$TB_SUFFIX
		TB_GW_WG=wgg$TB_SUFFIX
		TB_PEER_WG=wgp$TB_SUFFIX
		# The optional second peer (tb_setup_peer2).
		TB_NS_PEER2=br-peer2-$TB_SUFFIX
		TB_GW_WG2=wgh$TB_SUFFIX
		TB_PEER2_WG=wgq$TB_SUFFIX
		# The optional LAN switch, second client and service host
		# (tb_setup_lan_switch, tb_setup_service_hop).
		TB_NS_SW=br-sw-$TB_SUFFIX
		TB_NS_CLI2=br-cli2-$TB_SUFFIX
		TB_NS_SVC=br-svc-$TB_SUFFIX
		# The optional second gateway (tb_setup_fleet): its tunnel and
		# the peer's end of it.
		TB_NS_GW2=br-gw2-$TB_SUFFIX
		TB_GW2_WG=wgb$TB_SUFFIX
		TB_PEER_WG3=wgr$TB_SUFFIX
		if [[ ! -e /run/netns/$TB_NS_CLI && ! -e /run/netns/$TB_NS_GW &&
		      ! -e /run/netns/$TB_NS_INET && ! -e /run/netns/$TB_NS_PEER &&
		      ! -e /run/netns/$TB_NS_PEER2 && ! -e /run/netns/$TB_NS_SW &&
		      ! -e /run/netns/$TB_NS_CLI2 && ! -e /run/netns/$TB_NS_SVC &&
		      ! -e /run/netns/$TB_NS_GW2 &&
		      ! -e /var/run/wireguard/$TB_GW2_WG.sock &&
		      ! -e /var/run/wireguard/$TB_PEER_WG3.sock &&
		      ! -e /etc/netns/$TB_NS_CLI &&
		      ! -e /etc/netns/$TB_NS_GW &&
		      ! -e /var/run/wireguard/$TB_GW_WG.sock &&
		      ! -e /var/run/wireguard/$TB_PEER_WG.sock &&
		      ! -e /var/run/wireguard/$TB_GW_WG2.sock &&
		      ! -e /var/run/wireguard/$TB_PEER2_WG.sock ]]; then
			export TB_SUFFIX TB_NS_CLI TB_NS_GW TB_NS_INET TB_NS_PEER
			export TB_GW_WG TB_PEER_WG TB_GW_LAN TB_GW_WAN TB_GW_UL
			export TB_NS_PEER2 TB_GW_WG2 TB_PEER2_WG TB_GW_UL2
			export TB_NS_SW TB_NS_CLI2 TB_NS_SVC
			export TB_NS_GW2 TB_GW2_WG TB_PEER_WG3
			export TB_SERVICE4 TB_SERVICE6 TB_SERVICE_PORT TB_PREFIX4 TB_PREFIX6
			return 0
		fi
		tb_log "suffix $TB_SUFFIX is taken, choosing another"
		TB_SUFFIX=
	done
	tb_log "no free suffix found"
	return 1
}

# A namespace with loopback up and IPv6 DAD off for every interface created
# in it later, so that addresses are usable at once (no 1-2 s tentative phase).
tb__netns_add()
{
	local ns=$1

	tb__run ip netns add "$ns" || return 1
	TB__NETNS+=("$ns")
	tb__run ip netns exec "$ns" sysctl -q -w \
		net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 || return 1
	tb__run ip -n "$ns" link set lo up
}

# tb__veth NS_A NAME_A NS_B NAME_B: a veth pair created directly in the two
# namespaces, never in the host's, where names of parallel runs would clash.
tb__veth()
{
	tb__run ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" || return 1
	tb__run ip -n "$1" link set "$2" up || return 1
	tb__run ip -n "$3" link set "$4" up
}

# tb__addr NS DEV ADDR...: IPv6 addresses with nodad (belt and braces with
# accept_dad=0: the interface may predate the namespace default).
tb__addr()
{
	local ns=$1 dev=$2 a
	shift 2

	for a in "$@"; do
		if [[ $a == *:* ]]; then
			tb__run ip -n "$ns" -6 addr add "$a" dev "$dev" nodad || return 1
		else
			tb__run ip -n "$ns" addr add "$a" dev "$dev" || return 1
		fi
	done
}

# The HTTP responder socat runs per connection. It reads the request head
# before answering: closing a socket with unread data makes the kernel send a
# RST, which can reach curl before the response does.
tb__write_responder()
{
	cat >"$TB_DIR/http-responder.sh" <<'EOF'
#!/bin/bash
# Answer one HTTP request with a body naming this host ($1).
while IFS= read -r -t 2 line; do
	line=${line%$'\r'}
	[[ -z $line ]] && break
done
body="$1"$'\n'
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
	"${#body}" "$body"
EOF
}

# tb__service NS NAME: the TCP service on port 8080, IPv4 and IPv6 (one
# socket, ipv6only=0, listening on every address the host owns), answering
# with NAME.
tb__service()
{
	local ns=$1 name=$2

	tb__spawn "$ns" socat "$TB_DIR/socat-$name.log" \
		socat -T 5 "TCP6-LISTEN:$TB_SERVICE_PORT,ipv6only=0,fork,reuseaddr" \
		"EXEC:/bin/bash $TB_DIR/http-responder.sh $name"
}

# tb__listening NS [PORT]: something listens on TCP PORT (default the service's).
tb__listening()
{
	local ns=$1 port=${2:-$TB_SERVICE_PORT}

	[[ -n $(ip netns exec "$ns" ss -Hltn "sport = :$port" 2>/dev/null) ]]
}

# Control socket and device exist - or the process (if a pid is given) died,
# which ends the caller's wait at once: it does not come back.
tb__wg_ready_or_dead()
{
	local ns=$1 name=$2 pid=$3

	[[ -n $pid ]] && ! tb__alive "$pid" && return 0
	[[ -S /var/run/wireguard/$name.sock ]] &&
		ip -n "$ns" link show dev "$name" >/dev/null 2>&1
}

# tb__wg_start NS NAME: a wireguard-go interface, in the foreground so that we
# hold its pid. Its TUN device is created inside NS because wireguard-go
# itself runs there.
tb__wg_start()
{
	local ns=$1 name=$2 pid

	# Older wireguard-go refuse to run on Linux without this; ours only warns.
	WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
		tb__spawn "$ns" wireguard-go "$TB_DIR/wireguard-go-$name.log" \
		wireguard-go -f "$name"
	pid=${TB__PIDS[-1]%%:*}
	tb__wait_for 50 0.1 tb__wg_ready_or_dead "$ns" "$name" "$pid"
	if ! tb__alive "$pid" || ! tb__wg_ready_or_dead "$ns" "$name" ""; then
		tb_log "wireguard-go $name did not come up; its log:"
		sed 's/^/testbed:   /' "$TB_DIR/wireguard-go-$name.log" >&2
		return 1
	fi
	tb__run ip netns exec "$ns" sysctl -q -w "net.ipv6.conf.$name.accept_dad=0"
}

# tb__wg_handshaked [DEV [NS]]: the tunnel DEV (default $TB_GW_WG) in NS
# (default the gateway) has completed a handshake.
tb__wg_handshaked()
{
	local hs

	hs=$(ip netns exec "${2:-$TB_NS_GW}" wg show "${1:-$TB_GW_WG}" latest-handshakes \
		2>/dev/null)
	[[ -n $hs && ${hs##*[[:space:]]} != 0 ]]
}

# tb__router NS: NS forwards IPv4 and IPv6, without reverse-path filtering.
tb__router()
{
	tb__run ip netns exec "$1" sysctl -q -w \
		net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0
}

# The tunnel addresses of tunnel K (0, 1, 2): a /30 and a /64 each out of
# 100.64.0.0/10 and 2001:db8:100::/56; the gateway's end is 1, the peer's 2.
tb__tunnel_addr()	# tb__tunnel_addr K gw|peer [4|6 [LEN]]
{
	local k=$1 end=1

	[[ $2 == peer ]] && end=2
	if [[ ${3:-4} == 4 ]]; then
		echo "100.64.0.$((4 * k + end))${4:+/$4}"
	else
		echo "2001:db8:$((100 + k))::$end${4:+/$4}"
	fi
}

# tb__tunnel K GW_NS GW_WG PEER_NS PEER_WG KEY ENDPOINT PORT [METRIC]: WireGuard
# tunnel K (wireguard-go) between a gateway and a peer, up and handshaked.
# Keys $TB_DIR/keys/KEY-gw and KEY-peer (.key, .pub). The peer listens on
# PORT, accepts the gateway's tunnel addresses and the client's subnets,
# and routes the subnets back into the tunnel (with METRIC, if given): that
# is the whole return path. The gateway's end sends to ENDPOINT and accepts
# anything the peer sends (allowed-ips is the cryptokey table, not a route:
# wg never adds routes, only wg-quick does); its routing table learns only
# the connected /30 and /64, so nothing routes the services into the tunnel.
tb__tunnel()
{
	local k=$1 gw_ns=$2 gw_wg=$3 peer_ns=$4 peer_wg=$5 key=$TB_DIR/keys/$6 endpoint=$7
	local port=$8 metric=() i

	[[ -n ${9:-} ]] && metric=(metric "$9")
	(umask 077 && mkdir -p "$TB_DIR/keys" &&
	 wg genkey >"$key-gw.key" && wg pubkey <"$key-gw.key" >"$key-gw.pub" &&
	 wg genkey >"$key-peer.key" && wg pubkey <"$key-peer.key" >"$key-peer.pub") || {
		tb_log "wg genkey/pubkey failed"
		return 1
	}
	tb__wg_start "$peer_ns" "$peer_wg" || return 1
	tb__wg_start "$gw_ns" "$gw_wg" || return 1
	tb__run ip netns exec "$peer_ns" wg set "$peer_wg" \
		private-key "$key-peer.key" listen-port "$port" \
		peer "$(<"$key-gw.pub")" \
		allowed-ips "$(tb__tunnel_addr "$k" gw 4 32),$(tb__tunnel_addr "$k" gw 6 128),192.0.2.0/24,2001:db8:1::/64" ||
		return 1
	tb__addr "$peer_ns" "$peer_wg" "$(tb__tunnel_addr "$k" peer 4 30)" \
		"$(tb__tunnel_addr "$k" peer 6 64)" || return 1
	tb__run ip -n "$peer_ns" link set "$peer_wg" up || return 1
	tb__run ip -n "$peer_ns" route add 192.0.2.0/24 dev "$peer_wg" "${metric[@]}" || return 1
	tb__run ip -n "$peer_ns" -6 route add 2001:db8:1::/64 dev "$peer_wg" "${metric[@]}" ||
		return 1

	tb__run ip netns exec "$gw_ns" wg set "$gw_wg" \
		private-key "$key-gw.key" \
		peer "$(<"$key-peer.pub")" endpoint "$endpoint" \
		allowed-ips 0.0.0.0/0,::/0 || return 1
	tb__addr "$gw_ns" "$gw_wg" "$(tb__tunnel_addr "$k" gw 4 30)" \
		"$(tb__tunnel_addr "$k" gw 6 64)" || return 1
	tb__run ip -n "$gw_ns" link set "$gw_wg" up || return 1

	# The first ping triggers the handshake.
	for ((i = 0; i < 10; i++)); do
		ip netns exec "$gw_ns" ping -n -q -c 1 -W 1 "$(tb__tunnel_addr "$k" peer)" \
			>/dev/null 2>&1 && tb__wg_handshaked "$gw_wg" "$gw_ns" && break
	done
	if ! tb__wg_handshaked "$gw_wg" "$gw_ns"; then
		tb_log "no WireGuard handshake between $gw_wg and $peer_wg"
		ip netns exec "$gw_ns" wg show "$gw_wg" >&2
		return 1
	fi
}

# Build the whole testbed. Returns non-zero (after saying why) if any step
# fails; whatever was built by then is torn down by tb_teardown.
tb_setup()
{
	local ns

	if ((EUID != 0)); then
		tb_log "needs root"
		return 1
	fi
	tb__names || return 1

	# mktemp's X are alphanumeric; the path must also be safe inside socat
	# addresses, where ':' and ',' are separators.
	TB_DIR=$(mktemp -d "${TB_TMPDIR:-/tmp}/bpfroute-tb-$TB_SUFFIX.XXXXXX") || return 1
	if [[ ! $TB_DIR =~ ^/[A-Za-z0-9/._-]+$ ]]; then
		tb_log "temp dir '$TB_DIR' has characters socat cannot take"
		return 1
	fi
	export TB_DIR

	# A bpffs of our own, outside /sys: `ip netns exec` remounts /sys (hiding
	# /sys/fs/bpf), and the host's bpffs is not ours to fill.
	TB_BPFFS=$TB_DIR/bpffs
	TB_PIN=$TB_BPFFS/bpfroute
	export TB_BPFFS TB_PIN
	tb__run mkdir "$TB_BPFFS" || return 1
	tb__run mount -t bpf bpf "$TB_BPFFS" || return 1
	TB__MOUNTED=1

	for ns in "$TB_NS_CLI" "$TB_NS_GW" "$TB_NS_INET" "$TB_NS_PEER"; do
		tb__netns_add "$ns" || return 1
	done

	# The decoy's TTL, set before its interfaces exist: new interfaces copy
	# conf/default, and the hop limit of a reply comes from the output
	# device's conf (writing "all" does not reach existing interfaces).
	tb__run ip netns exec "$TB_NS_INET" sysctl -q -w \
		"net.ipv4.ip_default_ttl=$TB_DECOY_TTL" \
		"net.ipv6.conf.all.hop_limit=$TB_DECOY_TTL" \
		"net.ipv6.conf.default.hop_limit=$TB_DECOY_TTL" \
		"net.ipv6.conf.lo.hop_limit=$TB_DECOY_TTL" || return 1

	# The gateway forwards the return path (tunnel -> LAN) and the ordinary
	# path (LAN <-> WAN). rp_filter is off explicitly: replies from the tunnel
	# come from 203.0.113.10, which the routing table places on the WAN side,
	# so strict reverse-path filtering would drop them. (A new namespace starts
	# with 0 here; a real gateway may not - that is the product's concern, not
	# the testbed's.)
	tb__router "$TB_NS_GW" || return 1

	# Links.
	tb__veth "$TB_NS_GW" "$TB_GW_LAN" "$TB_NS_CLI" eth0 || return 1
	tb__veth "$TB_NS_GW" "$TB_GW_WAN" "$TB_NS_INET" eth0 || return 1
	tb__veth "$TB_NS_GW" "$TB_GW_UL" "$TB_NS_PEER" eth0 || return 1
	tb__run ip netns exec "$TB_NS_INET" sysctl -q -w \
		"net.ipv6.conf.eth0.hop_limit=$TB_DECOY_TTL" || return 1

	# Client.
	tb__addr "$TB_NS_CLI" eth0 192.0.2.2/24 2001:db8:1::2/64 || return 1
	tb__run ip -n "$TB_NS_CLI" route add default via 192.0.2.1 || return 1
	tb__run ip -n "$TB_NS_CLI" -6 route add default via 2001:db8:1::1 || return 1

	# Gateway: ordinary default routes to the internet host; the underlay to
	# the peer is a connected /25 of its own.
	tb__addr "$TB_NS_GW" "$TB_GW_LAN" 192.0.2.1/24 2001:db8:1::1/64 || return 1
	tb__addr "$TB_NS_GW" "$TB_GW_WAN" 198.51.100.1/25 2001:db8:2::1/64 || return 1
	tb__addr "$TB_NS_GW" "$TB_GW_UL" 198.51.100.129/25 2001:db8:4::1/64 || return 1
	tb__run ip -n "$TB_NS_GW" route add default via 198.51.100.2 || return 1
	tb__run ip -n "$TB_NS_GW" -6 route add default via 2001:db8:2::2 || return 1

	# Internet host: the decoy service address, and the way back to the LAN.
	tb__addr "$TB_NS_INET" eth0 198.51.100.2/25 2001:db8:2::2/64 || return 1
	tb__addr "$TB_NS_INET" lo "$TB_SERVICE4/32" "$TB_SERVICE6/128" || return 1
	tb__run ip -n "$TB_NS_INET" route add 192.0.2.0/24 via 198.51.100.1 || return 1
	tb__run ip -n "$TB_NS_INET" -6 route add 2001:db8:1::/64 via 2001:db8:2::1 || return 1

	# WireGuard peer: the private service address, same as the decoy's.
	tb__addr "$TB_NS_PEER" eth0 198.51.100.130/25 2001:db8:4::2/64 || return 1
	tb__addr "$TB_NS_PEER" lo "$TB_SERVICE4/32" "$TB_SERVICE6/128" || return 1

	tb__tunnel 0 "$TB_NS_GW" "$TB_GW_WG" "$TB_NS_PEER" "$TB_PEER_WG" 0 \
		198.51.100.130:51820 51820 || return 1

	# Services.
	tb__write_responder || return 1
	tb__service "$TB_NS_PEER" private
	tb__service "$TB_NS_INET" decoy
	for ns in "$TB_NS_PEER" "$TB_NS_INET"; do
		if ! tb__wait_for 30 0.1 tb__listening "$ns"; then
			tb_log "socat in $ns is not listening on $TB_SERVICE_PORT"
			return 1
		fi
	done

	tb__debug "testbed $TB_SUFFIX up in $TB_DIR"
	return 0
}

# ---- optional parts --------------------------------------------------------

# tb_spawn NS COMM LOG CMD...: a long-running process of the caller's, stopped
# (with its children) by tb_teardown. COMM is the name it runs under
# (/proc/PID/comm), checked before it is killed. Its pid is in $TB_SPAWNED.
TB_SPAWNED=
tb_spawn()
{
	tb__spawn "$@"
	# shellcheck disable=SC2034  # read by the caller
	TB_SPAWNED=${TB__PIDS[-1]%%:*}
}

# tb_capture NS DEV FILTER: tcpdump on DEV in NS, one line per packet that
# matches FILTER (line-buffered, so it can be counted while it runs), until
# teardown stops it. True once it listens (10 s at most); its log is in
# $TB_CAPTURED, for tb_captured.
TB_CAPTURED=
tb_capture()
{
	local ns=$1 dev=$2 filter=$3

	TB_CAPTURED=$TB_DIR/capture-$ns-$dev-${#TB__PIDS[@]}.log
	tb_spawn "$ns" tcpdump "$TB_CAPTURED" tcpdump -l -n -i "$dev" "$filter"
	tb__wait_for 100 0.1 grep -q "listening on $dev" "$TB_CAPTURED"
}

# tb_captured LOG [WHAT]: how many packets the capture LOG has seen so far
# (lines with WHAT, if given: "echo request").
tb_captured()
{
	grep -v -e '^listening on' -e '^tcpdump:' "$1" 2>/dev/null | grep -c -e "${2:-.}"
}

# tb_setup_peer2: a second WireGuard peer, its own namespace behind its own
# tunnel (gateway wgh<S> 100.64.0.5/30 2001:db8:101::1/64, peer2 wgq<S>),
# carried over an IPv6-only underlay (gateway ul1 2001:db8:5::1/64, peer2
# 2001:db8:5::2/64). Like the first peer it owns the service addresses and
# routes the client's subnets back into its tunnel; its service answers
# "private2". A second target device for rules that must not be confused.
tb_setup_peer2()
{
	tb__netns_add "$TB_NS_PEER2" || return 1
	tb__veth "$TB_NS_GW" "$TB_GW_UL2" "$TB_NS_PEER2" eth0 || return 1
	tb__addr "$TB_NS_GW" "$TB_GW_UL2" 2001:db8:5::1/64 || return 1
	tb__addr "$TB_NS_PEER2" eth0 2001:db8:5::2/64 || return 1
	tb__addr "$TB_NS_PEER2" lo "$TB_SERVICE4/32" "$TB_SERVICE6/128" || return 1

	tb__tunnel 1 "$TB_NS_GW" "$TB_GW_WG2" "$TB_NS_PEER2" "$TB_PEER2_WG" 1 \
		"[2001:db8:5::2]:51820" 51820 || return 1

	tb__service "$TB_NS_PEER2" private2
	if ! tb__wait_for 30 0.1 tb__listening "$TB_NS_PEER2"; then
		tb_log "socat in $TB_NS_PEER2 is not listening on $TB_SERVICE_PORT"
		return 1
	fi
	return 0
}

# tb_setup_ranges: the decoy and the peers answer on every address of
# 203.0.113.0/24 and 2001:db8:3::/64, not just the service's: local routes
# on lo (AnyIP), which the services' wildcard sockets accept. Names can then
# resolve to addresses of their own and still reach "decoy" or "private".
tb_setup_ranges()
{
	local ns

	for ns in "$TB_NS_INET" "$TB_NS_PEER" "$TB_NS_PEER2"; do
		[[ -e /run/netns/$ns ]] || continue
		tb__run ip -n "$ns" route add local "$TB_PREFIX4" dev lo table local || return 1
		tb__run ip -n "$ns" -6 route add local "$TB_PREFIX6" dev lo table local || return 1
	done
}

# ---- the VPN provider's variant (masquerade) ---------------------------------

# tb_setup_vpn_peer: the peer as a commercial VPN provider's server is set up:
# the gateway's AllowedIPs there are the gateway's tunnel addresses only
# (100.64.0.1/32, 2001:db8:100::1/128), and the peer has no route back to
# the LAN (192.0.2.0/24, 2001:db8:1::/64). WireGuard drops every packet from
# the tunnel whose source is not in the sender's AllowedIPs (the cryptokey
# routing of the WireGuard paper, section 2): a client's packet put into the
# tunnel as it is never gets past the peer; only packets whose source is the
# gateway's tunnel address (masqueraded) do. Affects the first peer only, and
# after tb_setup_fleet gateway B's tunnel to it too (100.64.0.9/32,
# 2001:db8:102::1/128).
tb_setup_vpn_peer()
{
	tb__vpn_side 0 "$TB_PEER_WG" || return 1
	[[ -e /run/netns/$TB_NS_GW2 ]] || return 0
	tb__vpn_side 2 "$TB_PEER_WG3"
}

# tb__vpn_side K PEER_WG: the peer's end of tunnel K takes from the gateway
# only the gateway's tunnel addresses, and has no route back to the LAN.
tb__vpn_side()
{
	local gw_pub

	gw_pub=$(<"$TB_DIR/keys/$1-gw.pub") || return 1
	# `wg set ... allowed-ips` replaces the peer's list (it is not added to).
	tb__run ip netns exec "$TB_NS_PEER" wg set "$2" peer "$gw_pub" \
		allowed-ips "$(tb__tunnel_addr "$1" gw 4 32),$(tb__tunnel_addr "$1" gw 6 128)" ||
		return 1
	tb__run ip -n "$TB_NS_PEER" route del 192.0.2.0/24 dev "$2" || return 1
	tb__run ip -n "$TB_NS_PEER" -6 route del 2001:db8:1::/64 dev "$2"
}

# tb_setup_lan_switch: two clients on the gateway's LAN. A "switch" (a
# namespace with a Linux bridge, br-sw-S) joins the gateway's lan0, the
# client's eth0 and a second client's eth0 (namespace br-cli2-S, 192.0.2.3/24
# and 2001:db8:1::3/64, default routes via the gateway). lan0 stays a plain
# interface of the gateway, so `interface lan0` means what it did; the veth
# pair lan0 / client eth0 of tb_setup is replaced (new ifindexes: call this
# before loading anything on lan0).
#
#	client  eth0 --- p1 \
#	                     br0 (switch) p0 --- lan0 gateway
#	client2 eth0 --- p2 /
tb_setup_lan_switch()
{
	local ns

	for ns in "$TB_NS_SW" "$TB_NS_CLI2"; do
		tb__netns_add "$ns" || return 1
	done
	# Deleting one end of a veth pair deletes the other (the client's eth0).
	tb__run ip -n "$TB_NS_GW" link del "$TB_GW_LAN" || return 1

	# Multicast snooping off: without an MLD querier, a snooping bridge may
	# stop flooding the solicited-node groups neighbour discovery needs.
	# STP is off by default, so ports forward at once.
	tb__run ip -n "$TB_NS_SW" link add br0 type bridge mcast_snooping 0 || return 1
	tb__run ip -n "$TB_NS_SW" link set br0 up || return 1
	tb__veth "$TB_NS_GW" "$TB_GW_LAN" "$TB_NS_SW" p0 || return 1
	tb__veth "$TB_NS_CLI" eth0 "$TB_NS_SW" p1 || return 1
	tb__veth "$TB_NS_CLI2" eth0 "$TB_NS_SW" p2 || return 1
	for ns in p0 p1 p2; do
		tb__run ip -n "$TB_NS_SW" link set "$ns" master br0 || return 1
	done

	tb__addr "$TB_NS_GW" "$TB_GW_LAN" 192.0.2.1/24 2001:db8:1::1/64 || return 1
	tb__addr "$TB_NS_CLI" eth0 192.0.2.2/24 2001:db8:1::2/64 || return 1
	tb__addr "$TB_NS_CLI2" eth0 192.0.2.3/24 2001:db8:1::3/64 || return 1
	for ns in "$TB_NS_CLI" "$TB_NS_CLI2"; do
		tb__run ip -n "$ns" route add default via 192.0.2.1 || return 1
		tb__run ip -n "$ns" -6 route add default via 2001:db8:1::1 || return 1
	done
	# Both clients reach the gateway through the switch.
	for ns in "$TB_NS_CLI" "$TB_NS_CLI2"; do
		if ! tb__wait_for 20 0.1 ip netns exec "$ns" ping -n -c 1 -W 1 192.0.2.1 ||
		   ! tb__wait_for 20 0.1 ip netns exec "$ns" ping -6 -n -c 1 -W 1 2001:db8:1::1; then
			tb_log "$ns cannot reach the gateway through the switch"
			return 1
		fi
	done
}

# ---- a high-availability pair of gateways -----------------------------------

# The gateways' LAN addresses and the virtual one the clients route through.
TB_GW_LAN4=192.0.2.1
TB_GW2_LAN4=192.0.2.253
TB_GW2_LAN6=2001:db8:1::fd
TB_VIP4=192.0.2.254
TB_VIP6=2001:db8:1::fe

# tb_setup_fleet: a second gateway, B (namespace br-gw2-S), beside the first
# (A), both on the LAN switch, each with its own uplink and its own tunnel to
# the same peer, as two gateways of an HA pair are:
#
#	client, client2 --- switch --- lan0 A (192.0.2.1)   wan0 --- eth0 internet
#	                         \---- lan0 B (192.0.2.253) wan0 --- eth1 host
#	A ul0 --- eth0 peer, A wgg<S> ===== wgp<S> peer
#	B ul0 --- eth2 peer, B wgb<S> ===== wgr<S> peer   (IPv6 underlay)
#
# B: lan0 192.0.2.253/24 2001:db8:1::fd/64; wan0 198.51.100.3/32 (a host
# route each way: the /25s of 198.51.100.0/24 are taken) and
# 2001:db8:8::1/64 to the internet host's eth1 (2001:db8:8::2/64); ul0
# 2001:db8:7::1/64 to the peer's eth2 (2001:db8:7::2/64); its tunnel wgb<S>
# 100.64.0.9/30 2001:db8:102::1/64, the peer's end wgr<S> 100.64.0.10/30
# 2001:db8:102::2/64. B's ordinary routes lead to the decoy, as A's do.
#
# The clients' default routes point at TB_VIP4 / TB_VIP6, which no gateway
# holds until keepalived (tb_keepalived) puts them on one. The return paths
# stay on A while A is up: the internet host and the peer route the LAN to
# A first and to B with a higher metric (used once A's route is gone). A
# failover that stops only A's keepalived thus moves the clients' outgoing
# packets to B (what B steers), and their replies still come through A, as
# with any pair whose far side is not told which gateway is active.
tb_setup_fleet()
{
	local ns

	if [[ ! -e /run/netns/$TB_NS_SW ]]; then
		tb_setup_lan_switch || return 1
	fi
	tb__netns_add "$TB_NS_GW2" || return 1
	tb__router "$TB_NS_GW2" || return 1

	# LAN: a fourth port of the switch.
	tb__veth "$TB_NS_GW2" "$TB_GW_LAN" "$TB_NS_SW" p3 || return 1
	tb__run ip -n "$TB_NS_SW" link set p3 master br0 || return 1
	tb__addr "$TB_NS_GW2" "$TB_GW_LAN" "$TB_GW2_LAN4/24" "$TB_GW2_LAN6/64" || return 1

	# Uplink to the internet host. The decoy's hop limit is per interface.
	tb__veth "$TB_NS_GW2" "$TB_GW_WAN" "$TB_NS_INET" eth1 || return 1
	tb__run ip netns exec "$TB_NS_INET" sysctl -q -w \
		"net.ipv6.conf.eth1.hop_limit=$TB_DECOY_TTL" || return 1
	tb__addr "$TB_NS_GW2" "$TB_GW_WAN" 198.51.100.3/32 2001:db8:8::1/64 || return 1
	tb__addr "$TB_NS_INET" eth1 2001:db8:8::2/64 || return 1
	tb__run ip -n "$TB_NS_GW2" route add 198.51.100.2/32 dev "$TB_GW_WAN" || return 1
	tb__run ip -n "$TB_NS_GW2" route add default via 198.51.100.2 dev "$TB_GW_WAN" || return 1
	tb__run ip -n "$TB_NS_GW2" -6 route add default via 2001:db8:8::2 || return 1
	tb__run ip -n "$TB_NS_INET" route add 198.51.100.3/32 dev eth1 || return 1
	tb__run ip -n "$TB_NS_INET" route add 192.0.2.0/24 via 198.51.100.3 dev eth1 metric 100 ||
		return 1
	tb__run ip -n "$TB_NS_INET" -6 route add 2001:db8:1::/64 via 2001:db8:8::1 metric 100 ||
		return 1

	# Underlay and tunnel to the peer.
	tb__veth "$TB_NS_GW2" "$TB_GW_UL" "$TB_NS_PEER" eth2 || return 1
	tb__addr "$TB_NS_GW2" "$TB_GW_UL" 2001:db8:7::1/64 || return 1
	tb__addr "$TB_NS_PEER" eth2 2001:db8:7::2/64 || return 1
	tb__tunnel 2 "$TB_NS_GW2" "$TB_GW2_WG" "$TB_NS_PEER" "$TB_PEER_WG3" 2 \
		"[2001:db8:7::2]:51821" 51821 100 || return 1

	# The clients route through the virtual address, wherever it is.
	for ns in "$TB_NS_CLI" "$TB_NS_CLI2"; do
		tb__run ip -n "$ns" route replace default via "$TB_VIP4" || return 1
		tb__run ip -n "$ns" -6 route replace default via "$TB_VIP6" || return 1
	done
	# The two gateways see each other (the BGP session's path).
	if ! tb__wait_for 20 0.1 ip netns exec "$TB_NS_GW2" ping -n -c 1 -W 1 "$TB_GW_LAN4"; then
		tb_log "gateway B cannot reach gateway A on the LAN"
		return 1
	fi
	export TB_GW_LAN4 TB_GW2_LAN4 TB_GW2_LAN6 TB_VIP4 TB_VIP6
}

# tb_keepalived NS CONF: keepalived (VRRP only) in gateway NS with config
# CONF, in the foreground so that teardown holds its pid (TB_SPAWNED); its
# pid files in $TB_DIR, so that one keepalived per namespace can run on one
# machine (the defaults under /run are shared by all namespaces), its log
# in $TB_DIR/keepalived-NS.log.
tb_keepalived()
{
	local ns=$1 conf=$2 pid

	tb_spawn "$ns" keepalived "$TB_DIR/keepalived-$ns.log" \
		keepalived --vrrp --dont-fork --log-console --log-detail --no-syslog \
		--use-file "$conf" --pid "$TB_DIR/keepalived-$ns.pid" \
		--vrrp_pid "$TB_DIR/keepalived-vrrp-$ns.pid"
	pid=$TB_SPAWNED
	sleep 0.2
	if ! tb__alive "$pid"; then
		tb_log "keepalived in $ns ended at once; its log:"
		sed 's/^/testbed:   /' "$TB_DIR/keepalived-$ns.log" >&2
		return 1
	fi
}

# tb_bird NS CONF: BIRD in gateway NS with config CONF, in the foreground
# (pid in TB_SPAWNED), its control socket TB_BIRD_CTL
# ($TB_DIR/bird-NS.ctl, for birdc -s) and log in $TB_DIR; true once it
# answers on the socket (5 s at most).
TB_BIRD_CTL=
tb_bird()
{
	local ns=$1 conf=$2 pid

	TB_BIRD_CTL=$TB_DIR/bird-$ns.ctl
	tb_spawn "$ns" bird "$TB_DIR/bird-$ns.log" \
		bird -f -c "$conf" -s "$TB_BIRD_CTL" -P "$TB_DIR/bird-$ns.pid"
	pid=$TB_SPAWNED
	if ! tb__wait_for 50 0.1 ip netns exec "$ns" birdc -s "$TB_BIRD_CTL" show status ||
	   ! tb__alive "$pid"; then
		tb_log "bird in $ns does not answer on $TB_BIRD_CTL; its log:"
		sed 's/^/testbed:   /' "$TB_DIR/bird-$ns.log" >&2
		return 1
	fi
}

# tb_setup_service_hop [MTU]: the private service one hop behind the peer,
# over a narrow link, as a service in a VPN provider's network is: a host
# br-svc-S (eth0 100.64.1.2/30, 2001:db8:6::2/64) joined to the peer's eth1
# (100.64.1.1/30, 2001:db8:6::1/64) by a link of MTU (default 1280) on both
# ends. The service addresses (and tb_setup_ranges' local ranges, if set)
# move from the peer to this host, which also runs the "private" HTTP
# service; the peer forwards between its tunnel and the link. A packet
# larger than MTU with DF set, coming out of the tunnel, makes the peer send
# ICMP fragmentation needed / packet too big (with the MTU) back into the
# tunnel, to the packet's source.
#
# The service host's routes advertise a TCP MSS of a 1500-byte network
# (advmss), as a server on an Ethernet behind the narrow link would: a
# client then sends segments too big for the path, and TCP only gets through
# by path MTU discovery (RFC 1191, RFC 8201).
tb_setup_service_hop()
{
	local mtu=${1:-1280} had_ranges=0

	tb__netns_add "$TB_NS_SVC" || return 1
	tb__veth "$TB_NS_PEER" eth1 "$TB_NS_SVC" eth0 || return 1
	tb__run ip -n "$TB_NS_PEER" link set eth1 mtu "$mtu" || return 1
	tb__run ip -n "$TB_NS_SVC" link set eth0 mtu "$mtu" || return 1
	tb__addr "$TB_NS_PEER" eth1 100.64.1.1/30 2001:db8:6::1/64 || return 1
	tb__addr "$TB_NS_SVC" eth0 100.64.1.2/30 2001:db8:6::2/64 || return 1

	# The addresses move: the peer forwards to them instead of owning them.
	tb__run ip -n "$TB_NS_PEER" addr del "$TB_SERVICE4/32" dev lo || return 1
	tb__run ip -n "$TB_NS_PEER" -6 addr del "$TB_SERVICE6/128" dev lo || return 1
	if [[ -n $(ip -n "$TB_NS_PEER" route show table local "$TB_PREFIX4" 2>/dev/null) ]]; then
		had_ranges=1
		tb__run ip -n "$TB_NS_PEER" route del local "$TB_PREFIX4" dev lo table local ||
			return 1
		tb__run ip -n "$TB_NS_PEER" -6 route del local "$TB_PREFIX6" dev lo table local ||
			return 1
	fi
	tb__addr "$TB_NS_SVC" lo "$TB_SERVICE4/32" "$TB_SERVICE6/128" || return 1
	if ((had_ranges)); then
		tb__run ip -n "$TB_NS_SVC" route add local "$TB_PREFIX4" dev lo table local ||
			return 1
		tb__run ip -n "$TB_NS_SVC" -6 route add local "$TB_PREFIX6" dev lo table local ||
			return 1
	fi
	tb__run ip -n "$TB_NS_PEER" route add "$TB_PREFIX4" via 100.64.1.2 || return 1
	tb__run ip -n "$TB_NS_PEER" -6 route add "$TB_PREFIX6" via 2001:db8:6::2 || return 1
	tb__run ip netns exec "$TB_NS_PEER" sysctl -q -w \
		net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1

	tb__run ip -n "$TB_NS_SVC" route add default via 100.64.1.1 advmss 1460 || return 1
	tb__run ip -n "$TB_NS_SVC" -6 route add default via 2001:db8:6::1 advmss 1440 || return 1

	tb__service "$TB_NS_SVC" private
	if ! tb__wait_for 30 0.1 tb__listening "$TB_NS_SVC"; then
		tb_log "socat in $TB_NS_SVC is not listening on $TB_SERVICE_PORT"
		return 1
	fi
	# The peer reaches the service over the link, in both families.
	if ! tb__wait_for 20 0.1 ip netns exec "$TB_NS_PEER" ping -n -c 1 -W 1 "$TB_SERVICE4" ||
	   ! tb__wait_for 20 0.1 ip netns exec "$TB_NS_PEER" ping -6 -n -c 1 -W 1 "$TB_SERVICE6"; then
		tb_log "the peer cannot reach the service host $TB_NS_SVC"
		return 1
	fi
}

# The resolver on the internet host. Queries for any other name are refused
# (no upstream: --no-resolv), so nothing is ever asked outside the testbed.
TB_DNS4=198.51.100.2
TB_DNS6=2001:db8:2::2

# The test zones, as dnsmasq config. The addresses other than .10 / ::10 need
# tb_setup_ranges for the hosts to answer on them.
#
#   *.corp.example.com	A 203.0.113.10, AAAA 2001:db8:3::10 (every name below it)
#   vip.corp.example.com	A 203.0.113.41, AAAA 2001:db8:3::41
#   app.example.org	A 203.0.113.40, AAAA 2001:db8:3::40
#   other.example.net	A 203.0.113.20, AAAA 2001:db8:3::20
#   chain.corp.example.com	CNAME hop1.example.net, CNAME hop2.example.net,
#			A 203.0.113.50, AAAA 2001:db8:3::50
#   short.corp.example.com	A 203.0.113.31, AAAA 2001:db8:3::31, TTL 1
#   many.corp.example.com	67 A: 203.0.113.121 .. 203.0.113.187, more than
#			the kernel learns of one answer (BPFROUTE_DNS_LEARN_MAX,
#			64): the agent finishes it. 1122 bytes with EDNS,
#			one UDP answer; a client without EDNS gets 29 of them
#			and TC over UDP, then all of them over TCP
#   tcp.corp.example.com	3 CNAMEs of 200-character names, then A 203.0.113.60
#			and AAAA 2001:db8:3::60; 693 bytes: the truncated UDP
#			answer holds the first 2 CNAMEs only, the address comes
#			over TCP alone
# Every other record has TTL 300 (local-ttl). 203.0.113.61 .. .120 and
# .188 .. .254 are left to the tests' own zones (test_e2e_dns.sh).
tb__dns_zone()
{
	local l i h1 h2 h3

	l=$(printf '%060d' 0 | tr 0 a).$(printf '%060d' 0 | tr 0 b).$(printf '%060d' 0 | tr 0 c)
	h1=$l.hop1.example.net
	h2=$l.hop2.example.net
	h3=$l.hop3.example.net
	cat <<EOF
address=/corp.example.com/$TB_SERVICE4
address=/corp.example.com/$TB_SERVICE6
host-record=vip.corp.example.com,203.0.113.41,2001:db8:3::41
host-record=app.example.org,203.0.113.40,2001:db8:3::40
host-record=other.example.net,203.0.113.20,2001:db8:3::20
cname=chain.corp.example.com,hop1.example.net
cname=hop1.example.net,hop2.example.net
host-record=hop2.example.net,203.0.113.50,2001:db8:3::50
host-record=short.corp.example.com,203.0.113.31,2001:db8:3::31,1
cname=tcp.corp.example.com,$h1
cname=$h1,$h2
cname=$h2,$h3
host-record=$h3,203.0.113.60,2001:db8:3::60
EOF
	for ((i = 121; i <= 187; i++)); do
		printf 'host-record=many.corp.example.com,203.0.113.%d\n' "$i"
	done
}

tb__dns_answers()
{
	[[ $(ip netns exec "$TB_NS_INET" dig +short +time=1 +tries=1 \
		@"$TB_DNS4" app.example.org A 2>/dev/null) == 203.0.113.40 ]]
}

# tb_setup_dns [FILE...]: dnsmasq on the internet host with the test zones
# and each FILE as more dnsmasq config (conf-file=), and the client's
# resolv.conf naming it, through /etc/netns/<client ns>/resolv.conf (which
# `ip netns exec` binds over /etc/resolv.conf).
tb_setup_dns()
{
	local conf=$TB_DIR/dnsmasq.conf f

	{
		cat <<EOF
# dnsmasq of the bpfroute testbed (generated): no upstream, only test zones.
no-resolv
no-hosts
no-poll
keep-in-foreground
bind-interfaces
listen-address=$TB_DNS4
listen-address=$TB_DNS6
port=53
pid-file=
user=root
local-ttl=300
log-queries
log-facility=-
EOF
		tb__dns_zone
		for f in "$@"; do
			printf 'conf-file=%s\n' "$f"
		done
	} >"$conf" || return 1
	tb__spawn "$TB_NS_INET" dnsmasq "$TB_DIR/dnsmasq.log" dnsmasq --conf-file="$conf"
	if ! tb__wait_for 50 0.1 tb__dns_answers; then
		tb_log "dnsmasq on $TB_NS_INET does not answer; its log:"
		sed 's/^/testbed:   /' "$TB_DIR/dnsmasq.log" >&2
		return 1
	fi

	# The gateway gets one too: whatever resolves names there (an agent's
	# prefetch) must ask the testbed's resolver, never the host's.
	TB_CLI_RESOLV=/etc/netns/$TB_NS_CLI/resolv.conf
	TB_GW_RESOLV=/etc/netns/$TB_NS_GW/resolv.conf
	export TB_DNS4 TB_DNS6 TB_CLI_RESOLV TB_GW_RESOLV
	[[ -d /etc/netns ]] || TB__ETC_NETNS=1
	for f in "$TB_CLI_RESOLV" "$TB_GW_RESOLV"; do
		tb__run mkdir -p "${f%/*}" || return 1
		printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$TB_DNS4" >"$f" || return 1
	done
	return 0
}

# Undo tb_setup: safe to call twice, and after a setup that failed half way.
# Kills only the processes the testbed started (checking each pid still runs
# the command we started, so a recycled pid is left alone).
tb_teardown()
{
	local entry pid comm pids=() p i ns wg

	for entry in "${TB__PIDS[@]}"; do
		pid=${entry%%:*}
		comm=${entry#*:}
		tb__alive "$pid" || continue
		[[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || continue
		# Children first in the list so none is orphaned unseen.
		for p in $(tb__descendants "$pid") "$pid"; do
			pids+=("$p")
		done
	done
	if ((${#pids[@]})); then
		kill -TERM "${pids[@]}" 2>/dev/null
		for ((i = 0; i < 30; i++)); do
			tb__any_alive "${pids[@]}" || break
			sleep 0.1
		done
		for p in "${pids[@]}"; do
			if tb__alive "$p"; then
				tb_log "pid $p ignored SIGTERM, sending SIGKILL"
				kill -KILL "$p" 2>/dev/null
			fi
		done
		for ((i = 0; i < 20; i++)); do
			tb__any_alive "${pids[@]}" || break
			sleep 0.1
		done
	fi
	TB__PIDS=()

	# wireguard-go removes its TUN device and socket when it exits. If it
	# could not, delete the device ourselves: a TUN device is not
	# netns-local, so deleting the namespace would move it to the host's.
	for wg in "${TB_GW_WG:-}:${TB_NS_GW:-}" "${TB_PEER_WG:-}:${TB_NS_PEER:-}" \
		  "${TB_GW_WG2:-}:${TB_NS_GW:-}" "${TB_PEER2_WG:-}:${TB_NS_PEER2:-}" \
		  "${TB_GW2_WG:-}:${TB_NS_GW2:-}" "${TB_PEER_WG3:-}:${TB_NS_PEER:-}"; do
		ns=${wg#*:}
		wg=${wg%%:*}
		[[ -n $wg ]] || continue
		if [[ -n $ns && -e /run/netns/$ns ]] &&
		   ip -n "$ns" link show dev "$wg" >/dev/null 2>&1; then
			ip -n "$ns" link del dev "$wg" 2>/dev/null ||
				tb_log "could not delete $wg in $ns"
		fi
		[[ -S /var/run/wireguard/$wg.sock ]] && rm -f "/var/run/wireguard/$wg.sock"
	done

	# The resolv.conf files of tb_setup_dns: only our files, then their
	# directories if that leaves them empty.
	for ns in "${TB_NS_CLI:-}" "${TB_NS_GW:-}"; do
		[[ -n $ns && -d /etc/netns/$ns ]] || continue
		rm -f "/etc/netns/$ns/resolv.conf"
		rmdir "/etc/netns/$ns" 2>/dev/null
	done
	((TB__ETC_NETNS)) && rmdir /etc/netns 2>/dev/null
	TB__ETC_NETNS=0

	# Deleting a namespace deletes its veths and any TC filters on them.
	for ns in "${TB__NETNS[@]}"; do
		[[ -e /run/netns/$ns ]] || continue
		ip netns del "$ns" 2>/dev/null || tb_log "could not delete namespace $ns"
	done
	TB__NETNS=()

	if ((TB__MOUNTED)) && [[ -n ${TB_BPFFS:-} ]]; then
		if mountpoint -q "$TB_BPFFS"; then
			umount "$TB_BPFFS" 2>/dev/null || umount -l "$TB_BPFFS" ||
				tb_log "could not unmount $TB_BPFFS"
		fi
		TB__MOUNTED=0
	fi

	# Remove the temp dir only if it is ours and nothing is mounted in it.
	if [[ -n ${TB_DIR:-} && -d $TB_DIR && $TB_DIR == */bpfroute-tb-* ]]; then
		if [[ -n ${TB_BPFFS:-} ]] && mountpoint -q "$TB_BPFFS"; then
			tb_log "leaving $TB_DIR: $TB_BPFFS is still mounted"
		else
			rm -rf -- "$TB_DIR"
		fi
	fi
	return 0
}
