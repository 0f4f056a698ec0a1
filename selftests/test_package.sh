#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Installing and running bpfroute as a service: `make install` and `make
# uninstall` under a DESTDIR, the systemd unit (systemd-analyze verify), the
# man pages (lint, and that they name every command, global option and
# config keyword the sources have), the Debian package built from a copy of
# the tree, and the unit run by systemd: the package installed in a
# container (systemd-nspawn booting systemd on an overlay of this machine's
# root) and started, reloaded, stopped and purged there.
#
# Everything is built in copies of the tree under one temporary directory,
# so the tree stays as it was; a check says so.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=selftests/lib/checks.sh
. "$top/selftests/lib/checks.sh"

require_root_and_tools package make scdoc mandoc man dpkg-buildpackage dpkg-deb \
	systemd-analyze

tmp=$(mktemp -d /tmp/bpfroute-pkg.XXXXXX) || exit 1
ct_pid=
cleanup()
{
	if [[ -n $ct_pid ]]; then
		kill "$ct_pid" 2>/dev/null
		# systemd in the container halts on SIGTERM to nspawn; then for good.
		timeout 30 tail --pid="$ct_pid" -f /dev/null 2>/dev/null || kill -9 "$ct_pid" 2>/dev/null
	fi
	umount -R "$tmp/ct" 2>/dev/null
	umount "$tmp/bpffs" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tree_state() { git -C "$top" status --porcelain --ignored 2>/dev/null; }
tree_before=$(tree_state)

# copy_tree DIR: the tree's sources, without git's data or any build output.
copy_tree()
{
	mkdir -p "$1" &&
		tar -C "$top" --exclude=./.git --exclude='./.output*' --exclude=./bpfroute \
			--exclude=./debian/.debhelper --exclude=./debian/bpfroute -cf - . |
		tar -C "$1" -xf -
}

# --- make install / uninstall ---------------------------------------------

src=$tmp/src
dest=$tmp/dest
copy_tree "$src" || { fail package_copy "copying the tree to $src failed"; exit 1; }
log=$tmp/make.log
installed=(
	usr/local/sbin/bpfroute
	etc/bpfroute/bpfroute.conf
	usr/local/lib/systemd/system/bpfroute.service
	usr/local/share/man/man8/bpfroute.8
	usr/local/share/man/man5/bpfroute.conf.5
	usr/local/share/bash-completion/completions/bpfroute
	etc/iproute2/rt_protos.d/bpfroute.conf
)
if ! make -C "$src" -j2 install DESTDIR="$dest" >"$log" 2>&1; then
	fail install "make install DESTDIR=$dest failed" "$(tail -20 "$log")"
	exit 1
fi
missing=()
for f in "${installed[@]}"; do
	[[ -f $dest/$f ]] || missing+=("$f")
done
check install_layout test ${#missing[@]} -eq 0 -- "not installed: ${missing[*]}" \
	"installed: $(cd "$dest" && find . -type f | sort)"
extra=$(cd "$dest" && find . -type f | sed 's|^\./||' | sort |
	comm -23 - <(printf '%s\n' "${installed[@]}" | sort))
check install_nothing_else test -z "$extra" -- "installed besides: $extra"
out=$("$dest/usr/local/sbin/bpfroute" help 2>&1)
check install_binary_runs test $? -eq 0 -- "the installed binary fails: $out"
check install_unit_names_binary grep -qx \
	"ExecStart=/usr/local/sbin/bpfroute run -c /etc/bpfroute/bpfroute.conf" \
	"$dest/usr/local/lib/systemd/system/bpfroute.service" -- \
	"$(grep ExecStart "$dest/usr/local/lib/systemd/system/bpfroute.service")"

# An operator's config survives a second install and the uninstall.
conf=$dest/etc/bpfroute/bpfroute.conf
echo "interface lan0 # the operator's" >>"$conf"
make -C "$src" install DESTDIR="$dest" >"$log" 2>&1
check install_keeps_config grep -q "the operator's" "$conf" -- "make install overwrote $conf"
make -C "$src" uninstall DESTDIR="$dest" >"$log" 2>&1
left=$(cd "$dest" && find . -type f | sed 's|^\./||')
check uninstall_keeps_edited_config test "$left" = etc/bpfroute/bpfroute.conf -- \
	"expected only the edited config left, got: $left"
cp "$src/etc/bpfroute.conf" "$conf"
make -C "$src" uninstall DESTDIR="$dest" >"$log" 2>&1
left=$(cd "$dest" && find . -type f)
check uninstall_removes_all test -z "$left" -a ! -e "$dest/etc/bpfroute" -- "left: $left"

# PREFIX=/usr, as the package does, for the checks below.
make -C "$src" install DESTDIR="$dest" PREFIX=/usr >"$log" 2>&1
bin=$dest/usr/sbin/bpfroute
check install_prefix_usr grep -q "^ExecStart=/usr/sbin/bpfroute " \
	"$dest/usr/lib/systemd/system/bpfroute.service" -- "$(cat "$log")"

# --- the unit ---------------------------------------------------------------

# Installed under a prefix of its own, so that the binary it names is there
# (verify checks it) and its man pages are found through MANPATH.
vroot=$tmp/vroot
make -C "$src" install PREFIX="$vroot" SYSCONFDIR="$vroot/etc" >"$log" 2>&1
out=$(MANPATH=$vroot/share/man systemd-analyze verify \
	"$vroot/lib/systemd/system/bpfroute.service" 2>&1)
rc=$?
check unit_verify test "$rc" -eq 0 -a -z "$out" -- "systemd-analyze verify: status $rc" "$out"

# --- the man pages ------------------------------------------------------------

for page in man8/bpfroute.8 man5/bpfroute.conf.5; do
	f=$dest/usr/share/man/$page
	name=man_lint_$(basename "$page" | tr . _)
	# scdoc's output draws mandoc's style notes (PP after SH): errors only.
	out=$(mandoc -T lint -W error "$f" 2>&1; LC_ALL=C.UTF-8 MANWIDTH=80 \
		man --warnings -l "$f" 2>&1 >/dev/null)
	check "$name" test -z "$out" -- "$out"
done

# Every command and global option of `bpfroute help`, as a term of bpfroute(8).
man8=$src/man/bpfroute.8.scd
man5=$src/man/bpfroute.conf.5.scd
cmds=$("$bin" help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
opts=$("$bin" help | grep -oE -- '--[a-z-]+' | sort -u)
missing=()
for c in $cmds; do
	grep -qE "^\*${c}[* ]" "$man8" || missing+=("$c")
done
check man_commands test -n "$cmds" -a ${#missing[@]} -eq 0 -- \
	"bpfroute help lists: ${cmds//$'\n'/ }" "not in man/bpfroute.8.scd: ${missing[*]}"
missing=()
for o in $opts; do
	grep -qE -- "^\*.*$o\b" "$man8" || missing+=("$o")
done
check man_options test -n "$opts" -a ${#missing[@]} -eq 0 -- \
	"not in man/bpfroute.8.scd: ${missing[*]}"

# Every keyword the parser accepts: those user/config*.c compare the first
# token with, and the names of the settings table.
keywords=$(cat "$top"/user/config*.c |
	grep -oE 'strcmp\(tok\[0\], "[a-z-]+"\)|^[[:space:]]*\[SET_[A-Z_]+\] = \{ "[a-z-]+"' |
	grep -oE '"[a-z-]+"' | tr -d '"' | sort -u)
missing=() missing_example=()
for k in $keywords; do
	grep -qE "^\*$k\* " "$man5" || missing+=("$k")
	grep -qE "^#$k " "$src/etc/bpfroute.conf" || missing_example+=("$k")
done
check man_config_keywords test "$(wc -w <<<"$keywords")" -ge 10 -a ${#missing[@]} -eq 0 -- \
	"keywords of user/config*.c: ${keywords//$'\n'/ }" "not in man/bpfroute.conf.5.scd: ${missing[*]}"
check example_config_keywords test ${#missing_example[@]} -eq 0 -- \
	"not in etc/bpfroute.conf: ${missing_example[*]}"

# --- the Debian package ------------------------------------------------------

pkg=$tmp/pkg
copy_tree "$pkg/src"
if (cd "$pkg/src" && dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
	pass deb_build
else
	fail deb_build "dpkg-buildpackage -us -uc -b failed" "$(tail -30 "$log")"
	exit 1
fi
debs=("$pkg"/bpfroute_*_*.deb)
deb=${debs[0]}
contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
missing=()
for f in usr/sbin/bpfroute etc/bpfroute/bpfroute.conf usr/share/man/man8/bpfroute.8.gz \
	usr/share/man/man5/bpfroute.conf.5.gz usr/share/bash-completion/completions/bpfroute \
	systemd/system/bpfroute.service; do
	grep -q "$f\$" <<<"$contents" || missing+=("$f")
done
check deb_contents test ${#missing[@]} -eq 0 -- "not in $deb: ${missing[*]}" "$contents"
unit_path=$(grep 'bpfroute\.service$' <<<"$contents" | sed 's|^\.||')
version=$(dpkg-deb -f "$deb" Version)
check deb_version test "$version" = "$(sed -n 's/^VERSION := //p' "$top/Makefile")-1" -- \
	"package version $version, Makefile's VERSION $(sed -n 's/^VERSION := //p' "$top/Makefile")"
dpkg-deb -e "$deb" "$pkg/control"
check deb_conffile grep -qx /etc/bpfroute/bpfroute.conf "$pkg/control/conffiles" -- \
	"conffiles: $(cat "$pkg/control/conffiles" 2>&1)"
# Neither enabled nor started on install: the config must be written first
# (dh_installsystemd --no-start: no invoke; --no-enable: the enable only
# for a unit the package had installed before). The container checks it too.
check deb_not_started_on_install sh -c "! grep -q deb-systemd-invoke '$pkg/control/postinst' &&
	grep -q 'deb-systemd-helper debian-installed' '$pkg/control/postinst'" -- \
	"$(cat "$pkg/control/postinst")"

# --- the unit under systemd --------------------------------------------------

ct_skip=(unit_installed_disabled unit_verify_installed unit_start unit_active unit_status
	unit_agent_dropped_caps unit_reload unit_stop unit_datapath_stays deb_purge)

# The container: this machine's root under a writable overlay on a tmpfs (so
# nothing of it changes), booting systemd, with its own network and a bpffs
# of its own at /sys/fs/bpf. nspawn's default capabilities lack CAP_BPF and
# its system call filter bpf().
start_container()
{
	local i state

	command -v systemd-nspawn >/dev/null || { why="no systemd-nspawn (systemd-container)"; return 1; }
	[[ -x /lib/systemd/systemd ]] || { why="no systemd to boot"; return 1; }
	mkdir -p "$tmp/ct" "$tmp/bpffs" || return 1
	mount -t tmpfs tmpfs "$tmp/ct" || { why="cannot mount a tmpfs"; return 1; }
	mkdir -p "$tmp/ct/upper" "$tmp/ct/work" "$tmp/ct/root" "$tmp/ct/pkg"
	if ! mount -t overlay overlay \
		-o "lowerdir=/,upperdir=$tmp/ct/upper,workdir=$tmp/ct/work" "$tmp/ct/root"; then
		why="cannot mount an overlay of / ($(findmnt -no FSTYPE /) root)"
		return 1
	fi
	mount -t bpf bpf "$tmp/bpffs" || { why="cannot mount bpffs"; return 1; }
	cp "$deb" "$tmp/ct/pkg/" || return 1
	# A machine id of its own: the host's journal is not the container's.
	rm -f "$tmp/ct/root/etc/machine-id"
	systemd-id128 new >"$tmp/ct/root/etc/machine-id" 2>/dev/null ||
		od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$tmp/ct/root/etc/machine-id"
	# The host's own configured units would start in there too: none that
	# matters here but nftables, which would touch nothing outside.
	systemd-nspawn -q -D "$tmp/ct/root" -M "bpfroute-pkg-$$" --keep-unit --register=no \
		--private-network --capability=CAP_BPF,CAP_PERFMON --system-call-filter=bpf \
		--bind="$tmp/bpffs:/sys/fs/bpf" --bind-ro="$tmp/ct/pkg:/mnt/pkg" \
		-b --console=pipe </dev/null >"$tmp/container.log" 2>&1 &
	ct_pid=$!
	for ((i = 0; i < 60; i++)); do
		leader=$(ps -o pid= --ppid "$ct_pid" | head -1 | tr -d ' ')
		if [[ -n $leader ]]; then
			state=$(nsenter -t "$leader" -a systemctl is-system-running 2>/dev/null)
			case $state in running | degraded) return 0 ;; esac
		fi
		kill -0 "$ct_pid" 2>/dev/null || break
		sleep 1
	done
	why="systemd did not come up in the container (state '${state:-}'): $(tail -5 "$tmp/container.log")"
	return 1
}

in_ct() { timeout 60 nsenter -t "$leader" -a "$@"; }
not() { ! "$@"; }
unit_disabled()
{
	[[ $(in_ct systemctl is-enabled bpfroute 2>&1) == disabled ]] &&
		! in_ct systemctl is-active -q bpfroute
}

# wait_journal PATTERN: the unit's journal has a line matching it (20 s).
wait_journal()
{
	local i

	for ((i = 0; i < 40; i++)); do
		in_ct journalctl -q -u bpfroute --no-pager -o cat 2>/dev/null | grep -q "$1" && return 0
		sleep 0.5
	done
	return 1
}

why=
if ! start_container; then
	skip_all "$why" "${ct_skip[@]}"
else
	ctlog() { in_ct journalctl -q -u bpfroute --no-pager -o cat 2>&1 | tail -15; }
	in_ct sh -c 'dpkg -i /mnt/pkg/bpfroute_*.deb' >"$log" 2>&1
	check unit_installed_disabled unit_disabled -- \
		"dpkg -i: $(tail -5 "$log")" \
		"is-enabled: $(in_ct systemctl is-enabled bpfroute 2>&1)," \
		"is-active: $(in_ct systemctl is-active bpfroute 2>&1)"
	out=$(in_ct systemd-analyze verify bpfroute.service 2>&1)
	check unit_verify_installed test -z "$out" -- "$out"

	# A gateway with a LAN interface and a target, inside the container.
	in_ct ip link add lan0 type veth peer name wg0
	in_ct ip link set lan0 up
	in_ct ip link set wg0 up
	in_ct ip addr add 192.0.2.1/24 dev lan0
	in_ct sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv6.conf.all.forwarding=1
	printf 'interface lan0\nroute 203.0.113.0/24 dev wg0\n' |
		in_ct tee /etc/bpfroute/bpfroute.conf >/dev/null

	out=$(in_ct systemctl start bpfroute 2>&1)
	check unit_start wait_journal "agent running" -- "systemctl start: $out" "$(ctlog)"
	check unit_active in_ct systemctl is-active -q bpfroute -- \
		"$(in_ct systemctl status --no-pager bpfroute 2>&1 | tail -15)"
	out=$(in_ct bpfroute status 2>&1)
	check unit_status grep -q lan0 <<<"$out" -- "bpfroute status: $out"
	# The agent, the unit's main pid, keeps CAP_BPF alone.
	mainpid=$(in_ct systemctl show -p MainPID --value bpfroute)
	caps=$(in_ct grep CapEff "/proc/$mainpid/status" 2>&1)
	check unit_agent_dropped_caps test "$(awk '{ print $2 }' <<<"$caps")" = 0000008000000000 -- \
		"pid $mainpid: $caps"
	out=$(in_ct systemctl reload bpfroute 2>&1)
	check unit_reload wait_journal "^reloaded " -- "systemctl reload: $out" "$(ctlog)"
	in_ct systemctl stop bpfroute
	check unit_stop not in_ct systemctl is-active -q bpfroute -- \
		"still $(in_ct systemctl is-active bpfroute 2>&1)"
	out=$(in_ct bpfroute status 2>&1)
	check unit_datapath_stays grep -q lan0 <<<"$out" -- "after stop, bpfroute status: $out"
	in_ct bpfroute unload >/dev/null 2>&1

	# dpkg removes the conffile and an empty directory by itself; the
	# package's postrm takes what else an operator left there.
	in_ct sh -c 'echo "# a copy" > /etc/bpfroute/bpfroute.conf.orig'
	out=$(in_ct dpkg --purge bpfroute 2>&1)
	check deb_purge in_ct sh -c "! test -e /etc/bpfroute && ! test -e /usr/sbin/bpfroute &&
		! test -e '$unit_path'" -- \
		"dpkg --purge: $out" \
		"left: $(in_ct ls -d /etc/bpfroute /usr/sbin/bpfroute 2>&1)"
fi

# --- the tree ---------------------------------------------------------------

tree_after=$(tree_state)
expect_same tree_untouched "git status of the tree" "$tree_before" "$tree_after"

((N_FAIL == 0))
