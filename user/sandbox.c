// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Least privilege for the agent (issue #10): raw syscalls, no libcap, no
 * libseccomp.
 *
 * Capabilities. The agent's loop works on fds it already holds: map lookup,
 * update, delete, get_next_key and lookup_batch, the ring buffer (mmap and
 * epoll), the learned tables (mmap). None of that needs a capability on
 * Linux 6.5 and later (the unprivileged_bpf_disabled check moved to
 * BPF_MAP_CREATE and BPF_PROG_LOAD, kernel commit 1d28635abcf1); before 6.5
 * every bpf() command needs CAP_BPF when that sysctl is set. A table rebuild
 * creates maps (BPF_MAP_CREATE: CAP_BPF). Following a reload opens pins
 * (BPF_OBJ_GET: file permission only; pins are root's, mode 0600, and the
 * agent keeps uid 0). It changes nothing over netlink and opens no WireGuard
 * socket, so no CAP_NET_ADMIN: it only reads link notifications and asks
 * for links (RTM_GETLINK) on rtnetlink sockets opened before the filter
 * (agent_links.c), which needs no capability; c-ares sends from ephemeral
 * ports, so nothing else. What
 * needs CAP_SYS_ADMIN (BPF_MAP_GET_FD_BY_ID, BPF_BTF_GET_FD_BY_ID) and a
 * reload (program load, TC and XDP attach, netlink, WireGuard) are done by
 * the helper (privhelper.c). CAP_BPF alone loads no program the kernel
 * runs on packets (those need CAP_NET_ADMIN or CAP_PERFMON as well), and the
 * filter below refuses BPF_PROG_LOAD anyway.
 *
 * uid 0 stays: without CAP_DAC_OVERRIDE and CAP_FOWNER file access goes by
 * the owner bits, which are root's for most of the system, so a compromised
 * agent could still open a root-owned file. The filter keeps that to what
 * open() and read/write allow (no chmod, chown, rename, unlink, mount,
 * execve); securebits keep uid 0 from regaining capabilities.
 *
 * Seccomp. A classic BPF allow-list (arch checked first), from strace -f
 * of the agent idle, learning, finishing answers, rebuilding tables,
 * prefetching, serving metrics, reloading on SIGHUP and stopping. bpf() is allowed only for
 * the commands listed, socket() only for IPv4 and IPv6 (c-ares), ioctl()
 * only for FIONREAD and FIONBIO, openat() only to read. Not kill, tgkill or
 * ptrace: uid 0 could signal or trace root's processes with them.
 * Anything else raises SIGSYS (SECCOMP_RET_TRAP): the handler names the
 * syscall on stderr and exits, so a path we missed shows up in the log as
 * one line instead of as a silent EPERM the code would misread; the
 * datapath and the learned routes stay, and a supervisor restarts the agent.
 * A foreign arch (an x32 or i386 call) kills the process outright.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "log.h"
#include "sandbox.h"

#if defined(__x86_64__)
#define SANDBOX_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH	AUDIT_ARCH_AARCH64
#else
#error "sandbox.c: no seccomp arch for this machine"
#endif

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sandbox.c: argument offsets assume little endian"
#endif

/*
 * A build with AddressSanitizer (make asan) only: its runtime asks for the
 * signal stack before every noreturn call (_exit() too), and its leak check
 * at exit stops the threads with ptrace(), which the filter refuses.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZED 1
#endif
#endif
#ifdef SANDBOX_SANITIZED
#include <sanitizer/lsan_interface.h>
#endif

/* The low 32 bits of argument i (ints: the kernel reads no more). */
#define ARG_LO(i)	(offsetof(struct seccomp_data, args) + (i) * sizeof(__u64))

static const int allowed_syscalls[] = {
	/* memory, libc, time, the end */
	__NR_brk, __NR_mmap, __NR_munmap, __NR_mremap, __NR_mprotect, __NR_madvise,
	__NR_futex, __NR_clock_gettime, __NR_clock_nanosleep, __NR_nanosleep,
	__NR_gettimeofday, __NR_getpid, __NR_gettid, __NR_getrandom, __NR_uname,
	__NR_geteuid,	/* pindir_open(): the pin directory must be ours */
	__NR_restart_syscall, __NR_rt_sigreturn, __NR_rt_sigprocmask, __NR_sched_yield,
	__NR_exit, __NR_exit_group, __NR_wait4,
#ifdef SANDBOX_SANITIZED
	__NR_sigaltstack,
#endif
	/*
	 * files: the config on SIGHUP, resolv.conf (c-ares), the pins
	 * (bpf(BPF_OBJ_GET)), the pin directory's lock, the helper's fds
	 */
	__NR_close, __NR_read, __NR_write, __NR_readv, __NR_writev, __NR_lseek,
	__NR_fstat, __NR_newfstatat, __NR_statx, __NR_fcntl, __NR_flock,
#ifdef __NR_poll
	__NR_poll, __NR_epoll_wait,
#endif
	/* the loop: signalfd, the ring buffer's epoll, poll over the c-ares sockets */
	__NR_ppoll, __NR_epoll_pwait, __NR_epoll_create1, __NR_epoll_ctl,
	/* c-ares (UDP, TCP), and the helper's socket (SCM_RIGHTS) */
	__NR_connect, __NR_sendto, __NR_recvfrom, __NR_sendmsg, __NR_recvmsg,
	__NR_setsockopt, __NR_getsockopt,
	/* the metrics endpoint: bound and listening before, it only accepts */
	__NR_accept4,
};

/* The bpf() commands of the loop; BPF_PROG_LOAD, attach and *_GET_FD_BY_ID are not. */
static const int allowed_bpf_cmds[] = {
	BPF_MAP_CREATE, BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM,
	BPF_MAP_GET_NEXT_KEY, BPF_MAP_LOOKUP_BATCH, BPF_OBJ_GET, BPF_OBJ_GET_INFO_BY_FD,
};

/* c-ares' sockets; the helper's AF_UNIX socket exists before. */
static const int allowed_socket_domains[] = { AF_INET, AF_INET6 };

/* What c-ares may ask of a socket; never TIOCSTI and friends on a terminal. */
static const int allowed_ioctls[] = { FIONREAD, FIONBIO };

#define FILTER_MAX	256

struct filter {
	struct sock_filter insn[FILTER_MAX];
	unsigned int n;
};

static void emit(struct filter *f, struct sock_filter insn)
{
	if (f->n < FILTER_MAX)
		f->insn[f->n] = insn;
	f->n++;
}

/* if (A == k) return ALLOW; */
static void emit_allow_if(struct filter *f, __u32 k)
{
	emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 1));
	emit(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}

/* if (nr == sysno) { A = arg; allowed values return ALLOW; else TRAP } */
static void emit_arg_check(struct filter *f, int sysno, unsigned int arg, const int *vals,
			   size_t n)
{
	/* load arg, 2 per value, the trap */
	emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)sysno, 0,
					     (__u8)(1 + 2 * n + 1)));
	emit(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (__u32)ARG_LO(arg)));
	for (size_t i = 0; i < n; i++)
		emit_allow_if(f, (__u32)vals[i]);
	emit(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
}

/*
 * Files are opened to read only: the agent writes to no file, and uid 0
 * owns most of them (/etc/passwd, root's keys, units). openat2 and the
 * legacy open and creat are not allowed at all. (O_TMPFILE needs O_WRONLY
 * or O_RDWR; glibc's __O_TMPFILE includes O_DIRECTORY, which must pass.)
 */
#define OPEN_WRITE_FLAGS (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)

/* if (nr == __NR_openat) return flags & OPEN_WRITE_FLAGS ? TRAP : ALLOW; */
static void emit_openat_check(struct filter *f)
{
	emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 4));
	emit(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (__u32)ARG_LO(2)));
	emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, OPEN_WRITE_FLAGS, 0, 1));
	emit(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	emit(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int filter_build(struct filter *f)
{
	f->n = 0;
	emit(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, arch)));
	emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0));
	emit(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	emit(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, nr)));
#ifdef __X32_SYSCALL_BIT
	/* x32 calls share the arch of x86-64 and carry this bit. */
	emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1));
	emit(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
#endif
	for (size_t i = 0; i < N(allowed_syscalls); i++)
		emit_allow_if(f, (__u32)allowed_syscalls[i]);
	emit_arg_check(f, __NR_bpf, 0, allowed_bpf_cmds, N(allowed_bpf_cmds));
	/* Each emit_arg_check loads an argument: the nr again before the next. */
	emit(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, nr)));
	emit_arg_check(f, __NR_socket, 0, allowed_socket_domains, N(allowed_socket_domains));
	emit(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, nr)));
	emit_arg_check(f, __NR_ioctl, 1, allowed_ioctls, N(allowed_ioctls));
	emit(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, nr)));
	emit_openat_check(f);
	emit(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	return f->n <= FILTER_MAX ? 0 : -E2BIG;
}

/* Async-signal-safe: a decimal number into buf, returns its length. */
static size_t fmt_uint(char *buf, unsigned long v)
{
	char tmp[24];
	size_t n = 0, len;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (len = 0; len < n; len++)
		buf[len] = tmp[n - 1 - len];
	return n;
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	static const char a[] = "bpfroute: agent: syscall ";
	static const char b[] = " refused by the sandbox (user/sandbox.c); exiting\n";
	char buf[sizeof(a) + sizeof(b) + 24];
	size_t n = 0;

	(void)sig;
	(void)uc;
	memcpy(buf, a, sizeof(a) - 1);
	n += sizeof(a) - 1;
	n += fmt_uint(buf + n, (unsigned long)si->si_syscall);
	memcpy(buf + n, b, sizeof(b) - 1);
	n += sizeof(b) - 1;
	if (write(STDERR_FILENO, buf, n) < 0)
		n = 0;
	_exit(128 + SIGSYS);
}

static int caps_drop(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	unsigned long keep = SANDBOX_CAPS;

	/*
	 * uid 0 must not regain capabilities through execve() or a setuid
	 * change, and nothing may be raised to ambient; locked, so that these
	 * bits cannot be cleared either. Needs CAP_SETPCAP: first.
	 */
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
		  SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
		  SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
		  SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED, 0, 0, 0))
		return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
		return -errno;
	/* The bounding set, up to the kernel's last capability (EINVAL past it). */
	for (unsigned long cap = 0; cap < 64; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)) {
			if (errno == EINVAL)
				break;
			return -errno;
		}
	}
	data[0].effective = data[0].permitted = (__u32)keep;
	data[1].effective = data[1].permitted = (__u32)(keep >> 32);
	/* CAP_SETPCAP goes here too: last. */
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

int sandbox_enter(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	struct filter f;
	struct sock_fprog prog;
	int err;

	err = filter_build(&f);
	if (err) {
		pr_err("sandbox: the seccomp filter has %u instructions, at most %d\n", f.n,
		       FILTER_MAX);
		return err;
	}
	prog = (struct sock_fprog){ .len = (unsigned short)f.n, .filter = f.insn };
#ifdef SANDBOX_SANITIZED
	/*
	 * The leak check now, while ptrace() is allowed: it covers the load,
	 * and none runs at exit (the helper, unsandboxed, keeps its own).
	 */
	__lsan_do_leak_check();
#endif
	err = caps_drop();
	if (err) {
		pr_err("sandbox: dropping capabilities: %s\n", strerror(-err));
		return err;
	}
	if (sigaction(SIGSYS, &sa, NULL)) {
		err = -errno;
		pr_err("sandbox: SIGSYS handler: %s\n", strerror(-err));
		return err;
	}
	/* Also what lets an unprivileged process install a filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		err = -errno;
		pr_err("sandbox: no_new_privs: %s\n", strerror(-err));
		return err;
	}
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0)) {
		err = -errno;
		pr_err("sandbox: seccomp filter: %s\n", strerror(-err));
		return err;
	}
	pr_debug("sandbox: capabilities 0x%llx, no_new_privs, seccomp filter of %u "
		 "instructions\n", (unsigned long long)SANDBOX_CAPS, f.n);
	return 0;
}
