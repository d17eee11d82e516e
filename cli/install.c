/* crashwatch install / uninstall: register crashwatch-collect as the
 * kernel's core dump handler (kernel.core_pattern, plus a sysctl.d drop-in
 * so it survives reboots), remembering the previous pattern so that
 * uninstall can restore it; optionally forward every core to that previous
 * handler too (ForwardTo=). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/verbs.h"
#include "collector/collect.h"
#include "common/cleanup.h"
#include "common/cwconfig.h"
#include "common/exit_codes.h"

#define CORE_PATTERN_PROC "/proc/sys/kernel/core_pattern"
#define SYSCTL_DROPIN_DIR "/etc/sysctl.d"
#define SYSCTL_DROPIN_NAME "50-crashwatch.conf"
#define FORWARD_DROPIN_NAME "50-forward.conf"
#define PREVIOUS_NAME "core_pattern.previous"
#define DEFAULT_COLLECTOR CW_LIBEXECDIR "/crashwatch-collect"

struct install_opts {
	const char *collector;
	const char *pattern_file;  /* where kernel.core_pattern is (tests: a plain file) */
	const char *sysctl_dir;
	const char *config;
	bool dry_run;
	bool forward;
	bool socket;
};

static int read_line(const char *path, char *buf, size_t len)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Writes content to dir/name atomically (temporary file + rename). */
static int write_file_atomic(const char *dir, const char *name, const char *content, mode_t mode)
{
	_cleanup_free_ char *tmp = NULL, *path = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = strlen(content);

	if (asprintf(&tmp, "%s/.#%s.XXXXXX", dir, name) < 0 || asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, content, len) != (ssize_t)len || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		int r = errno ? -errno : -EIO;
		unlink(tmp);
		return r;
	}
	if (rename(tmp, path) < 0) {
		int r = -errno;
		unlink(tmp);
		return r;
	}
	return 0;
}

static int write_pattern(const char *file, const char *pattern)
{
	_cleanup_close_ int fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);
	size_t len = strlen(pattern);

	if (fd < 0)
		return -errno;
	if (write(fd, pattern, len) != (ssize_t)len)
		return errno ? -errno : -EIO;
	return 0;
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int a = 0, b = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return false;
	return a > major || (a == major && b >= minor);
}

/* The pattern for the collector; -ENAMETOOLONG past the kernel's limit. */
static int build_pattern(const struct install_opts *o, const struct cw_config *cfg, char *buf, size_t len)
{
	int n;

	/* --socket: "@@" (the request protocol, Linux >= 6.17: a crash-loop
	 * repeat is rejected before its core is written), else "@" (6.16),
	 * else the pipe; a socket only when the daemon is listening on it */
	struct stat st;
	bool listening = o->socket && stat(cfg->core_socket_path, &st) == 0 && S_ISSOCK(st.st_mode);
	if (listening && kernel_at_least(6, 17))
		n = snprintf(buf, len, "@@%s", cfg->core_socket_path);
	else if (listening && kernel_at_least(6, 16))
		n = snprintf(buf, len, "@%s", cfg->core_socket_path);
	else if (o->config || getenv(CW_CONFIG_ENV))
		/* Installed with a non-default configuration: the collector must
		 * read the same one (the kernel gives it no environment). */
		n = snprintf(buf, len, "|%s -c %s %s", o->collector, cw_config_path(o->config),
			     CW_COLLECT_PATTERN_ARGS);
	else
		n = snprintf(buf, len, "|%s %s", o->collector, CW_COLLECT_PATTERN_ARGS);
	if (n < 0 || (size_t)n >= len || n >= CW_CORE_PATTERN_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static bool is_ours(const char *pattern)
{
	return strstr(pattern, "crashwatch-collect") != NULL ||
	       (pattern[0] == '@' && strstr(pattern, "crashwatch") != NULL);
}

static void usage(FILE *f, const char *verb)
{
	if (!strcmp(verb, "install"))
		fprintf(f,
			"Usage: crashwatch install [--dry-run] [--collector PATH] [--forward] [--socket]\n"
			"Makes crashwatch-collect the kernel's core dump handler (kernel.core_pattern\n"
			"and " SYSCTL_DROPIN_DIR "/" SYSCTL_DROPIN_NAME "); the previous pattern is kept for uninstall.\n"
			"  --dry-run          print the core_pattern line, change nothing\n"
			"  --collector PATH   the collector to register (default " DEFAULT_COLLECTOR ")\n"
			"  --forward          also hand every core to the previous handler (ForwardTo=)\n"
			"  --socket           use the daemon's core socket when it listens: \"@@\" (Linux >= 6.17,\n"
			"                     crash-loop repeats rejected before the core), \"@\" (6.16), else the pipe\n"
			"  --config FILE      configuration file\n");
	else
		fprintf(f,
			"Usage: crashwatch uninstall\n"
			"Restores the core_pattern that was in place before `crashwatch install`.\n"
			"  --config FILE      configuration file\n");
}

static int parse_opts(int argc, char **argv, struct install_opts *o)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "collector", required_argument, NULL, 'C' },
		{ "forward", no_argument, NULL, 'f' },
		{ "socket", no_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "core-pattern-file", required_argument, NULL, 'P' }, /* tests */
		{ "sysctl-dir", required_argument, NULL, 'S' },        /* tests */
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*o = (struct install_opts){
		.collector = DEFAULT_COLLECTOR,
		.pattern_file = CORE_PATTERN_PROC,
		.sysctl_dir = SYSCTL_DROPIN_DIR,
	};
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': o->dry_run = true; break;
		case 'C': o->collector = optarg; break;
		case 'f': o->forward = true; break;
		case 's': o->socket = true; break;
		case 'c': o->config = optarg; break;
		case 'P': o->pattern_file = optarg; break;
		case 'S': o->sysctl_dir = optarg; break;
		case 'h': usage(stdout, argv[0]); return 1;
		default: usage(stderr, argv[0]); return -EINVAL;
		}
	}
	if (optind < argc) {
		usage(stderr, argv[0]);
		return -EINVAL;
	}
	const char *config = o->config ? o->config : getenv(CW_CONFIG_ENV);
	if (config && (config[0] != '/' || strpbrk(config, " \t\n%"))) {
		fprintf(stderr, "crashwatch %s: the configuration path must be absolute, without spaces or %%\n", argv[0]);
		return -EINVAL;
	}
	if (o->collector[0] != '/' || strpbrk(o->collector, " \t\n%")) {
		fprintf(stderr, "crashwatch %s: --collector must be an absolute path without spaces or %%\n", argv[0]);
		return -EINVAL;
	}
	return 0;
}

static int load_config(const struct install_opts *o, struct cw_config *cfg, const char *verb)
{
	char err[512] = "";
	int r = cw_config_load(cw_config_path(o->config), o->config != NULL, cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "crashwatch %s: %s\n", verb, err[0] ? err : strerror(-r));
		cw_config_free(cfg);
		return CW_EXIT_CONFIG;
	}
	return 0;
}

/* ForwardTo= in crashwatch.conf.d/50-forward.conf next to the config. */
static int write_forward_dropin(const char *config_path, const char *previous)
{
	_cleanup_free_ char *dir = NULL, *content = NULL;

	if (asprintf(&dir, "%s.d", config_path) < 0)
		return -ENOMEM;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (asprintf(&content, "# Written by `crashwatch install --forward`; removed by `crashwatch uninstall`.\n"
			       "[Collect]\nForwardTo=%s\n", previous + 1) < 0)
		return -ENOMEM;
	return write_file_atomic(dir, FORWARD_DROPIN_NAME, content, 0644);
}

static void remove_forward_dropin(const char *config_path)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s.d/%s", config_path, FORWARD_DROPIN_NAME) >= 0)
		(void)unlink(path);
}

int cw_verb_install(int argc, char **argv)
{
	struct install_opts o;
	struct cw_config cfg;
	char pattern[512], current[512];
	_cleanup_free_ char *dropin = NULL;
	int r;

	r = parse_opts(argc, argv, &o);
	if (r != 0)
		return r > 0 ? CW_EXIT_OK : CW_EXIT_USAGE;
	if ((r = load_config(&o, &cfg, "install")) != 0)
		return r;
	if (build_pattern(&o, &cfg, pattern, sizeof(pattern)) < 0) {
		fprintf(stderr, "crashwatch install: the pattern for %s is longer than the kernel's %d bytes\n",
			o.collector, CW_CORE_PATTERN_MAX - 1);
		cw_config_free(&cfg);
		return CW_EXIT_USAGE;
	}
	if (o.dry_run) {
		printf("%s\n", pattern);
		cw_config_free(&cfg);
		return CW_EXIT_OK;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "crashwatch install: must be run as root\n");
		cw_config_free(&cfg);
		return CW_EXIT_PERMISSION;
	}
	if (pattern[0] == '|' && access(o.collector, X_OK) < 0) {
		/* A pattern naming a missing program would lose every core. */
		fprintf(stderr, "crashwatch install: %s: %s\n", o.collector, strerror(errno));
		cw_config_free(&cfg);
		return CW_EXIT_NOTFOUND;
	}
	const char *what = o.pattern_file;
	r = read_line(o.pattern_file, current, sizeof(current));
	if (r < 0)
		goto fail;
	what = cfg.storage_dir;
	if (mkdir(cfg.storage_dir, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		goto fail;
	}
	if (!is_ours(current)) {
		/* Remember what to restore (only a foreign pattern: installing twice keeps the first). */
		_cleanup_free_ char *content = NULL;
		if (asprintf(&content, "%s\n", current) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		what = PREVIOUS_NAME " in the storage directory";
		r = write_file_atomic(cfg.storage_dir, PREVIOUS_NAME, content, 0644);
		if (r < 0)
			goto fail;
	}
	if (o.forward) {
		char previous[512];
		_cleanup_free_ char *prev_path = NULL;
		if (asprintf(&prev_path, "%s/%s", cfg.storage_dir, PREVIOUS_NAME) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		if (read_line(prev_path, previous, sizeof(previous)) == 0 && previous[0] == '|') {
			what = "the ForwardTo= drop-in";
			r = write_forward_dropin(cw_config_path(o.config), previous);
			if (r < 0)
				goto fail;
		} else {
			fprintf(stderr, "crashwatch install: the previous pattern is not a pipe handler, nothing to forward to\n");
		}
	}
	if (asprintf(&dropin, "# Written by `crashwatch install`; removed by `crashwatch uninstall`.\n"
			      "kernel.core_pattern=%s\n", pattern) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	what = o.sysctl_dir;
	r = write_file_atomic(o.sysctl_dir, SYSCTL_DROPIN_NAME, dropin, 0644);
	if (r < 0)
		goto fail;
	what = o.pattern_file;
	r = write_pattern(o.pattern_file, pattern);
	if (r < 0)
		goto fail;
	printf("kernel.core_pattern = %s\n", pattern);
	cw_config_free(&cfg);
	return CW_EXIT_OK;
fail:
	fprintf(stderr, "crashwatch install: %s: %s\n", what, strerror(-r));
	cw_config_free(&cfg);
	return CW_EXIT_FAILURE;
}

int cw_verb_uninstall(int argc, char **argv)
{
	struct install_opts o;
	struct cw_config cfg;
	char current[512], previous[512] = "core";
	_cleanup_free_ char *prev_path = NULL, *dropin = NULL;
	int r;

	r = parse_opts(argc, argv, &o);
	if (r != 0)
		return r > 0 ? CW_EXIT_OK : CW_EXIT_USAGE;
	if ((r = load_config(&o, &cfg, "uninstall")) != 0)
		return r;
	if (geteuid() != 0) {
		fprintf(stderr, "crashwatch uninstall: must be run as root\n");
		cw_config_free(&cfg);
		return CW_EXIT_PERMISSION;
	}
	if (asprintf(&prev_path, "%s/%s", cfg.storage_dir, PREVIOUS_NAME) < 0 ||
	    asprintf(&dropin, "%s/%s", o.sysctl_dir, SYSCTL_DROPIN_NAME) < 0) {
		cw_config_free(&cfg);
		return CW_EXIT_FAILURE;
	}
	bool have_previous = read_line(prev_path, previous, sizeof(previous)) == 0;
	r = read_line(o.pattern_file, current, sizeof(current));
	if (r == 0 && is_ours(current)) {
		r = write_pattern(o.pattern_file, previous);
		if (r == 0)
			printf("kernel.core_pattern = %s\n", previous);
	} else if (r == 0) {
		printf("kernel.core_pattern is not crashwatch's (%s): left alone\n", current);
	}
	if (r < 0) {
		fprintf(stderr, "crashwatch uninstall: %s: %s\n", o.pattern_file, strerror(-r));
		cw_config_free(&cfg);
		return CW_EXIT_FAILURE;
	}
	(void)unlink(dropin);
	remove_forward_dropin(cw_config_path(o.config));
	if (have_previous)
		(void)unlink(prev_path);
	cw_config_free(&cfg);
	return CW_EXIT_OK;
}
