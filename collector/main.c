/* crashwatch-collect: the kernel's core dump handler (core_pattern
 * "|crashwatch-collect " CW_COLLECT_PATTERN_ARGS). The core arrives on
 * stdin; the crashing process is held until stdin is drained. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/collect.h"
#include "common/cwconfig.h"
#include "common/exit_codes.h"
#include "common/log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: crashwatch-collect [--config FILE] %s\n"
		"The kernel's core dump handler: reads a core on stdin into crashwatch's spool.\n"
		"Installed by `crashwatch install`; see crashwatch-collect(8).\n",
		CW_COLLECT_PATTERN_ARGS);
}

/* The kernel starts helpers without stdout/stderr: make sure 0-2 are open
 * so that no file we open becomes one of them. Returns whether stderr was. */
static bool ensure_std_fds(void)
{
	bool had_stderr = fcntl(STDERR_FILENO, F_GETFD) >= 0;

	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
	return had_stderr;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_arg = NULL;
	struct cw_config cfg;
	struct cw_crash_info crash;
	struct cw_collect_result res;
	char err[512];
	int opt, r;

	bool had_stderr = ensure_std_fds();
	/* Our own memory holds other processes' data: never dump it. */
	(void)prctl(PR_SET_DUMPABLE, 0);
	umask(022); /* files get explicit modes; directories 0755/0711 */
	signal(SIGPIPE, SIG_IGN);
	bool to_stderr = had_stderr && (isatty(STDERR_FILENO) || getenv(CW_CONFIG_ENV));
	cw_log_setup("crashwatch-collect", to_stderr ? NULL : &cw_log_journal, LOG_INFO);

	/* "+": stop at the first positional argument (a hostname or comm may
	 * look like an option). */
	while ((opt = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return CW_EXIT_OK;
		case 'V':
			printf("crashwatch-collect %s\n", PACKAGE_VERSION);
			return CW_EXIT_OK;
		default:
			usage(stderr);
			return CW_EXIT_USAGE;
		}
	}
	if (cw_crash_from_args(argc - optind, argv + optind, &crash) < 0) {
		usage(stderr);
		return CW_EXIT_USAGE;
	}
	r = cw_config_load(cw_config_path(config_arg), config_arg != NULL, &cfg, err, sizeof(err));
	if (r < 0) {
		/* A broken config must not lose the crash: fall back to defaults. */
		cw_log_error("configuration: %s; using defaults", err[0] ? err : strerror(-r));
		cw_config_free(&cfg);
		cw_config_defaults(&cfg);
	}
	r = cw_collect(&cfg, &crash, CW_COLLECT_PIPE, STDIN_FILENO, &res);
	if (r < 0)
		cw_log_errno(LOG_ERR, r, "pid %d (%s): nothing stored", (int)crash.pid, crash.comm);
	else if (res.dropped)
		cw_log_info("pid %d (%s): dropped (%s), %llu bytes drained", (int)crash.pid, crash.comm,
			    res.reason, (unsigned long long)res.size);
	else
		cw_log_info("pid %d (%s): %s %s, %llu bytes%s%s", (int)crash.pid, crash.comm, res.id,
			    res.core_stored ? "stored" : "recorded (no core)", (unsigned long long)res.size,
			    res.reason ? ", " : "", res.reason ? res.reason : "");
	if (r >= 0 && res.named_like_collector)
		cw_log_warning("pid %d (%s) is named like crashwatch-collect but is another program: recorded as %s",
			       (int)crash.pid, crash.comm, res.id);
	cw_config_free(&cfg);
	return r < 0 ? CW_EXIT_FAILURE : CW_EXIT_OK;
}
