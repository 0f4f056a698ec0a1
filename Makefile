# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# make             build bpfroute (BPF objects, skeletons, the CLI)
# make tests       build bpfroute and the test programs
# make check       build and run every test (selftests/run.sh)
# make fuzz        run each fuzz harness for FUZZ_TIME seconds (default 60)
# make asan        build the user side with ASan and UBSan in .output-san and
#                  run every test with it (make check SANITIZE=1)
# make SANITIZE=1 unit-tests   only the C test programs, so built
# make demo        build and run the namespace demo (tools/demo.sh)
# make bench       build and run the benchmarks (tools/bench.sh, bench/results.md)
# make vmlinux     regenerate vmlinux/vmlinux.h from the running kernel
# make V=1         show full commands
# make install     install bpfroute, its config example, unit, man pages, bash
#                  completion and iproute2's name of its route protocol
#                  (rt_protos.d) under DESTDIR and PREFIX (default
#                  /usr/local); the man pages need scdoc. make uninstall
#                  removes them again (not a config that was there before)

# The version of bpfroute, defined here only (bpfroute --version; the Debian
# changelog carries the same number).
VERSION := 0.11.0

CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
PKG_CONFIG ?= pkg-config

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Ivmlinux -Iinclude -Ibpf
CFLAGS ?= -g -O2

# SANITIZE=1: the user side (bpfroute, tests, tools) with AddressSanitizer
# and UndefinedBehaviorSanitizer, in a directory of its own so that the
# normal build stays as it is. Any finding ends the program with an error.
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ifeq ($(SANITIZE),1)
OUTPUT := .output-san
BIN := $(OUTPUT)/bpfroute
CFLAGS += $(SANITIZE_FLAGS)
LDFLAGS += $(SANITIZE_FLAGS)
else
OUTPUT := .output
BIN := bpfroute
endif
CFLAGS += -Wall -Wextra -Werror -std=gnu11 -Iinclude -Iuser -I$(OUTPUT) \
	-DBPFROUTE_VERSION='"$(VERSION)"'
LDLIBS += $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz -lcares

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_PROGS := bpfroute_tc
BPF_HDRS := $(wildcard bpf/*.h) $(wildcard include/*.h)
SKELS := $(patsubst %,$(OUTPUT)/%.skel.h,$(BPF_PROGS))

USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
USER_HDRS := $(wildcard user/*.h) $(wildcard include/*.h)
# The learned tables from user space, and what they need (tests and tools).
TABLE_SRCS := user/hosttable.c user/maps.c user/log.c user/pindir.c
# What the tests' fixtures write maps with (selftests/fixtures.h).
FIXTURE_SRCS := $(TABLE_SRCS) user/routes.c user/prefix.c user/clients.c

TESTS := test_tc test_dns test_nat test_config test_wireguard test_agent test_xdp test_table
TEST_BINS := $(patsubst %,$(OUTPUT)/%,$(TESTS))
# Helpers the shell tests run (libc only).
TOOLS := race_client syn_flood
TOOL_BINS := $(patsubst %,$(OUTPUT)/%,$(TOOLS))

.DELETE_ON_ERROR:
# Keep the BPF objects: bpftool and the tests read them.
.SECONDARY:
.PHONY: all tests unit-tests check fuzz asan demo bench clean vmlinux man install uninstall

all: $(BIN)

$(OUTPUT) $(OUTPUT)/user:
	$(Q)mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) vmlinux/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUTPUT)/user/%.o: user/%.c $(USER_HDRS) $(SKELS) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Tests link only the modules they exercise; main.o stays out.
$(OUTPUT)/test_tc: selftests/test_tc.c selftests/frames.h selftests/pkt.h selftests/test.h \
		selftests/fixtures.h $(FIXTURE_SRCS) $(USER_HDRS) $(SKELS) | $(OUTPUT)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Iselftests $(filter %.c,$^) $(LDLIBS) -o $@

$(OUTPUT)/test_table: selftests/test_table.c selftests/frames.h selftests/pkt.h selftests/test.h \
		selftests/fixtures.h $(FIXTURE_SRCS) $(USER_HDRS) $(SKELS) | $(OUTPUT)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Iselftests $(filter %.c,$^) $(LDLIBS) -o $@

$(OUTPUT)/test_nat: selftests/test_nat.c selftests/pkt.h selftests/test.h \
		selftests/fixtures.h $(FIXTURE_SRCS) $(USER_HDRS) $(SKELS) | $(OUTPUT)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Iselftests $(filter %.c,$^) $(LDLIBS) -o $@

$(OUTPUT)/test_xdp: selftests/test_xdp.c selftests/frames.h selftests/pkt.h selftests/test.h \
		selftests/fixtures.h $(FIXTURE_SRCS) $(USER_HDRS) $(SKELS) | $(OUTPUT)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Iselftests $(filter %.c,$^) $(LDLIBS) -o $@

$(OUTPUT)/test_dns: selftests/test_dns.c selftests/dns_build.h selftests/dns_gen.h \
		selftests/pkt.h selftests/test.h selftests/fixtures.h $(FIXTURE_SRCS) \
		user/agent_dns.c user/dnsname.c $(USER_HDRS) $(SKELS) | $(OUTPUT)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Iselftests $(filter %.c,$^) $(LDLIBS) -o $@

# The config parser, whole.
CONFIG_SRCS := user/config.c user/config_settings.c user/config_list.c user/config_fleet.c

# The agent's logic without its loop, on maps of a skeleton loaded here.
AGENT_TEST_SRCS := $(wildcard user/agent*.c) user/hosts.c user/dnsname.c user/log.c \
	user/maps.c user/pindir.c $(CONFIG_SRCS) user/rtable.c user/addrset.c \
	user/prefix.c user/learning.c user/hosttable.c user/routes.c user/iprules.c user/netlink.c \
	user/learned.c user/json.c user/sandbox.c user/metrics_walk.c user/metrics_http.c \
	user/capacity.c user/clients.c
# metrics.c too (the text), which the fuzz harness does not need.
$(OUTPUT)/test_agent: selftests/test_agent.c selftests/test.h selftests/dns_build.h \
		selftests/fixtures.h user/metrics.c \
		$(AGENT_TEST_SRCS) $(USER_HDRS) $(SKELS) | $(OUTPUT)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Iselftests $(filter %.c,$^) $(LDLIBS) -o $@

$(OUTPUT)/test_config: selftests/test_config.c selftests/test.h $(CONFIG_SRCS) user/prefix.c \
		user/config.h user/prefix.h user/rtable.h | $(OUTPUT)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Iselftests $(filter %.c,$^) -o $@

$(OUTPUT)/test_wireguard: selftests/test_wireguard.c selftests/test.h $(wildcard user/wireguard*.c) \
		user/netlink.c $(wildcard user/wireguard*.h) user/netlink.h | $(OUTPUT)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Iselftests $(filter %.c,$^) -o $@

$(OUTPUT)/race_client: selftests/race_client.c | $(OUTPUT)
	$(call msg,TOOL,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(OUTPUT)/syn_flood: selftests/syn_flood.c | $(OUTPUT)
	$(call msg,TOOL,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

# libFuzzer harnesses (selftests/fuzz/), always with ASan and UBSan. Each
# links only the modules it feeds; fuzz_answer needs the agent's for
# agent_rule(), as test_agent does. selftests/test_fuzz.sh runs them.
FUZZ_CC ?= clang
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wall -Wextra -Werror -std=gnu11 -Iinclude -Iuser -I$(OUTPUT)
FUZZERS := fuzz_config fuzz_answer fuzz_name_prefix fuzz_wg_uapi
FUZZ_BINS := $(patsubst %,$(OUTPUT)/fuzz/%,$(FUZZERS))
FUZZ_TIME ?= 60

$(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

$(OUTPUT)/fuzz/fuzz_config: selftests/fuzz/fuzz_config.c $(CONFIG_SRCS) user/prefix.c \
		user/dnsname.c $(USER_HDRS) | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@

$(OUTPUT)/fuzz/fuzz_answer: selftests/fuzz/fuzz_answer.c $(AGENT_TEST_SRCS) $(USER_HDRS) \
		$(SKELS) | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter %.c,$^) $(LDLIBS) -o $@

$(OUTPUT)/fuzz/fuzz_name_prefix: selftests/fuzz/fuzz_name_prefix.c user/dnsname.c user/prefix.c \
		$(USER_HDRS) | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@

$(OUTPUT)/fuzz/fuzz_wg_uapi: selftests/fuzz/fuzz_wg_uapi.c $(wildcard user/wireguard*.c) \
		user/netlink.c $(USER_HDRS) | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@

# The frame generator and the map filler of tools/bench_forward.sh (not part
# of tests or check). The generator's skeleton comes from the pattern rule.
$(OUTPUT)/xdp_flood.bpf.o: tools/xdp_flood.bpf.c tools/xdp_flood.h vmlinux/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/xdp_flood: tools/xdp_flood.c tools/xdp_flood.h $(OUTPUT)/xdp_flood.skel.h | $(OUTPUT)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -lm -o $@

$(OUTPUT)/bench_fill: tools/bench_fill.c $(TABLE_SRCS) $(USER_HDRS) | $(OUTPUT)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $(filter %.c,$^) $(LDLIBS) -o $@

# Where a loaded BPF program's source lines are in its JIT image (profiling).
$(OUTPUT)/bpf_lines: tools/bpf_lines.c | $(OUTPUT)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

# The classifier benchmark of `make bench` (not part of tests or check) and
# the driver it runs in front of the classifier.
$(OUTPUT)/bench_driver.bpf.o: tools/bench_driver.bpf.c vmlinux/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bench_classifier: tools/bench_classifier.c $(TABLE_SRCS) $(USER_HDRS) $(SKELS) \
		$(OUTPUT)/bench_driver.skel.h | $(OUTPUT)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $(filter %.c,$^) $(LDLIBS) -o $@

# The helper of tools/bench_learn.sh and its tracing programs (raw
# tracepoints, uprobes on libnftables); not part of tests or check.
$(OUTPUT)/bench_learn.bpf.o: tools/bench_learn.bpf.c tools/bench_learn.h $(BPF_HDRS) \
		vmlinux/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Itools -c $< -o $@

$(OUTPUT)/bench_learn: tools/bench_learn.c tools/bench_learn.h $(OUTPUT)/bench_learn.skel.h \
		$(TABLE_SRCS) $(USER_HDRS) | $(OUTPUT)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) -Itools $(filter %.c,$^) $(LDLIBS) -o $@

# bench_fill also fills a gateway's table for test_e2e_fleet's scale phase.
tests: $(BIN) $(TEST_BINS) $(TOOL_BINS) $(FUZZ_BINS) $(OUTPUT)/bench_fill

# run.sh takes the binaries of this build: .output or, SANITIZE=1, .output-san.
check: tests
	$(Q)BPFROUTE_OUTPUT=$(abspath $(OUTPUT)) BPFROUTE=$(abspath $(BIN)) selftests/run.sh

asan:
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 check

# The C test programs alone (CI builds them with SANITIZE=1 for run.sh's asan test).
unit-tests: $(TEST_BINS)

# Each harness FUZZ_TIME seconds, from its seed corpus (selftests/fuzz/corpus)
# and what earlier runs found ($(OUTPUT)/fuzz/corpus); crashes are kept in
# $(OUTPUT)/fuzz/artifacts.
fuzz: $(FUZZ_BINS)
	$(Q)selftests/test_fuzz.sh -d $(abspath $(OUTPUT))/fuzz -s $(FUZZ_TIME) -k

demo: $(BIN)
	$(Q)tools/demo.sh

# Benchmarks (tools/bench.sh): bench/results.md; never part of check.
bench: bpfroute $(OUTPUT)/bench_classifier $(OUTPUT)/bench_learn $(OUTPUT)/xdp_flood \
		$(OUTPUT)/bench_fill $(OUTPUT)/bpf_lines
	$(Q)tools/bench.sh

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

# Where `make install` puts things. The config's directory is /etc whatever
# the prefix: the binary looks there (CONFIG_DEFAULT_PATH in user/config.h).
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SCDOC ?= scdoc
INSTALL ?= install

MANS := $(OUTPUT)/man/bpfroute.8 $(OUTPUT)/man/bpfroute.conf.5

$(OUTPUT)/man:
	$(Q)mkdir -p $@

$(OUTPUT)/man/%: man/%.scd | $(OUTPUT)/man
	$(call msg,SCDOC,$@)
	$(Q)$(SCDOC) < $< > $@

man: $(MANS)

# The config is an example to edit: never overwrite one that is there. The
# unit names the binary where this install puts it.
install: $(BIN) $(MANS)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(SYSCONFDIR)/bpfroute $(DESTDIR)$(UNITDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSCONFDIR)/iproute2/rt_protos.d
	$(Q)$(INSTALL) -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/bpfroute
	$(Q)$(INSTALL) -m 0644 $(OUTPUT)/man/bpfroute.8 $(DESTDIR)$(MANDIR)/man8/bpfroute.8
	$(Q)$(INSTALL) -m 0644 $(OUTPUT)/man/bpfroute.conf.5 $(DESTDIR)$(MANDIR)/man5/bpfroute.conf.5
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' etc/bpfroute.service.in > $(DESTDIR)$(UNITDIR)/bpfroute.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/bpfroute.service
	$(Q)$(INSTALL) -m 0644 etc/bpfroute.bash-completion $(DESTDIR)$(BASHCOMPDIR)/bpfroute
	$(Q)$(INSTALL) -m 0644 etc/iproute2/rt_protos.bpfroute \
		$(DESTDIR)$(SYSCONFDIR)/iproute2/rt_protos.d/bpfroute.conf
	$(Q)[ -e $(DESTDIR)$(SYSCONFDIR)/bpfroute/bpfroute.conf ] || \
		$(INSTALL) -m 0644 etc/bpfroute.conf $(DESTDIR)$(SYSCONFDIR)/bpfroute/bpfroute.conf

# The config goes only if it is still the example: an edited one is the
# operator's. Directories go only if empty.
uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/bpfroute $(DESTDIR)$(MANDIR)/man8/bpfroute.8 \
		$(DESTDIR)$(MANDIR)/man5/bpfroute.conf.5 $(DESTDIR)$(UNITDIR)/bpfroute.service \
		$(DESTDIR)$(BASHCOMPDIR)/bpfroute $(DESTDIR)$(SYSCONFDIR)/iproute2/rt_protos.d/bpfroute.conf
	$(Q)rmdir $(DESTDIR)$(SYSCONFDIR)/iproute2/rt_protos.d $(DESTDIR)$(SYSCONFDIR)/iproute2 \
		2>/dev/null || true
	$(Q)if cmp -s etc/bpfroute.conf $(DESTDIR)$(SYSCONFDIR)/bpfroute/bpfroute.conf; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/bpfroute/bpfroute.conf; \
		rmdir $(DESTDIR)$(SYSCONFDIR)/bpfroute 2>/dev/null || true; \
	fi

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf .output .output-san bpfroute
