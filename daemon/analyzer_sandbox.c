/* crashwatch-analyze's sandbox: capabilities dropped, NO_NEW_PRIVS, and a
 * libseccomp allow-list. The list is what `strace -f` shows the analyzer
 * making on real Go cores (plain, PIE, cgo with native frames by libdwfl,
 * zstd-compressed) and C cores; see docs/security.md. */
#include "config.h"
#include "daemon/analyzer_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"

static void seccomp_releasep(scmp_filter_ctx *c)
{
	if (*c)
		seccomp_release(*c);
}

int cw_sandbox_drop_capabilities(void)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	/* the bounding set needs CAP_SETPCAP to shrink: a root analysis (no
	 * User=) has it until the capset below */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL && errno != EPERM)
			return -errno;
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* ---- the SIGSYS reporter (async-signal-safe) ---------------------------- */

static int report_fd = -1; /* set once, before the filter exists */

static size_t put_str(char *buf, size_t pos, size_t cap, const char *s)
{
	while (*s && pos < cap)
		buf[pos++] = *s++;
	return pos;
}

static size_t put_uint(char *buf, size_t pos, size_t cap, unsigned long v)
{
	char digits[24];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(digits));
	while (n && pos < cap)
		buf[pos++] = digits[--n];
	return pos;
}

static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	(void)sig;
	(void)uctx;
	char msg[192];
	size_t cap = sizeof(msg), pos = 0;
	pos = put_str(msg, pos, cap, "Eanalysis stopped by its sandbox: system call ");
	pos = put_uint(msg, pos, cap, (unsigned long)(unsigned)si->si_syscall);
	pos = put_str(msg, pos, cap, " is not in the analyzer's seccomp allow-list");
	if (report_fd >= 0)
		(void)!write(report_fd, msg, pos);
	/* and to stderr (the journal under crashwatchd), without the 'E' */
	msg[0] = '\n';
	(void)!write(STDERR_FILENO, "crashwatch-analyze: ", 20);
	(void)!write(STDERR_FILENO, msg + 1, pos - 1);
	(void)!write(STDERR_FILENO, msg, 1);
	_exit(CW_SANDBOX_EXIT_SYSCALL);
}

/* ---- the filter ------------------------------------------------------------ */

/* Unconditionally allowed: reading the descriptors the analyzer holds or
 * opens read-only, memory for the allocator, libelf and libdw, writing
 * the result (and the memfd a non-seekable zstd core is inflated into),
 * time, random bytes (hash seeds: json-c, the sanitizers' allocator), and
 * leaving. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(pread64), SCMP_SYS(preadv),
	SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(pwrite64),
	SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
	SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(getcwd),
	SCMP_SYS(close), SCMP_SYS(ftruncate), SCMP_SYS(memfd_create),
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(sysinfo), SCMP_SYS(getrandom),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
	SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* Sanitizer builds only (see analyzer_sandbox.h): LeakSanitizer stops the
 * world from a clone()d tracer thread with ptrace, reads /proc/self/task
 * (open(2), getdents) and /proc/self/maps, and waits; the sanitizers'
 * runtime sleeps, yields, sets its thread up (robust list, rseq,
 * sigaltstack, prctl), checks memory through a pipe, reads its limits and
 * CPU count, asks isatty() (ioctl) and signals itself to report. */
static const int sanitizer_extras[] = {
	SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(ptrace), SCMP_SYS(wait4), SCMP_SYS(waitid),
	SCMP_SYS(getdents64), SCMP_SYS(getdents), SCMP_SYS(sigaltstack), SCMP_SYS(prctl), SCMP_SYS(sched_yield),
	SCMP_SYS(getppid), SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(getrlimit),
	SCMP_SYS(setrlimit), SCMP_SYS(sched_getaffinity), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(kill), SCMP_SYS(tgkill), SCMP_SYS(prlimit64), SCMP_SYS(dup),
	SCMP_SYS(pipe2), SCMP_SYS(open), SCMP_SYS(ioctl),
};

/* flags that make an open more than reading a file that exists */
#define OPEN_WRITE_FLAGS ((scmp_datum_t)(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | __O_TMPFILE))

static int add_rules(scmp_filter_ctx ctx, pid_t self)
{
	int r;
	for (size_t i = 0; i < CW_ARRAY_SIZE(allowed); i++)
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0)) < 0)
			return r;
	if (CW_SANDBOX_SANITIZER_EXTRAS)
		for (size_t i = 0; i < CW_ARRAY_SIZE(sanitizer_extras); i++)
			if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sanitizer_extras[i], 0)) < 0)
				return r;
	/* memory, never executable: nothing is loaded after start-up. (libdw
	 * 0.188 dlopens libdebuginfod, and with it libcurl and GnuTLS, when it
	 * cannot find a module's file, whatever DEBUGINFOD_URLS says: this is
	 * what makes that dlopen fail, in every build.) */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(mmap), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(mprotect), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC))) < 0)
		return r;
	if (!CW_SANDBOX_SANITIZER_EXTRAS) {
		/* abort() on an analyzer bug: a signal to itself only */
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
					  SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self))) < 0 ||
		    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
					  SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self))) < 0 ||
		    /* getrlimit() is prlimit64 without a new limit */
		    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
					  SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0))) < 0)
			return r;
	}
	/* F_DUPFD_CLOEXEC, F_GETFL and friends; no F_SETOWN games matter
	 * without sockets */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 0)) < 0)
		return r;
	/* Native unwinding (libdwfl) and the file-backed memory reader open
	 * the shared libraries the core names: read-only, with the analysis
	 * user's rights and no capabilities. Anything that would write or
	 * create fails with EACCES. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, OPEN_WRITE_FLAGS, 0))) < 0)
		return r;
	/* any one write flag: EACCES (rules on disjoint conditions, so the
	 * filter never has to choose between ALLOW and ERRNO) */
	const scmp_datum_t write_flags[] = { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, __O_TMPFILE };
	for (size_t i = 0; i < CW_ARRAY_SIZE(write_flags); i++)
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 1,
					  SCMP_A2(SCMP_CMP_MASKED_EQ, write_flags[i], write_flags[i]))) < 0)
			return r;
	/* glibc's open() is openat, but a static caller could use open(2)
	 * (LeakSanitizer does: sanitizer builds allow it whole) */
	if (CW_SANDBOX_SANITIZER_EXTRAS)
		return 0;
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
				  SCMP_A1(SCMP_CMP_MASKED_EQ, OPEN_WRITE_FLAGS, 0))) < 0)
		return r;
	for (size_t i = 0; i < CW_ARRAY_SIZE(write_flags); i++)
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 1,
					  SCMP_A1(SCMP_CMP_MASKED_EQ, write_flags[i], write_flags[i]))) < 0)
			return r;
	return 0;
}

int cw_sandbox_install_seccomp(int fd, const char **step)
{
	*step = "installing the SIGSYS handler";
	report_fd = fd;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	*step = "building the seccomp filter";
	CW_CLEANUP(seccomp_releasep) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return -ENOMEM;
	int r = add_rules(ctx, getpid());
	if (r < 0)
		return r;
	*step = "loading the seccomp filter";
	r = seccomp_load(ctx);
	return r < 0 ? r : 0;
}

int cw_sandbox_enter(int fd, const char **step)
{
	*step = "dropping capabilities";
	int r = cw_sandbox_drop_capabilities();
	if (r < 0)
		return r;
	return cw_sandbox_install_seccomp(fd, step);
}
