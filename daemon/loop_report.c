/* One report per crash loop (docs/crash-loops.md): the repeats of a loop
 * queue no reports of their own (ingest.c); once a loop has been quiet for
 * LoopIntervalSec=, its report — the example crash with the loop's count,
 * span and cores kept — is queued for every [Upload] endpoint, in one
 * transaction with marking the loop reported. */
#include "config.h"
#include "daemon/daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "daemon/payload.h"
#include "daemon/upload.h"
#include "daemon/upload_service.h"

#define MAX_PER_RUN 64

struct ended {
	char fingerprint[128];
	int64_t uid;
	int64_t crash_id;
	struct cw_payload_loop loop;
};

struct ended_list {
	struct ended items[MAX_PER_RUN];
	size_t n;
	int64_t before_usec;
};

static int collect_ended(const struct cw_crash_loop *l, void *userdata)
{
	struct ended_list *x = userdata;
	if (l->last_usec >= x->before_usec || !l->fingerprint || strlen(l->fingerprint) >= sizeof(x->items[0].fingerprint))
		return 0;
	if (x->n == MAX_PER_RUN)
		return 1; /* the rest next time */
	struct ended *e = &x->items[x->n++];
	snprintf(e->fingerprint, sizeof(e->fingerprint), "%s", l->fingerprint);
	e->uid = l->uid;
	e->crash_id = l->example_id ? l->example_id : l->last_id;
	e->loop = (struct cw_payload_loop){
		.count = l->count, .cores_stored = l->cores, .cores_dropped = l->dropped,
		.first_seen = l->first_usec / 1000000, .last_seen = l->last_usec / 1000000,
	};
	return 0;
}

struct enqueue_ctx {
	struct cw_daemon *d;
	const struct ended *e;
	bool done;
	int r;
};

static int enqueue_one(const struct cw_crash_record *c, void *userdata)
{
	struct enqueue_ctx *x = userdata;
	const struct cw_config *cfg = &x->d->cfg;
	struct json_object *analysis = c->analysis_json ? json_tokener_parse(c->analysis_json) : NULL;
	if (!analysis)
		return 1; /* no analysis kept: nothing to say beyond the crash's own report */
	char crash_id[32];
	snprintf(crash_id, sizeof(crash_id), "%" PRId64, c->id);
	const struct cw_crash_report report = {
		.crash_id = crash_id,
		.timestamp = x->e->loop.last_seen,
		.hostname = c->host,
		.pid = c->pid,
		.uid = c->uid,
		.cmdline = c->cmdline,
		.fingerprint_count = 0,
		.first_seen = x->e->loop.first_seen,
		.analysis = analysis,
		.loop = &x->e->loop,
	};
	x->r = cw_upload_enqueue(x->d->db, cfg, &report, (int64_t)time(NULL));
	x->done = true;
	json_object_put(analysis);
	return 1;
}

static int report_one(struct cw_daemon *d, const struct ended *e)
{
	struct cw_crash_filter f = { .id = e->crash_id, .with_analysis = true };
	struct enqueue_ctx x = { .d = d, .e = e };
	int r = cw_db_begin(d->db);
	if (r < 0)
		return r;
	if (d->cfg.n_uploads > 0 && e->crash_id > 0) {
		r = cw_crashes_foreach(d->db, &f, enqueue_one, &x);
		if (r < 0 || (x.done && x.r < 0)) {
			cw_db_rollback(d->db);
			return r < 0 ? r : x.r;
		}
	}
	r = cw_loop_mark_reported(d->db, e->fingerprint, e->uid);
	if (r == 0)
		r = cw_db_commit(d->db);
	if (r < 0) {
		cw_db_rollback(d->db);
		return r;
	}
	cw_log_full(LOG_NOTICE, 0, "crash loop %.16s ended: %" PRId64 " crashes in %" PRId64 " s, %" PRId64 " cores kept, %" PRId64
		      " dropped%s", e->fingerprint, e->loop.count, e->loop.last_seen - e->loop.first_seen,
		      e->loop.cores_stored, e->loop.cores_dropped, x.done ? ", report queued" : "");
	return x.done ? 1 : 0;
}

int cw_loop_report_run(struct cw_daemon *d)
{
	uint64_t interval = d->cfg.loop_interval_sec * 1000000ULL;
	struct timespec ts;
	if (d->cfg.loop_burst == 0 || interval == 0)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	_cleanup_free_ struct ended_list *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->before_usec = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - (int64_t)interval;
	int r = cw_loops_foreach(d->db, false, 0, 0, true, collect_ended, x);
	if (r < 0)
		return r;
	bool queued = false;
	for (size_t i = 0; i < x->n; i++) {
		r = report_one(d, &x->items[i]);
		if (r < 0)
			cw_log_errno(LOG_WARNING, r, "crash loop %.16s: queueing its report", x->items[i].fingerprint);
		queued |= r > 0;
	}
	if (queued && d->uploads)
		cw_upload_service_kick(d->uploads);
	return 0;
}

/* Every quarter of the interval, between 1 s and 1 min. */
static uint64_t period_usec(const struct cw_daemon *d)
{
	uint64_t p = d->cfg.loop_interval_sec * 1000000ULL / 4;
	return p < 1000000ULL ? 1000000ULL : p > 60000000ULL ? 60000000ULL : p;
}

static int on_loop_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct cw_daemon *d = userdata;
	int r = cw_loop_report_run(d);
	if (r < 0)
		cw_log_errno(LOG_WARNING, r, "crash loops");
	sd_event_source_set_time(s, usec + period_usec(d));
	sd_event_source_set_enabled(s, SD_EVENT_ON);
	return 0;
}

int cw_loop_report_start(struct cw_daemon *d)
{
	return sd_event_add_time_relative(d->ev, &d->loop_timer, CLOCK_MONOTONIC, period_usec(d), 100000,
					  on_loop_timer, d);
}
