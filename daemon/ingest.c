/* One spool entry's way into the history:
 *   read ID.meta -> (already stored? drop the spool files) -> move the
 *   core to cores/ -> analyse in the child -> insert (one transaction)
 *   -> unlink ID.meta.
 * Every step is idempotent and ID.meta goes last, so a daemon killed at
 * any point redoes the entry on restart and the spool_id's UNIQUE
 * constraint keeps it stored once. */
#include "config.h"
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "collector/limits.h"
#include "common/log.h"
#include "daemon/analysis_summary.h"
#include "daemon/spool_record.h"
#include "daemon/upload.h"
#include "daemon/upload_service.h"
#include "storage/crash_container.h"

struct cw_ingest {
	struct cw_daemon *d;
	struct cw_spool_record rec;
	char name_meta[80], name_core[80];
	char *core_path;        /* absolute path in cores/, NULL: no core */
	char *exe_path;
	struct cw_analysis_job *job;
};

static void ingest_free(struct cw_ingest *in)
{
	if (!in)
		return;
	cw_analysis_job_free(in->job);
	cw_spool_record_clear(&in->rec);
	free(in->core_path);
	free(in->exe_path);
	free(in);
}

static int read_meta(int dirfd, const char *name, char **out, size_t *len)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > CW_SPOOL_RECORD_MAX)
		return -EBADMSG;
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	size_t n = 0;
	while (n < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* Moves spool/ID.core.zst to cores/ (idempotent), owned by the crashing
 * uid. The analysis gets it as a descriptor the daemon opens: the analysis
 * user has no access to stored cores (docs/security.md). */
static int take_core(struct cw_ingest *in)
{
	struct cw_daemon *d = in->d;
	if (renameat(d->spool_fd, in->name_core, d->cores_fd, in->name_core) < 0) {
		if (errno != ENOENT)
			return -errno;
		if (faccessat(d->cores_fd, in->name_core, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			return -ENOENT; /* neither in the spool nor taken before */
	}
	_cleanup_close_ int fd = openat(d->cores_fd, in->name_core, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADMSG;
	if (geteuid() == 0) {
		if (fchown(fd, (uid_t)in->rec.uid, 0) < 0 || fchmod(fd, 0400) < 0)
			return -errno;
	}
	in->rec.core_compressed_size = st.st_size;
	if (asprintf(&in->core_path, "%s/%s", d->cores_dir, in->name_core) < 0)
		return -ENOMEM;
	return 0;
}

static char *pick_executable(struct cw_daemon *d, const struct cw_spool_record *rec)
{
	char *p = NULL;
	const char *copy = rec->executable_copy;
	if (copy && copy[0] != '/' && !strstr(copy, "..") &&
	    asprintf(&p, "%s/%s", d->cfg.storage_dir, copy) >= 0) {
		if (access(p, R_OK) == 0)
			return p;
		free(p);
		p = NULL;
	}
	/* a container's exe is its path inside the container: on the host
	 * only the path the collector proved to be the same file is */
	const char *on_host = rec->container_info[CW_CRASH_CONTAINER_EXE_ON_HOST];
	if (on_host || rec->container_info[CW_CRASH_CONTAINER_EXE_IN_CONTAINER])
		return on_host ? strdup(on_host) : NULL;
	return rec->exe ? strdup(rec->exe) : NULL;
}

/* What the insert transaction does besides the crash: count it in its
 * crash loop (storage/loops.c) and queue its reports unless it is a repeat
 * in a loop (a loop is reported once, by daemon/loop_report.c). */
struct insert_ctx {
	struct cw_daemon *d;
	bool core_kept;
	bool repeat;
};

static int insert_hook(struct cw_db *db, const struct cw_crash_record *c, int64_t id, void *userdata)
{
	struct insert_ctx *x = userdata;
	const struct cw_config *cfg = &x->d->cfg;
	uint64_t interval = cfg->loop_interval_sec * 1000000ULL;
	if (cfg->loop_burst > 0 && interval > 0) {
		int r;
		if (c->fingerprint) {
			const struct cw_loop_crash lc = {
				.fingerprint = c->fingerprint, .build_id = c->build_id, .exe = c->exe, .uid = c->uid,
				.time_usec = c->time_usec, .crash_id = id, .core_kept = x->core_kept,
			};
			r = cw_loop_count(db, &lc, interval);
			if (r < 0)
				return r;
			if (x->repeat)
				return 0;
		} else {
			r = cw_loop_count_unanalysed(db, c->build_id, c->uid, c->time_usec, interval, id);
			if (r == 0) {
				x->repeat = true;
				return 0;
			}
			if (r != -ENOENT && r != -EEXIST)
				return r;
		}
	}
	return cw_upload_crash_hook(db, c, id, (void *)cfg);
}

/* A repeat in a crash loop: its core goes, its record (and analysis) stays. */
static void drop_repeat_core(struct cw_ingest *in)
{
	if (unlinkat(in->d->cores_fd, in->name_core, 0) < 0 && errno != ENOENT)
		cw_log_errno(LOG_WARNING, errno, "removing cores/%s of a crash-loop repeat", in->name_core);
	free(in->core_path);
	in->core_path = NULL;
}

/* Tells the collector (collector/limits.h) that this executable loops, so
 * that in pipe mode the next repeats' cores are not even written. */
static void mark_loop(struct cw_daemon *d, const struct cw_spool_record *rec)
{
	if (!rec->exe || !rec->build_id)
		return;
	_cleanup_close_ int fd = open(d->cfg.storage_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int64_t until = rec->time_usec / 1000000 + (int64_t)d->cfg.loop_interval_sec;
	int r = fd < 0 ? -errno : cw_loop_marker_set(fd, rec->exe, rec->uid, rec->build_id, until);
	if (r < 0)
		cw_log_errno(LOG_WARNING, r, "marking the crash loop of %s for the collector", rec->exe);
}

static void finish(struct cw_ingest *in, bool ok, const char *json, const char *error)
{
	struct cw_daemon *d = in->d;
	struct cw_spool_record *rec = &in->rec;
	struct json_object *a = ok ? json_tokener_parse(json) : NULL;
	struct cw_analysis_summary sum = { 0 };
	if (ok && (!a || cw_analysis_summary_get(a, &sum) < 0)) {
		ok = false;
		error = "analysis output is not valid JSON";
	}
	struct insert_ctx ictx = { .d = d };
	if (in->core_path && sum.fingerprint && d->cfg.loop_burst > 0) {
		int lr = cw_loop_is_repeat(d->db, sum.fingerprint, rec->uid, rec->time_usec,
					   d->cfg.loop_interval_sec * 1000000ULL, (int64_t)d->cfg.loop_burst);
		if (lr > 0) {
			ictx.repeat = true;
			drop_repeat_core(in);
		}
	}
	ictx.core_kept = in->core_path != NULL;
	enum cw_core_state cs = !in->core_path ? CW_CORE_METADATA_ONLY :
				rec->core_truncated ? CW_CORE_TRUNCATED : CW_CORE_STORED;
	struct cw_crash_record c = {
		.spool_id = rec->id, .time_usec = rec->time_usec, .host = rec->host,
		.boot_id = rec->boot_id, .pid = rec->pid, .tid = rec->tid, .uid = rec->uid,
		.gid = rec->gid, .signal = rec->signal ? rec->signal : sum.signal, .restricted = rec->restricted,
		.exe = rec->exe, .build_id = rec->build_id ? rec->build_id : sum.build_id,
		.comm = rec->comm, .cmdline = rec->cmdline, .unit = rec->unit,
		.environment = (const char *const *)rec->environment,
		.container = rec->container, .go_version = sum.go_version, .go_module = sum.go_module,
		.message = sum.message, .crashed_goroutine = sum.crashed_goroutine,
		.goroutine_count = sum.goroutine_count, .fault_location = sum.fault_location,
		.fingerprint = sum.fingerprint, .core_state = cs, .core_size = rec->core_size,
		.core_disk_size = in->core_path ? rec->core_compressed_size : 0,
		.core_path = in->core_path, .exe_copy = NULL,
		.analysis_status = ok ? CW_ANALYSIS_OK : CW_ANALYSIS_FAILED,
		.analysis_error = ok ? NULL : error, .analysis_json = ok ? json : NULL,
	};
	for (size_t i = 0; i < CW_CRASH_CONTAINER_NFIELDS; i++)
		*cw_crash_container_at(&c.ctr, i) = rec->container_info[i];
	_cleanup_free_ char *exe_copy = NULL;
	if (rec->executable_copy && !strstr(rec->executable_copy, "..") &&
	    asprintf(&exe_copy, "%s/%s", d->cfg.storage_dir, rec->executable_copy) >= 0)
		c.exe_copy = exe_copy;
	/* the kept libraries that name their path, for info and debug */
	struct cw_crash_library libs[CW_SPOOL_LIBRARIES_MAX];
	char *lib_copies[CW_SPOOL_LIBRARIES_MAX];
	size_t nlibs = 0;
	for (size_t i = 0; i < rec->n_libraries; i++) {
		if (!rec->library_paths[i] ||
		    asprintf(&lib_copies[nlibs], "%s/%s", d->cfg.storage_dir, rec->library_copies[i]) < 0)
			continue;
		libs[nlibs] = (struct cw_crash_library){ .path = rec->library_paths[i],
							 .build_id = rec->library_build_ids[i],
							 .copy = lib_copies[nlibs] };
		nlibs++;
	}
	c.libraries = libs;
	c.n_libraries = nlibs;
	c.libraries_truncated = rec->libraries_truncated;
	int64_t id = 0;
	/* the outbox rows for every upload endpoint go in the same transaction */
	int r = cw_crash_insert_hooked(d->db, &c, insert_hook, &ictx, &id);
	for (size_t i = 0; i < nlibs; i++)
		free(lib_copies[i]);
	if (r == 0 && ictx.repeat)
		mark_loop(d, rec);
	if (r == 0 || r == -EEXIST) {
		if (unlinkat(d->spool_fd, in->name_meta, 0) < 0 && errno != ENOENT)
			cw_log_errno(LOG_WARNING, errno, "removing spool/%s", in->name_meta);
		if (r == 0) {
			d->ingested++;
			if (d->uploads)
				cw_upload_service_kick(d->uploads);
			char f_exe[4200], f_pid[64], f_sig[64], f_fp[128], f_id[64], f_uid[64];
			snprintf(f_exe, sizeof(f_exe), "CRASHWATCH_EXE=%s", rec->exe ? rec->exe : "");
			snprintf(f_pid, sizeof(f_pid), "CRASHWATCH_PID=%lld", (long long)rec->pid);
			snprintf(f_uid, sizeof(f_uid), "CRASHWATCH_UID=%lld", (long long)rec->uid);
			snprintf(f_sig, sizeof(f_sig), "CRASHWATCH_SIGNAL=%d", rec->signal);
			snprintf(f_fp, sizeof(f_fp), "CRASHWATCH_FINGERPRINT=%s", sum.fingerprint ? sum.fingerprint : "");
			snprintf(f_id, sizeof(f_id), "CRASHWATCH_ID=%lld", (long long)id);
			const char *const fields[] = { f_exe, f_pid, f_uid, f_sig, f_fp, f_id, NULL };
			if (ok)
				cw_log_struct(LOG_NOTICE, CW_MID_CRASH_STORED, fields,
					      "crash %lld: %s (pid %lld, signal %d): %s", (long long)id,
					      rec->comm ? rec->comm : "?", (long long)rec->pid, rec->signal,
					      sum.message ? sum.message : "no message");
			else {
				d->failed++;
				cw_log_struct(LOG_WARNING, CW_MID_ANALYSIS_FAILED, fields,
					      "crash %lld: %s (pid %lld, signal %d) stored, analysis failed: %s",
					      (long long)id, rec->comm ? rec->comm : "?", (long long)rec->pid,
					      rec->signal, error ? error : "unknown");
			}
		}
	} else
		cw_log_errno(LOG_ERR, r, "storing crash %s: %s", rec->id, cw_db_errmsg(d->db));
	cw_analysis_summary_clear(&sum);
	json_object_put(a);
	(void)cw_retention_run(d);
}

static void complete(struct cw_ingest *in, bool ok, const char *json, const char *error)
{
	struct cw_daemon *d = in->d;
	finish(in, ok, json, error);
	d->current = NULL;
	ingest_free(in);
}

static void on_analysis_done(void *userdata, bool ok, const char *json, const char *error)
{
	struct cw_ingest *in = userdata;
	struct cw_daemon *d = in->d;
	complete(in, ok, json, error);
	cw_queue_kick(d);
}

int cw_ingest_start(struct cw_daemon *d, const char *id)
{
	struct cw_ingest *in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->d = d;
	snprintf(in->name_meta, sizeof(in->name_meta), "%s.meta", id);
	snprintf(in->name_core, sizeof(in->name_core), "%s.core.zst", id);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_meta(d->spool_fd, in->name_meta, &buf, &len);
	if (r == 0)
		r = cw_spool_record_parse(buf, len, &in->rec);
	if (r == 0 && strcmp(in->rec.id, id) != 0)
		r = -EBADMSG;
	if (r == -ENOENT) {
		ingest_free(in);
		return 0; /* gone meanwhile (handled by an earlier pass) */
	}
	if (r < 0) {
		char bad[96];
		snprintf(bad, sizeof(bad), "%s.bad", id);
		cw_log_errno(LOG_ERR, r, "spool/%s is not a valid record, kept as spool/%s", in->name_meta, bad);
		(void)renameat(d->spool_fd, in->name_meta, d->spool_fd, bad);
		ingest_free(in);
		return 0;
	}
	r = cw_crash_exists(d->db, id, NULL);
	if (r != 0) {
		if (r > 0) {
			/* stored before a restart: finish the clean-up only */
			(void)unlinkat(d->spool_fd, in->name_core, 0);
			(void)unlinkat(d->spool_fd, in->name_meta, 0);
			r = 0;
		}
		ingest_free(in);
		return r;
	}
	const char *why = NULL;
	char reason[256];
	if (in->rec.core_stored) {
		r = take_core(in);
		if (r < 0) {
			snprintf(reason, sizeof(reason), "core file unusable: %s", strerror(-r));
			why = reason;
			free(in->core_path);
			in->core_path = NULL;
		}
	} else {
		snprintf(reason, sizeof(reason), "no core stored (%s)",
			 in->rec.dropped_reason ? in->rec.dropped_reason : "unknown reason");
		why = reason;
	}
	if (why) {
		complete(in, false, NULL, why);
		return 0;
	}
	in->exe_path = pick_executable(d, &in->rec);
	d->current = in;
	/* this crash's kept libraries only (the record names them; the child
	 * opens these files, the analyzer never sees executables/ itself) */
	char *libs[CW_SPOOL_LIBRARIES_MAX];
	size_t nlibs = 0;
	for (size_t i = 0; i < in->rec.n_libraries; i++)
		if (asprintf(&libs[nlibs], "%s/%s", d->cfg.storage_dir, in->rec.library_copies[i]) >= 0)
			nlibs++;
	r = cw_analysis_job_start_libs(d->ev, &d->sandbox, in->exe_path, in->core_path, (const char *const *)libs,
				       nlibs, on_analysis_done, in, &in->job);
	for (size_t i = 0; i < nlibs; i++)
		free(libs[i]);
	if (r < 0) {
		snprintf(reason, sizeof(reason), "cannot start the analysis: %s", strerror(-r));
		complete(in, false, NULL, reason);
	}
	return 0;
}

void cw_ingest_abort(struct cw_daemon *d)
{
	/* the spool entry stays: the next start picks it up again */
	ingest_free(d->current);
	d->current = NULL;
}
