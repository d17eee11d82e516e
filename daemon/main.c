/* crashwatchd: watches the spool, analyses each crash in a sandboxed
 * child, stores it, enforces retention and answers the CLI. A systemd
 * Type=notify service (READY/STATUS/WATCHDOG, LISTEN_FDS), also happy in
 * the foreground without systemd. */
#include "config.h"
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "common/cleanup.h"
#include "common/exit_codes.h"
#include "common/log.h"
#include "daemon/upload_service.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: crashwatchd [--config FILE]\n\n"
		"The crashwatch daemon: analyses and stores every crash the collector spools.\n\n"
		"  -c, --config FILE  configuration file (default: $%s, else %s)\n"
		"  -h, --help         show this help\n"
		"      --version      show the version\n", CW_CONFIG_ENV, CW_CONFIG_DEFAULT_PATH);
}

void cw_daemon_update_status(struct cw_daemon *d)
{
	sd_notifyf(0, "STATUS=%s, %zu queued, %llu stored since start (%llu analyses failed)",
		   d->current ? "Analysing" : "Idle", d->queue_len,
		   (unsigned long long)d->ingested, (unsigned long long)d->failed);
}

static bool journal_wanted(void)
{
	/* systemd sets JOURNAL_STREAM when stderr goes to the journal */
	return getenv("JOURNAL_STREAM") && access("/run/systemd/journal/socket", W_OK) == 0;
}

static int make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == 0) {
		/* the service runs with UMask=0077: give the mode asked for */
		if (chmod(path, mode) < 0)
			return -errno;
	} else if (errno != EEXIST)
		return -errno;
	struct stat st;
	if (lstat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int open_dir(const char *path, int *out)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*out = fd;
	return 0;
}

static void load_sandbox(struct cw_daemon *d)
{
	bool missing = false;
	int r = cw_sandbox_from_config(d->cfg.analyze_user, d->cfg.analyze_memory_max,
				       d->cfg.analyze_timeout_sec, &d->sandbox, &missing);
	if (r < 0)
		cw_log_errno(LOG_WARNING, r, "looking up [Analyze] User=%s", d->cfg.analyze_user);
	else if (missing)
		cw_log_warning("[Analyze] User=%s does not exist: analyses run as root, still with limits "
			       "(create the user, e.g. with systemd-sysusers, to drop privileges)",
			       d->cfg.analyze_user);
	if (!CW_SANDBOX_HAS_AS_LIMIT)
		cw_log_warning("built with AddressSanitizer: [Analyze] MemoryMax= is not enforced");
	if (r >= 0 && d->sandbox.drop)
		cw_log_info("analyses run as %s (uid %u, gid %u)", d->cfg.analyze_user,
			    (unsigned)d->sandbox.uid, (unsigned)d->sandbox.gid);
	if (r >= 0 && !missing && !d->sandbox.drop && geteuid() != 0)
		cw_log_info("not running as root: analyses run as uid %u with limits", (unsigned)geteuid());
}

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct cw_daemon *d = userdata;
	cw_log_info("received %s, stopping%s", sigabbrev_np((int)si->ssi_signo) ?: "signal",
		    d->current ? " (the current analysis is redone at the next start)" : "");
	sd_notify(0, "STOPPING=1");
	d->stopping = true;
	cw_ingest_abort(d);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct cw_daemon *d = userdata;
	struct cw_config cfg;
	char err[512];
	sd_notify(0, "RELOADING=1");
	int r = cw_config_load(cw_config_path(d->config_path), d->config_path != NULL, &cfg, err, sizeof(err));
	if (r < 0) {
		cw_log_error("reload failed, keeping the old configuration: %s", err);
		cw_config_free(&cfg);
	} else {
		if (strcmp(cfg.storage_dir, d->cfg.storage_dir) != 0)
			cw_log_warning("[Storage] Directory= changed: takes effect at the next start");
		char *keep = cfg.storage_dir;
		cfg.storage_dir = d->cfg.storage_dir;
		d->cfg.storage_dir = keep;
		cw_config_free(&d->cfg);
		d->cfg = cfg;
		load_sandbox(d);
		if (d->uploads && (r = cw_upload_service_reload(d->uploads, &d->cfg)) < 0)
			cw_log_errno(LOG_WARNING, r, "reloading the upload endpoints, keeping the old ones");
		cw_log_info("configuration reloaded");
		(void)cw_retention_run(d);
		if ((r = cw_retention_loops(d)) < 0)
			cw_log_errno(LOG_WARNING, r, "retention of crash loops");
	}
	sd_notify(0, "READY=1");
	cw_daemon_update_status(d);
	return 0;
}

/* The query socket passed by systemd (crashwatchd.socket), or -1. */
static int listen_fd_from_systemd(void)
{
	int n = sd_listen_fds(1);
	if (n <= 0)
		return -1;
	for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++)
		if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0)
			return fd;
	cw_log_warning("LISTEN_FDS passed %d descriptors but none is a listening Unix stream socket", n);
	return -1;
}

static int setup(struct cw_daemon *d)
{
	int r;
	d->spool_dir = cw_config_spool_dir(&d->cfg);
	d->cores_dir = cw_config_cores_dir(&d->cfg);
	_cleanup_free_ char *db_path = cw_config_db_path(&d->cfg);
	if (!d->spool_dir || !d->cores_dir || !db_path)
		return -ENOMEM;
	if ((r = make_dir(d->cfg.storage_dir, 0755)) < 0)
		return cw_log_errno(LOG_ERR, r, "storage directory %s", d->cfg.storage_dir);
	if ((r = make_dir(d->spool_dir, 0711)) < 0 || (r = open_dir(d->spool_dir, &d->spool_fd)) < 0)
		return cw_log_errno(LOG_ERR, r, "spool %s", d->spool_dir);
	if ((r = make_dir(d->cores_dir, 0711)) < 0 || (r = open_dir(d->cores_dir, &d->cores_fd)) < 0)
		return cw_log_errno(LOG_ERR, r, "cores directory %s", d->cores_dir);
	r = cw_db_open(db_path, CW_DB_READWRITE, &d->db);
	if (r < 0)
		return cw_log_errno(LOG_ERR, r, "opening the database %s", db_path);
	(void)chmod(db_path, 0600);
	load_sandbox(d);

	r = sd_event_default(&d->ev);
	if (r < 0)
		return cw_log_errno(LOG_ERR, r, "event loop");
	(void)sd_event_set_watchdog(d->ev, true); /* WATCHDOG=1 when WATCHDOG_USEC is set */
	if ((r = sd_event_add_signal(d->ev, NULL, SIGTERM, on_terminate, d)) < 0 ||
	    (r = sd_event_add_signal(d->ev, NULL, SIGINT, on_terminate, d)) < 0 ||
	    (r = sd_event_add_signal(d->ev, NULL, SIGHUP, on_reload, d)) < 0)
		return cw_log_errno(LOG_ERR, r, "signal handlers");

	int lfd = listen_fd_from_systemd();
	if (lfd < 0 && d->cfg.socket_path) {
		_cleanup_free_ char *dir = strdup(d->cfg.socket_path);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash && slash != dir) {
			*slash = '\0';
			(void)make_dir(dir, 0755);
		}
	}
	if (lfd >= 0 || d->cfg.socket_path) {
		r = cw_query_socket_start(d, lfd);
		if (r < 0)
			return cw_log_errno(LOG_ERR, r, "query socket %s", lfd >= 0 ? "from systemd" : d->cfg.socket_path);
	}
	if (cw_core_socket_supported()) {
		r = cw_core_socket_start(d);
		if (r < 0)
			cw_log_errno(LOG_WARNING, r, "core socket %s (the pipe handler still works)",
				     d->cfg.core_socket_path);
		else if (r > 0)
			cw_log_info("kernel @socket core dumps accepted on %s", d->cfg.core_socket_path);
	} else
		cw_log_debug("kernel older than 6.16: no @socket core dumps, the pipe handler collects");
	/* uploads: drains the outbox that ingest fills (daemon/upload_service.h) */
	r = cw_upload_service_start(d->ev, d->db, &d->cfg, &d->uploads);
	if (r < 0)
		return cw_log_errno(LOG_ERR, r, "uploads");
	r = cw_retention_start(d);
	if (r < 0)
		return cw_log_errno(LOG_ERR, r, "retention timer");
	r = cw_loop_report_start(d);
	if (r < 0)
		return cw_log_errno(LOG_ERR, r, "crash-loop timer");
	r = cw_spool_watch_start(d);
	if (r < 0)
		return cw_log_errno(LOG_ERR, r, "watching the spool %s", d->spool_dir);
	(void)cw_retention_run(d);
	if ((r = cw_retention_loops(d)) < 0)
		cw_log_errno(LOG_WARNING, r, "retention of crash loops");
	return 0;
}

static void teardown(struct cw_daemon *d)
{
	cw_ingest_abort(d);
	if (d->uploads)
		cw_upload_service_stop(d->uploads);
	cw_queue_clear(d);
	sd_event_source_disable_unref(d->inotify_src);
	sd_event_source_disable_unref(d->retention_timer);
	sd_event_source_disable_unref(d->loop_timer);
	sd_event_source_disable_unref(d->query_src);
	sd_event_source_disable_unref(d->core_src);
	if (d->core_fd >= 0)
		close(d->core_fd);
	if (d->query_fd >= 0)
		close(d->query_fd);
	if (d->spool_fd >= 0)
		close(d->spool_fd);
	if (d->cores_fd >= 0)
		close(d->cores_fd);
	sd_event_unref(d->ev);
	cw_db_close(d->db);
	free(d->spool_dir);
	free(d->cores_dir);
	cw_config_free(&d->cfg);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct cw_daemon d = { .spool_fd = -1, .cores_fd = -1, .query_fd = -1, .core_fd = -1 };
	int c;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': d.config_path = optarg; break;
		case 'h': usage(stdout); return CW_EXIT_OK;
		case 'V': printf("crashwatchd %s\n", PACKAGE_VERSION); return CW_EXIT_OK;
		default: usage(stderr); return CW_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return CW_EXIT_USAGE;
	}
	cw_log_setup("crashwatchd", journal_wanted() ? &cw_log_journal : NULL, LOG_INFO);
	char err[512];
	const char *path = cw_config_path(d.config_path);
	if (cw_config_load(path, d.config_path != NULL || getenv(CW_CONFIG_ENV), &d.cfg, err, sizeof(err)) < 0) {
		cw_log_error("%s", err);
		cw_config_free(&d.cfg);
		return CW_EXIT_CONFIG;
	}
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);

	int rc = CW_EXIT_FAILURE;
	if (setup(&d) == 0) {
		const char *const fields[] = { NULL };
		cw_log_struct(LOG_INFO, CW_MID_DAEMON_STARTED, fields, "started, storage %s", d.cfg.storage_dir);
		sd_notify(0, "READY=1");
		cw_daemon_update_status(&d);
		int r = sd_event_loop(d.ev);
		rc = r < 0 ? CW_EXIT_FAILURE : CW_EXIT_OK;
		if (r < 0)
			cw_log_errno(LOG_ERR, r, "event loop");
	} else
		sd_notifyf(0, "STATUS=Failed to start, see the log\nERRNO=%d", EIO);
	teardown(&d);
	return rc;
}
