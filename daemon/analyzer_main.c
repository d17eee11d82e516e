/* crashwatch-analyze: one analysis, privilege-separated from crashwatchd.
 * The daemon forks, sets the rlimits, drops to the [Analyze] User=, opens
 * the core and the executable as that user and execs this program with
 * nothing else: a fresh image that never held the daemon's upload
 * secrets, tokens, DSNs or database handle (the model is OpenSSH's
 * sshd-session re-exec). It enters its sandbox (analyzer_sandbox.h) before
 * it reads a byte of the core, analyses, and writes 'J' + the JSON, or
 * 'E' + a one-line reason, to the result descriptor. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "analyzer/analysis.h"
#include "daemon/analyzer_sandbox.h"

#define MAX_LIBRARIES 32

static void usage(FILE *f)
{
	fputs("Usage: crashwatch-analyze --result-fd=N --core-fd=N --core=NAME [--exe-fd=N --exe=PATH]\n"
	      "                          [--library-fd=N]...\n\n"
	      "Analyses one core for crashwatchd, which starts it (it is not meant to be run by hand):\n"
	      "the core, the executable and the crash's kept libraries come as open descriptors\n"
	      "(a library is used for the module of the core with its build id), the result ('J' + the\n"
	      "crashwatch.analysis.v1 JSON, or 'E' + the reason) goes to the result descriptor.\n"
	      "It runs with no capabilities under a seccomp allow-list; see crashwatchd(8).\n", f);
}

static int parse_fd(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > INT_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int fail(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int fd, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg + 1, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	msg[0] = 'E';
	size_t len = n < 0 ? 1 : (size_t)n + 1 > sizeof(msg) - 1 ? sizeof(msg) - 1 : (size_t)n + 1;
	if (fd >= 0)
		(void)!write(fd, msg, len);
	else
		fprintf(stderr, "crashwatch-analyze: %s\n", msg + 1);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "result-fd", required_argument, NULL, 'r' },
		{ "core-fd", required_argument, NULL, 'c' },
		{ "core", required_argument, NULL, 'C' },
		{ "exe-fd", required_argument, NULL, 'e' },
		{ "exe", required_argument, NULL, 'E' },
		{ "library-fd", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int result_fd = -1, core_fd = -1, exe_fd = -1, c;
	int lib_fds[MAX_LIBRARIES];
	size_t nlibs = 0;
	const char *core = NULL, *exe = NULL;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
		case 'c':
		case 'e': {
			int *dst = c == 'r' ? &result_fd : c == 'c' ? &core_fd : &exe_fd;
			if (parse_fd(optarg, dst) < 0) {
				fprintf(stderr, "crashwatch-analyze: --%s=%s: expected a descriptor number\n",
					c == 'r' ? "result-fd" : c == 'c' ? "core-fd" : "exe-fd", optarg);
				return 2;
			}
			break;
		}
		case 'l':
			if (nlibs >= MAX_LIBRARIES || parse_fd(optarg, &lib_fds[nlibs]) < 0) {
				fprintf(stderr, "crashwatch-analyze: --library-fd=%s: expected a descriptor number"
					" (at most %d)\n", optarg, MAX_LIBRARIES);
				return 2;
			}
			nlibs++;
			break;
		case 'C': core = optarg; break;
		case 'E': exe = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || result_fd < 0 || core_fd < 0 || !core || (exe_fd >= 0) != (exe != NULL)) {
		usage(stderr);
		return 2;
	}
	/* another analysis (same uid) may not read this one's memory */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	FILE *out = fdopen(result_fd, "w");
	if (!out)
		return fail(-1, "result descriptor %d: %s", result_fd, strerror(errno));
	/* fully buffered, decided now: stdio would otherwise ask isatty()
	 * (an ioctl) at the first write when the result is a character device */
	setvbuf(out, NULL, _IOFBF, 65536);
	/* the fingerprint's SHA-256 would read openssl.cnf on first use:
	 * read it now, before the filter */
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
	const char *step = "";
	int r = cw_sandbox_enter(result_fd, &step);
	if (r < 0)
		return fail(result_fd, "cannot enter the analysis sandbox (%s): %s", step, strerror(-r));

	struct cw_analysis *a = NULL;
	char err[512] = "";
	struct cw_analyze_opts opts;
	cw_analyze_opts_default(&opts);
	opts.library_fds = lib_fds;
	opts.nlibrary_fds = nlibs;
	r = cw_analyze_fds(exe_fd, exe, core_fd, core, &opts, &a, err, sizeof(err));
	if (r < 0)
		return fail(result_fd, "%s", err[0] ? err : strerror(-r));
	fputc('J', out);
	int rc = cw_analysis_write_json(a, out, false) == 0 && fclose(out) == 0 ? 0 : 1;
	cw_analysis_free(a);
	return rc;
}
