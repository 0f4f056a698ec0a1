#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Install, from Debian's packages, what building bpfroute and running its
# demo and tests needs, if anything is missing. Run as root.
# --no-install-recommends: recommends would pull a kernel image.
#
# Usage: tools/install-deps.sh [--bench]
#   --bench  also what `make bench` needs: the peers it measures against
#            (nftables, dnsmasq's nftset), dnsperf, perf's tools, gnuplot
set -eu

packages=(
	# build; libclang-rt-dev: libFuzzer and the sanitizers' runtimes for
	# clang (the fuzz harnesses), a recommends of clang only
	clang llvm make gcc pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev libc-ares-dev
	libclang-rt-dev
	# demo and tests: namespaces, WireGuard in user space, real clients,
	# ethtool for the XDP stage's live tests (GRO on a veth)
	iproute2 wireguard-tools wireguard-go iputils-ping curl socat bind9-dnsutils python3 jq
	ethtool
	# gdb stops `load` between two steps (test_cli: a device vanishes mid-load)
	gdb
	# strict targets (test_e2e_strict): what leaves by the gateway's uplink
	tcpdump
	# learning from DNS: a real resolver serving the test zones
	dnsmasq-base
	# an HA pair (test_e2e_fleet, etc/fleet): BIRD carries the learned
	# entries between the gateways, keepalived moves their LAN address
	bird2 keepalived
	# install and package (test_package): man pages from scdoc, checked with
	# mandoc and man; the Debian package; the unit checked by
	# systemd-analyze and run under systemd in a systemd-nspawn container
	scdoc mandoc man-db debhelper dpkg-dev fakeroot systemd systemd-container bash-completion
	# metrics (test_metrics): promtool, of Debian's prometheus package, checks the
	# text the agent serves; curl (above) scrapes it
	prometheus
)
case ${1:-} in
'') ;;
--bench) packages+=(nftables dnsperf gnuplot-nox) ;;
*) echo "install-deps: unknown argument '$1' (usage: install-deps.sh [--bench])" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages (${missing[*]}); run as root" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
