/* The analysis child: fork, limits, drop to the analysis user, exec
 * crashwatch-analyze (analyzer_main.c) with the core and executable as
 * descriptors; its JSON comes back over a pipe. */
#include "config.h"
#include "daemon/analyze_child.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/signal_name.h"
#include "daemon/analyzer_sandbox.h"

struct cw_analysis_job {
	pid_t pid;
	sd_event_source *pipe_src, *child_src, *timer_src;
	int pipe_fd;
	char *buf;
	size_t len, cap;
	bool eof, exited, overflow, timed_out;
	siginfo_t si;
	uint64_t timeout_sec;
	cw_analysis_done_fn done;
	void *userdata;
};

#define ANALYZER_NAME "crashwatch-analyze"

/* dir/crashwatch-analyze next to this executable (a build tree), else the
 * installed one. */
static void find_analyzer(char *out, size_t outlen)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		size_t dirlen = slash ? (size_t)(slash - self) + 1 : 0;
		if (slash && dirlen + sizeof(ANALYZER_NAME) <= outlen) {
			memcpy(out, self, dirlen);
			memcpy(out + dirlen, ANALYZER_NAME, sizeof(ANALYZER_NAME));
			if (access(out, X_OK) == 0)
				return;
		}
	}
	snprintf(out, outlen, "%s/%s", CW_LIBEXECDIR, ANALYZER_NAME);
}

int cw_sandbox_from_config(const char *user, uint64_t memory_max, uint64_t timeout_sec,
			   struct cw_sandbox *sb, bool *user_missing)
{
	memset(sb, 0, sizeof(*sb));
	find_analyzer(sb->analyzer, sizeof(sb->analyzer));
	sb->memory_max = memory_max == UINT64_MAX ? 0 : memory_max;
	sb->timeout_sec = timeout_sec == UINT64_MAX ? 0 : timeout_sec;
	*user_missing = false;
	if (geteuid() != 0 || !user || !*user)
		return 0;
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			return -errno;
		*user_missing = true;
		return 0;
	}
	sb->drop = true;
	sb->uid = pw->pw_uid;
	sb->gid = pw->pw_gid;
	return 0;
}

static void child_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void child_fail(const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg + 1, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	msg[0] = 'E';
	size_t len = n < 0 ? 1 : (size_t)n + 1 > sizeof(msg) - 1 ? sizeof(msg) - 1 : (size_t)n + 1;
	(void)!write(3, msg, len);
	_exit(1);
}

/* the kept libraries go to descriptors 6, 7, ... */
#define ANALYSIS_FIRST_LIBRARY_FD 6
/* parked above every descriptor the analyzer gets */
#define ANALYSIS_PARK_FD (ANALYSIS_FIRST_LIBRARY_FD + CW_ANALYSIS_LIBRARIES_MAX + 4)

/* fd at a high number, close-on-exec, the original closed */
static int park_fd(int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, ANALYSIS_PARK_FD);
	close(fd);
	return high;
}

/* In the child (a copy of the daemon): never returns. Only limits,
 * opening the core, the privilege drop and opening the executable as the
 * analysis user happen here; then the analyzer is exec'd with descriptors 3 (result pipe), 4
 * (core) and 5 (executable, when readable) and an environment of its own,
 * so no byte of the daemon's memory (secrets, tokens, DSNs, the database)
 * reaches the process that parses the core. */
static void child_run(const struct cw_sandbox *sb, const char *exe, const char *core, const char *const *libs,
		      size_t nlibs)
{
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
	}
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	if (sb->memory_max && CW_SANDBOX_HAS_AS_LIMIT) {
		struct rlimit as = { sb->memory_max, sb->memory_max };
		setrlimit(RLIMIT_AS, &as);
	}
	if (sb->timeout_sec) {
		struct rlimit cpu = { sb->timeout_sec, sb->timeout_sec + 1 };
		setrlimit(RLIMIT_CPU, &cpu);
	}
	/* the core (the daemon's own file under cores/) is opened with the
	 * daemon's rights: the analysis user needs no access to stored cores,
	 * so a core that names another crash's stored core as a mapped file
	 * cannot make the analysis read it */
	int core_fd = open(core, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (core_fd < 0)
		child_fail("%s: %s", core, errno == ENOENT ? "no such file" :
			   errno == EACCES ? "permission denied" : strerror(errno));
	if (sb->drop) {
		if (setgroups(0, NULL) < 0 || setresgid(sb->gid, sb->gid, sb->gid) < 0 ||
		    setresuid(sb->uid, sb->uid, sb->uid) < 0)
			child_fail("cannot drop privileges to uid %u: %s", (unsigned)sb->uid, strerror(errno));
	}
	/* after the uid change, which clears it; survives the exec */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	/* until the exec this is still the daemon's memory, now under the
	 * analysis uid: no other process of that uid may read it */
	prctl(PR_SET_DUMPABLE, 0);

	/* an executable the analysis user may not read (a 0400 copy, a private
	 * binary): analyse the core alone rather than not at all */
	int exe_fd = exe ? open(exe, O_RDONLY | O_CLOEXEC | O_NOCTTY) : -1;
	/* this crash's kept libraries (a container's), opened as the analysis
	 * user too: the analyzer gets these files, never a directory of them */
	int lib_fds[CW_ANALYSIS_LIBRARIES_MAX];
	size_t nlib = 0;
	for (size_t i = 0; i < nlibs && nlib < CW_ANALYSIS_LIBRARIES_MAX; i++) {
		int fd = open(libs[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
		if (fd >= 0 && (fd = park_fd(fd)) >= 0)
			lib_fds[nlib++] = fd;
	}
	core_fd = park_fd(core_fd);
	if (exe_fd >= 0)
		exe_fd = park_fd(exe_fd);
	if (core_fd < 0 || dup2(core_fd, 4) < 0 || (exe_fd >= 0 && dup2(exe_fd, 5) < 0))
		child_fail("cannot pass the core to the analyzer: %s", strerror(errno));
	for (size_t i = 0; i < nlib; i++)
		if (dup2(lib_fds[i], ANALYSIS_FIRST_LIBRARY_FD + (int)i) < 0)
			child_fail("cannot pass a library to the analyzer: %s", strerror(errno));
	if (exe_fd < 0)
		close(5);
	close_range(ANALYSIS_FIRST_LIBRARY_FD + (unsigned)nlib, ~0U, 0);
	struct rlimit nofile = { 64, 64 };
	setrlimit(RLIMIT_NOFILE, &nofile);

	char *argv[8 + CW_ANALYSIS_LIBRARIES_MAX];
	size_t argc = 0;
	char core_arg[PATH_MAX + 16], exe_arg[PATH_MAX + 16], lib_args[CW_ANALYSIS_LIBRARIES_MAX][32];
	snprintf(core_arg, sizeof(core_arg), "--core=%s", core);
	argv[argc++] = (char *)ANALYZER_NAME;
	argv[argc++] = (char *)"--result-fd=3";
	argv[argc++] = (char *)"--core-fd=4";
	argv[argc++] = core_arg;
	if (exe_fd >= 0) {
		snprintf(exe_arg, sizeof(exe_arg), "--exe=%s", exe);
		argv[argc++] = (char *)"--exe-fd=5";
		argv[argc++] = exe_arg;
	}
	for (size_t i = 0; i < nlib; i++) {
		snprintf(lib_args[i], sizeof(lib_args[i]), "--library-fd=%d", ANALYSIS_FIRST_LIBRARY_FD + (int)i);
		argv[argc++] = lib_args[i];
	}
	argv[argc] = NULL;
	/* nothing of the daemon's environment: no DEBUGINFOD_URLS (an analysis
	 * never leaves the host), only the sanitizers' settings of a test build */
	static const char *const keep[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };
	char *envp[CW_ARRAY_SIZE(keep) + 1];
	size_t envc = 0;
	for (size_t i = 0; i < CW_ARRAY_SIZE(keep); i++) {
		const char *v = getenv(keep[i]);
		size_t klen = strlen(keep[i]);
		for (char **e = environ; v && *e; e++)
			if (strncmp(*e, keep[i], klen) == 0 && (*e)[klen] == '=')
				envp[envc++] = *e;
	}
	envp[envc] = NULL;
	execve(sb->analyzer, argv, envp);
	child_fail("cannot run the analyzer %s: %s (is crashwatch completely installed?)", sb->analyzer,
		   strerror(errno));
}

static void job_finish_if_done(struct cw_analysis_job *job)
{
	if (!job->eof || !job->exited || !job->done)
		return;
	cw_analysis_done_fn done = job->done;
	job->done = NULL;
	char why[256], sig[CW_SIGNAL_NAME_MAX];
	if (job->timed_out) {
		snprintf(why, sizeof(why), "analysis timed out after %llus",
			 (unsigned long long)job->timeout_sec);
		done(job->userdata, false, NULL, why);
		return;
	}
	if (job->si.si_code == CLD_KILLED || job->si.si_code == CLD_DUMPED) {
		snprintf(why, sizeof(why), "analysis killed by signal %s%s",
			 cw_signal_name(job->si.si_status, sig, sizeof(sig)) ?: "SIG?",
			 job->si.si_status == SIGXCPU ? " (CPU time limit)" :
			 job->si.si_status == SIGSYS ? " (a system call outside the analyzer's seccomp allow-list)" :
			 job->si.si_status == SIGSEGV || job->si.si_status == SIGABRT ?
			 " (crashed, or out of memory under MemoryMax=)" : "");
		done(job->userdata, false, NULL, why);
		return;
	}
	if (job->overflow) {
		done(job->userdata, false, NULL, "analysis output larger than the limit");
		return;
	}
	if (job->len > 1 && job->buf[0] == 'J' && job->si.si_status == 0) {
		done(job->userdata, true, job->buf + 1, NULL);
		return;
	}
	if (job->len > 1 && job->buf[0] == 'E') {
		done(job->userdata, false, NULL, job->buf + 1);
		return;
	}
	if (job->si.si_status == CW_SANDBOX_EXIT_SYSCALL) {
		done(job->userdata, false, NULL,
		     "analysis stopped by its sandbox: a system call outside the analyzer's seccomp allow-list");
		return;
	}
	snprintf(why, sizeof(why), "analysis exited with status %d without a result", job->si.si_status);
	done(job->userdata, false, NULL, why);
}

static int on_pipe(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct cw_analysis_job *job = userdata;
	for (;;) {
		if (job->cap - job->len < 65536 + 1) {
			size_t ncap = job->cap ? job->cap * 2 : 131072;
			if (ncap > CW_ANALYSIS_OUTPUT_MAX + 1) {
				job->overflow = true;
				if (job->pid > 0)
					kill(job->pid, SIGKILL);
				break;
			}
			char *nb = realloc(job->buf, ncap);
			if (!nb) {
				job->overflow = true;
				break;
			}
			job->buf = nb;
			job->cap = ncap;
		}
		ssize_t n = read(fd, job->buf + job->len, job->cap - job->len - 1);
		if (n > 0) {
			job->len += (size_t)n;
			job->buf[job->len] = '\0';
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		break; /* EOF or error */
	}
	job->eof = true;
	job->pipe_src = sd_event_source_disable_unref(job->pipe_src);
	job_finish_if_done(job);
	return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct cw_analysis_job *job = userdata;
	job->si = *si;
	job->exited = true;
	job->pid = 0;
	job->timer_src = sd_event_source_disable_unref(job->timer_src);
	job_finish_if_done(job);
	return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct cw_analysis_job *job = userdata;
	job->timed_out = true;
	if (job->pid > 0)
		kill(job->pid, SIGKILL);
	return 0;
}

int cw_analysis_job_start(sd_event *ev, const struct cw_sandbox *sb, const char *exe, const char *core,
			  cw_analysis_done_fn done, void *userdata, struct cw_analysis_job **out)
{
	return cw_analysis_job_start_libs(ev, sb, exe, core, NULL, 0, done, userdata, out);
}

int cw_analysis_job_start_libs(sd_event *ev, const struct cw_sandbox *sb, const char *exe, const char *core,
			       const char *const *libs, size_t nlibs, cw_analysis_done_fn done, void *userdata,
			       struct cw_analysis_job **out)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	struct cw_analysis_job *job = calloc(1, sizeof(*job));
	if (!job) {
		close(p[0]);
		close(p[1]);
		return -ENOMEM;
	}
	job->pipe_fd = p[0];
	job->done = done;
	job->userdata = userdata;
	job->timeout_sec = sb->timeout_sec;
	pid_t pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(p[0]);
		close(p[1]);
		free(job);
		return r;
	}
	if (pid == 0) {
		if (dup2(p[1], 3) < 0)
			_exit(2);
		close_range(4, ~0U, 0);
		child_run(sb, exe, core, libs, nlibs);
	}
	close(p[1]);
	job->pid = pid;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	int r = sd_event_add_io(ev, &job->pipe_src, p[0], EPOLLIN, on_pipe, job);
	if (r >= 0)
		r = sd_event_add_child(ev, &job->child_src, pid, WEXITED, on_child, job);
	if (r >= 0 && sb->timeout_sec)
		r = sd_event_add_time_relative(ev, &job->timer_src, CLOCK_MONOTONIC,
					       sb->timeout_sec * 1000000ULL, 0, on_timeout, job);
	if (r < 0) {
		cw_analysis_job_free(job);
		return r;
	}
	*out = job;
	return 0;
}

void cw_analysis_job_free(struct cw_analysis_job *job)
{
	if (!job)
		return;
	if (job->pid > 0) {
		kill(job->pid, SIGKILL);
		(void)waitpid(job->pid, NULL, 0);
	}
	sd_event_source_disable_unref(job->pipe_src);
	sd_event_source_disable_unref(job->child_src);
	sd_event_source_disable_unref(job->timer_src);
	if (job->pipe_fd >= 0)
		close(job->pipe_fd);
	free(job->buf);
	free(job);
}
