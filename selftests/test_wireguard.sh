#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The WireGuard endpoint reader against a real wireguard-go, in namespaces:
#  - brwg$$ runs wireguard-go with device wgt$$ and four peers (IPv4, IPv6,
#    v4-mapped IPv6, no endpoint); test_wireguard must report exactly the
#    three endpoints there;
#  - brwgx$$ has an unrelated TUN device also named wgt$$: the UAPI socket
#    path is shared by all namespaces, and test_wireguard must not take that
#    device for WireGuard.
# The endpoints are documentation addresses and nothing is sent to them: the
# device stays down and no keepalive is set, so no handshake starts.
#
# Usage: test_wireguard.sh [TEST_BIN]   (default .output/test_wireguard of this tree)
# Prints PASS/FAIL/SKIP lines; exits non-zero on failure.

set -u

TEST_BIN=${1:-$(cd "$(dirname "$0")/.." && pwd)/.output/test_wireguard}
NS=brwg$$
NSX=brwgx$$
IFNAME=wgt$$		# IFNAMSIZ: at most 15 characters, and unique machine-wide
SOCK_DIR=/var/run/wireguard
SOCK=$SOCK_DIR/$IFNAME.sock
EXPECTED="198.51.100.130:51820,[2001:db8::2]:51821,198.51.100.131:51822"

skip() {
	echo "SKIP wireguard: $*"
	exit 0
}

fail() {
	echo "FAIL wireguard: $*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v wireguard-go >/dev/null || skip "wireguard-go not installed"
command -v wg >/dev/null || skip "wg (wireguard-tools) not installed"
command -v ip >/dev/null || skip "ip (iproute2) not installed"
[ -x "$TEST_BIN" ] || fail "no test binary $TEST_BIN (build it first)"

# A leftover of an earlier run with our PID would make wireguard-go refuse.
[ -e "$SOCK" ] && fail "$SOCK exists already"

WG_PID=
TMP=
SOCK_DIR_EXISTED=
[ -d "$SOCK_DIR" ] && SOCK_DIR_EXISTED=1

# shellcheck disable=SC2317	# called from the EXIT trap
cleanup() {
	# A second signal must not cut the cleanup short.
	trap '' INT TERM
	if [ -n "$WG_PID" ]; then
		kill "$WG_PID" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$WG_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$WG_PID" 2>/dev/null
		wait "$WG_PID" 2>/dev/null
		# Ours, not a leftover: wireguard-go leaves it behind after SIGKILL.
		rm -f "$SOCK"
	fi
	ip netns del "$NS" 2>/dev/null
	ip netns del "$NSX" 2>/dev/null
	# Only a directory we caused; rmdir leaves it if another daemon uses it.
	[ -z "$SOCK_DIR_EXISTED" ] && rmdir "$SOCK_DIR" 2>/dev/null
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TMP=$(mktemp -d /tmp/test_wireguard.XXXXXX) || fail "mktemp"
umask 077	# private keys

ip netns add "$NS" || fail "ip netns add $NS"
ip netns add "$NSX" || fail "ip netns add $NSX"

ip netns exec "$NS" wireguard-go -f "$IFNAME" >"$TMP/wireguard-go.log" 2>&1 &
WG_PID=$!
for _ in $(seq 50); do
	[ -S "$SOCK" ] && break
	kill -0 "$WG_PID" 2>/dev/null || break
	sleep 0.1
done
if [ ! -S "$SOCK" ]; then
	cat "$TMP/wireguard-go.log"
	fail "wireguard-go did not create $SOCK within 5 s"
fi

wg genkey >"$TMP/priv" || fail "wg genkey"
for p in 1 2 3 4; do
	wg genkey | wg pubkey >"$TMP/peer$p.pub" || fail "wg pubkey"
done
ip netns exec "$NS" wg set "$IFNAME" private-key "$TMP/priv" \
	peer "$(cat "$TMP/peer1.pub")" endpoint 198.51.100.130:51820 allowed-ips 10.255.0.1/32 \
	peer "$(cat "$TMP/peer2.pub")" endpoint '[2001:db8::2]:51821' allowed-ips 10.255.0.2/32 \
	peer "$(cat "$TMP/peer3.pub")" endpoint '[::ffff:198.51.100.131]:51822' \
	peer "$(cat "$TMP/peer4.pub")" allowed-ips 10.255.0.4/32 ||
	fail "wg set $IFNAME"

ip netns exec "$NSX" ip tuntap add dev "$IFNAME" mode tun || fail "ip tuntap add in $NSX"

rc=0
ip netns exec "$NS" env WG_TEST_IFNAME="$IFNAME" WG_TEST_ENDPOINTS="$EXPECTED" "$TEST_BIN" ||
	rc=1
ip netns exec "$NSX" env WG_TEST_FOREIGN_IFNAME="$IFNAME" "$TEST_BIN" || rc=1

if [ "$rc" -ne 0 ]; then
	echo "  wg show in $NS:"
	ip netns exec "$NS" wg show "$IFNAME" endpoints | sed 's/^/    /'
fi
exit "$rc"
