/* crashwatch debug: opens a crash in dlv (Go) or gdb with its executable. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/debug_sysroot.h"
#include "cli/select_one.h"
#include "cli/verbs.h"
#include "common/cleanup.h"
#include "common/exit_codes.h"
#include "common/zstd_seekable.h"

static void debug_usage(FILE *f)
{
	fprintf(f, "Usage: crashwatch debug [OPTIONS] [ID|MATCH...]\n\n"
		"Run `dlv core` (Go programs, when dlv is installed) or gdb on a crash's core\n"
		"(default: the newest) with the matching executable.\n\n"
		"  -D, --debugger PROG  dlv or gdb (default: dlv for Go when found, else gdb)\n"
		"  -A, --debugger-arguments ARGS  extra arguments, split at spaces\n"
		"  -c, --config FILE    configuration file\n\n"
		"For a container's crash, gdb gets a private sysroot in which the container's\n"
		"kept libraries (crashwatch info lists them) stand at their paths and every\n"
		"other file the core maps is the host's. dlv has no such option: with dlv the\n"
		"host's files are used (-D gdb for the container's).\n");
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir;
	     dir = strtok_r(NULL, ":", &save)) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", dir, prog);
		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

int cw_verb_debug(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "debugger", required_argument, NULL, 'D' }, { "debugger-arguments", required_argument, NULL, 'A' },
		{ "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *debugger = NULL, *extra = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "D:A:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': debugger = optarg; break;
		case 'A': extra = optarg; break;
		case 'c': cw_set_config_path(optarg); break;
		case 'h': debug_usage(stdout); return CW_EXIT_OK;
		default: debug_usage(stderr); return CW_EXIT_USAGE;
		}
	}
	struct cw_source *src = NULL;
	int rc = cw_source_open(NULL, &src);
	if (rc != CW_EXIT_OK)
		return rc;
	struct cw_selected sel;
	_cleanup_close_ int in = -1, tmp = -1;
	_cleanup_(cw_crash_libraries_clear) struct cw_crash_libraries libs = { 0 };
	int r = cw_select_one_libraries(src, argc - optind, argv + optind, &sel, &libs);
	if (r == 0)
		r = cw_source_open_core(src, sel.id, &in);
	if (r < 0) {
		rc = cw_report_error(src, "debug", r);
		cw_source_close(src);
		return rc;
	}
	cw_source_close(src);
	if (!sel.exe[0]) {
		fprintf(stderr, "crashwatch debug: the executable of crash %lld is unknown\n", (long long)sel.id);
		return CW_EXIT_NOTFOUND;
	}
	if (!debugger)
		debugger = sel.go_version[0] && in_path("dlv") ? "dlv" : "gdb";
	const char *tmpdir = getenv("TMPDIR");
	char core_path[4096];
	snprintf(core_path, sizeof(core_path), "%s/crashwatch-core-XXXXXX", tmpdir ? tmpdir : "/var/tmp");
	tmp = mkostemp(core_path, O_CLOEXEC);
	if (tmp < 0) {
		fprintf(stderr, "crashwatch debug: %s: %s\n", core_path, strerror(errno));
		return CW_EXIT_FAILURE;
	}
	r = cw_zstd_decompress_fd(in, tmp, UINT64_MAX);
	if (r < 0) {
		fprintf(stderr, "crashwatch debug: decompressing the core: %s\n", strerror(-r));
		unlink(core_path);
		return CW_EXIT_FAILURE;
	}
	char *args[64];
	size_t n = 0;
	_cleanup_free_ char *extra_copy = extra ? strdup(extra) : NULL;
	_cleanup_free_ char *sysroot = NULL, *set_sysroot = NULL;
	args[n++] = (char *)debugger;
	bool is_dlv = strcmp(debugger, "dlv") == 0 || strstr(debugger, "/dlv");
	if (is_dlv)
		args[n++] = "core";
	if (libs.n && is_dlv)
		fprintf(stderr, "crashwatch debug: dlv has no sysroot: the %zu kept container libraries are used "
			"with gdb only (-D gdb)\n", libs.n);
	else if (libs.n) {
		size_t supplied = 0;
		r = cw_debug_sysroot_make(tmpdir ? tmpdir : "/var/tmp", core_path, libs.v, libs.n, &sysroot, &supplied);
		if (r < 0)
			fprintf(stderr, "crashwatch debug: cannot make a sysroot of the container's libraries: %s "
				"(gdb uses the host's)\n", strerror(-r));
		else if (asprintf(&set_sysroot, "set sysroot %s", sysroot) < 0) {
			cw_debug_sysroot_remove(sysroot);
			free(sysroot);
			sysroot = NULL;
		} else {
			fprintf(stderr, "Supplying %zu of %zu kept container libraries to gdb (sysroot %s)\n", supplied,
				libs.n, sysroot);
			args[n++] = "-iex";
			args[n++] = set_sysroot;
		}
	}
	args[n++] = sel.exe;
	args[n++] = core_path;
	for (char *save = NULL, *a = extra_copy ? strtok_r(extra_copy, " ", &save) : NULL; a && n < 62;
	     a = strtok_r(NULL, " ", &save))
		args[n++] = a;
	args[n] = NULL;
	fprintf(stderr, "Running %s on crash %lld (%s)\n", debugger, (long long)sel.id, sel.exe);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		execvp(debugger, args);
		fprintf(stderr, "crashwatch debug: cannot run %s: %s\n", debugger, strerror(errno));
		_exit(127);
	}
	signal(SIGINT, SIG_IGN); /* Ctrl-C belongs to the debugger */
	int status = 0;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	unlink(core_path);
	cw_debug_sysroot_remove(sysroot);
	if (pid < 0)
		return CW_EXIT_FAILURE;
	return WIFEXITED(status) ? WEXITSTATUS(status) : CW_EXIT_FAILURE;
}
