/* Retention over stored cores: MaxAge=, MaxUse=, KeepFree=, oldest first.
 * The records stay, marked "core removed". And over crash loops: the
 * runs that ended and the collector's markers that expired. */
#include "config.h"
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "collector/limits.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "storage/crash_json.h"

#define AUTO_CAP (4ULL << 30)
#define RETENTION_INTERVAL_USEC (3600ULL * 1000000ULL)
#define LOOP_STALE_USEC (7LL * 24 * 3600 * 1000000) /* an unreported loop is forgotten after a week */

struct stored_core {
	int64_t id, time_usec, disk_size;
	char name[80];
};

struct core_list {
	struct stored_core *v;
	size_t n, cap;
	uint64_t total;
};

static int collect_core(const struct cw_crash_record *c, void *userdata)
{
	struct core_list *l = userdata;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		struct stored_core *nv = realloc(l->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	struct stored_core *s = &l->v[l->n++];
	const char *base = strrchr(c->core_path, '/');
	snprintf(s->name, sizeof(s->name), "%s", base ? base + 1 : c->core_path);
	s->id = c->id;
	s->time_usec = c->time_usec;
	s->disk_size = c->core_disk_size;
	l->total += (uint64_t)(c->core_disk_size > 0 ? c->core_disk_size : 0);
	return 0;
}

static uint64_t resolve_auto(uint64_t v, uint64_t fs_size, unsigned percent)
{
	if (v != UINT64_MAX)
		return v;
	uint64_t a = fs_size / 100 * percent;
	return a < AUTO_CAP ? a : AUTO_CAP;
}

int cw_retention_run(struct cw_daemon *d)
{
	struct core_list l = { 0 };
	int r = cw_crashes_foreach_stored_core(d->db, collect_core, &l);
	if (r < 0) {
		free(l.v);
		return r;
	}
	struct statvfs vfs;
	if (fstatvfs(d->cores_fd, &vfs) < 0) {
		free(l.v);
		return -errno;
	}
	uint64_t fs_size = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	uint64_t fs_free = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	uint64_t max_use = resolve_auto(d->cfg.max_use, fs_size, 10);
	uint64_t keep_free = resolve_auto(d->cfg.keep_free, fs_size, 15);
	int64_t now = (int64_t)time(NULL) * 1000000;
	int64_t max_age = d->cfg.max_age_sec && d->cfg.max_age_sec < INT64_MAX / 2000000 ?
			  (int64_t)d->cfg.max_age_sec * 1000000 : 0;
	uint64_t use = l.total;
	for (size_t i = 0; i < l.n; i++) {
		struct stored_core *s = &l.v[i];
		const char *why = max_age && s->time_usec < now - max_age ? "MaxAge" :
				  use > max_use ? "MaxUse" : fs_free < keep_free ? "KeepFree" : NULL;
		if (!why)
			continue;
		if (unlinkat(d->cores_fd, s->name, 0) < 0 && errno != ENOENT) {
			r = cw_log_errno(LOG_WARNING, errno, "retention: removing cores/%s", s->name);
			continue;
		}
		r = cw_crash_mark_core_removed(d->db, s->id);
		if (r < 0) {
			cw_log_errno(LOG_ERR, r, "retention: marking crash %lld", (long long)s->id);
			continue;
		}
		uint64_t sz = (uint64_t)(s->disk_size > 0 ? s->disk_size : 0);
		use -= sz < use ? sz : use;
		fs_free += sz;
		char f_id[64];
		snprintf(f_id, sizeof(f_id), "CRASHWATCH_ID=%lld", (long long)s->id);
		const char *const fields[] = { f_id, NULL };
		cw_log_struct(LOG_INFO, CW_MID_CORE_REMOVED, fields,
			      "retention (%s): removed the core of crash %lld, record kept", why, (long long)s->id);
	}
	free(l.v);
	return r;
}

int cw_retention_loops(struct cw_daemon *d)
{
	/* A run stays while it may continue and while listings show it (the
	 * day before the newest crash, CW_CRASH_LOOPS_SHOWN_USEC); its marker
	 * while the collector would believe it. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, newest = 0;
	int64_t interval = d->cfg.loop_interval_sec < INT32_MAX ? (int64_t)d->cfg.loop_interval_sec * 1000000 : INT64_MAX / 4;
	int r = cw_crashes_newest_usec(d->db, &newest);
	if (r < 0)
		return r;
	int64_t base = newest > 0 && newest < now ? newest : now;
	int rows = cw_loops_prune(d->db, base - CW_CRASH_LOOPS_SHOWN_USEC - interval, now - LOOP_STALE_USEC - interval);
	if (rows < 0)
		return rows;
	_cleanup_close_ int fd = open(d->cfg.storage_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int markers = fd < 0 ? -errno : cw_loop_markers_prune(fd, ts.tv_sec);
	if (markers < 0)
		return markers;
	if (rows || markers)
		cw_log_info("retention: forgot %d ended crash loop%s and %d expired loop marker%s", rows,
			    rows == 1 ? "" : "s", markers, markers == 1 ? "" : "s");
	return 0;
}

static int on_retention_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct cw_daemon *d = userdata;
	int r = cw_retention_run(d);
	if (r < 0)
		cw_log_errno(LOG_WARNING, r, "retention");
	r = cw_retention_loops(d);
	if (r < 0)
		cw_log_errno(LOG_WARNING, r, "retention");
	sd_event_source_set_time(s, usec + RETENTION_INTERVAL_USEC);
	sd_event_source_set_enabled(s, SD_EVENT_ON);
	return 0;
}

int cw_retention_start(struct cw_daemon *d)
{
	return sd_event_add_time_relative(d->ev, &d->retention_timer, CLOCK_MONOTONIC,
					  RETENTION_INTERVAL_USEC, 60ULL * 1000000, on_retention_timer, d);
}
