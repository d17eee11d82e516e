/* Test doubles for the analyzer, linked with the real crashwatch-analyze
 * main and sandbox (daemon/analyzer_main.c, analyzer_sandbox.c) into
 * tests/unit/fake-analyzer, which test-analyze-child runs in place of the
 * real analyzer. The basename of the executable picks the behaviour, so a
 * hang, a crash, a memory hog, a failure and a forbidden system call can
 * be produced on demand, inside the real sandbox. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "analyzer/analysis.h"

/* "CapEff:\t0000000000000000" -> "CapEff=0000000000000000" for each key */
static void status_fields(char *buf, size_t len)
{
	static const char *const keys[] = { "Uid:", "CapEff:", "CapPrm:", "CapBnd:", "CapAmb:", "NoNewPrivs:",
					    "Seccomp:" };
	size_t pos = 0;
	buf[0] = '\0';
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t kl = strlen(keys[i]);
			if (strncmp(line, keys[i], kl) != 0)
				continue;
			char *v = line + kl;
			v += strspn(v, " \t");
			v[strcspn(v, "\t\n")] = '\0';
			int n = snprintf(buf + pos, len - pos, " %.*s=%s", (int)kl - 1, keys[i], v);
			if (n > 0 && (size_t)n < len - pos)
				pos += (size_t)n;
		}
	fclose(f);
}

void cw_analyze_opts_default(struct cw_analyze_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->native_unwind = true;
}

int cw_analyze_fds(int exe_fd, const char *exe_path, int core_fd, const char *core_path,
		   const struct cw_analyze_opts *o, struct cw_analysis **out, char *err, size_t errlen)
{
	const char *exe = exe_path ? strrchr(exe_path, '/') : NULL;
	exe = exe ? exe + 1 : exe_path;
	if (!exe || strcmp(exe, "fail") == 0) {
		snprintf(err, errlen, "%s: not an ELF core", core_path);
		return -EBADMSG;
	}
	if (strcmp(exe, "sleep") == 0) {
		uint32_t word = 0;
		for (;;)
			syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	}
	if (strcmp(exe, "abort") == 0)
		abort();
	if (strcmp(exe, "hog") == 0) {
		for (size_t i = 0; i < 4096; i++) {
			char *p = malloc(1 << 20);
			if (!p) {
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			memset(p, 1, 1 << 20);
		}
		return -E2BIG; /* never reached under a 64M limit */
	}
	/* what a hostile core would try after taking over the analyzer */
	if (strcmp(exe, "open-write") == 0) {
		int fd = open(core_path, O_WRONLY | O_APPEND | O_CLOEXEC);
		snprintf(err, errlen, "open for writing: %s", fd < 0 ? strerror(errno) : "succeeded");
		return -EPERM;
	}
	if (strcmp(exe, "socket") == 0) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		snprintf(err, errlen, "socket: %s", fd < 0 ? strerror(errno) : "succeeded");
		return -EPERM;
	}
	if (strcmp(exe, "exec") == 0) {
		char *argv[] = { (char *)"true", NULL };
		execve("/bin/true", argv, argv + 1);
		snprintf(err, errlen, "execve: %s", strerror(errno));
		return -EPERM;
	}
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	char buf[512];
	if (strcmp(exe, "check-limits") == 0) {
		struct rlimit core_l, as_l;
		getrlimit(RLIMIT_CORE, &core_l);
		getrlimit(RLIMIT_AS, &as_l);
		snprintf(buf, sizeof(buf), "core=%llu as=%llu", (unsigned long long)core_l.rlim_cur,
			 (unsigned long long)as_l.rlim_cur);
		(*out)->comm = strdup(buf);
	} else if (strcmp(exe, "check-privileges") == 0) {
		char status[400];
		status_fields(status, sizeof(status));
		/* the descriptors it holds: 0-2, the result pipe, core, exe */
		int open_fds = 0;
		for (int fd = 0; fd < 64; fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				open_fds++;
		snprintf(buf, sizeof(buf), "fds=%d exe_fd=%d core_fd=%d%s", open_fds, exe_fd, core_fd, status);
		(*out)->comm = strdup(buf);
	} else if (strcmp(exe, "check-libraries") == 0) {
		/* the library descriptors it was given, each with its file's first bytes */
		int open_fds = 0, k = snprintf(buf, sizeof(buf), "libs=%zu", o ? o->nlibrary_fds : 0);
		for (int fd = 0; fd < 64; fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				open_fds++;
		for (size_t i = 0; o && i < o->nlibrary_fds && k > 0 && (size_t)k < sizeof(buf); i++) {
			char head[8] = "";
			ssize_t n = pread(o->library_fds[i], head, sizeof(head) - 1, 0);
			head[n > 0 ? n : 0] = 0;
			head[strcspn(head, "\n")] = 0;
			k += snprintf(buf + k, sizeof(buf) - (size_t)k, " %d:%s", o->library_fds[i], head);
		}
		if (k > 0 && (size_t)k < sizeof(buf))
			snprintf(buf + k, sizeof(buf) - (size_t)k, " fds=%d", open_fds);
		(*out)->comm = strdup(buf);
	}
	return 0;
}

int cw_analysis_write_json(const struct cw_analysis *a, FILE *out, bool pretty)
{
	(void)pretty;
	fprintf(out, "{\"schema\":\"%s\"", CW_ANALYSIS_SCHEMA);
	if (a->comm)
		fprintf(out, ",\"limits\":\"%s\"", a->comm);
	fputc('}', out);
	return ferror(out) ? -EIO : 0;
}

void cw_analysis_free(struct cw_analysis *a)
{
	if (a)
		free(a->comm);
	free(a);
}
