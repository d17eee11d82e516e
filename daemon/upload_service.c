/* sd-event glue for the uploader (see upload_service.h). */
#include "config.h"
#include "daemon/upload_service.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/cwconfig.h"
#include "common/log.h"
#include "daemon/upload.h"
#include "storage/outbox.h"
#include "storage/storage.h"

struct cw_upload_service {
	sd_event *ev;
	struct cw_db *db;
	struct cw_uploader *u;
	sd_event_source *io, *timer;
};

static void log_result(void *userdata, const struct cw_upload_result *r)
{
	char f_id[64], f_ep[200], f_del[80], f_att[64], f_st[64];
	snprintf(f_id, sizeof(f_id), "CRASHWATCH_ID=%s", r->crash_id);
	snprintf(f_ep, sizeof(f_ep), "CRASHWATCH_ENDPOINT=%s", r->endpoint);
	snprintf(f_del, sizeof(f_del), "CRASHWATCH_DELIVERY_ID=%s", r->delivery_id);
	snprintf(f_att, sizeof(f_att), "CRASHWATCH_ATTEMPT=%" PRId64, r->attempts);
	snprintf(f_st, sizeof(f_st), "CRASHWATCH_HTTP_STATUS=%d", r->http_status);
	const char *const fields[] = { f_id, f_ep, f_del, f_att, f_st, NULL };
	switch (r->state) {
	case CW_OUTBOX_DELIVERED:
		cw_log_struct(LOG_INFO, CW_MID_UPLOAD_DELIVERED, fields, "crash %s delivered to [%s] (attempt %" PRId64 ")",
			      r->crash_id, r->endpoint, r->attempts);
		break;
	case CW_OUTBOX_DEAD:
		cw_log_struct(LOG_ERR, CW_MID_UPLOAD_DEAD, fields,
			      "crash %s to [%s]: giving up after attempt %" PRId64 " (%s); see crashwatch uploads",
			      r->crash_id, r->endpoint, r->attempts, r->error ? r->error : "failed");
		break;
	default: {
		char when[32];
		time_t t = (time_t)r->next_attempt_at;
		struct tm tm;
		if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%H:%M:%S", &tm))
			snprintf(when, sizeof(when), "later");
		cw_log_struct(LOG_WARNING, CW_MID_UPLOAD_FAILED, fields,
			      "crash %s to [%s]: attempt %" PRId64 " failed (%s), retrying at %s",
			      r->crash_id, r->endpoint, r->attempts, r->error ? r->error : "failed", when);
	}
	}
}

static void rearm(struct cw_upload_service *s)
{
	if (!s->u || !s->timer)
		return;
	int ms = cw_uploader_timeout_ms(s->u);
	if (ms < 0) {
		(void)sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
		return;
	}
	uint64_t now = 0;
	(void)sd_event_now(s->ev, CLOCK_MONOTONIC, &now);
	(void)sd_event_source_set_time(s->timer, now + (uint64_t)ms * 1000);
	(void)sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
}

static void run(struct cw_upload_service *s)
{
	int r = cw_uploader_dispatch(s->u);
	if (r < 0)
		cw_log_errno(LOG_WARNING, r, "uploads: updating the outbox");
	rearm(s);
}

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	run(userdata);
	return 0;
}

static int on_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
	run(userdata);
	return 0;
}

static void detach(struct cw_upload_service *s)
{
	s->io = sd_event_source_disable_unref(s->io);
	s->timer = sd_event_source_disable_unref(s->timer);
	cw_uploader_free(s->u);
	s->u = NULL;
}

static int attach(struct cw_upload_service *s, const struct cw_config *cfg)
{
	char err[512];
	struct cw_uploader *u = NULL;
	int r = cw_uploader_new(cfg, s->db, log_result, s, &u, err, sizeof(err));
	if (r < 0) {
		cw_log_errno(LOG_ERR, r, "uploads: %s", err[0] ? err : "starting");
		return r;
	}
	detach(s); /* its abandoned transfers are pending again */
	/* then a removed [Upload] section's rows, which would wait forever */
	_Static_assert(CW_MAX_UPLOADS <= CW_OUTBOX_ENDPOINTS_MAX, "every endpoint fits the query");
	const char *names[CW_MAX_UPLOADS];
	size_t n = 0;
	for (unsigned i = 0; i < cfg->n_uploads && n < CW_MAX_UPLOADS; i++)
		names[n++] = cfg->uploads[i].name;
	int buried = 0;
	if ((r = cw_outbox_bury_unconfigured(s->db, names, n, &buried)) < 0)
		cw_log_errno(LOG_WARNING, r, "uploads: outbox rows of removed endpoints");
	else if (buried > 0)
		cw_log_warning("uploads: %d deliver%s to endpoints no longer configured became dead letters "
			       "(crashwatch uploads retry ID revives one)", buried, buried == 1 ? "y" : "ies");
	s->u = u;
	if ((r = sd_event_add_io(s->ev, &s->io, cw_uploader_fd(u), EPOLLIN, on_io, s)) < 0 ||
	    (r = sd_event_add_time(s->ev, &s->timer, CLOCK_MONOTONIC, 0, 0, on_timer, s)) < 0) {
		detach(s);
		return cw_log_errno(LOG_ERR, r, "uploads: event sources");
	}
	rearm(s);
	return 0;
}

int cw_upload_service_start(sd_event *ev, struct cw_db *db, const struct cw_config *cfg,
			    struct cw_upload_service **out)
{
	struct cw_upload_service *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ev = sd_event_ref(ev);
	s->db = db;
	int r = attach(s, cfg);
	if (r < 0) {
		cw_upload_service_stop(s);
		return r;
	}
	*out = s;
	return 0;
}

int cw_upload_service_reload(struct cw_upload_service *s, const struct cw_config *cfg)
{
	return s ? attach(s, cfg) : 0;
}

void cw_upload_service_kick(struct cw_upload_service *s)
{
	if (s && s->u)
		run(s);
}

void cw_upload_service_stop(struct cw_upload_service *s)
{
	if (!s)
		return;
	detach(s);
	sd_event_unref(s->ev);
	free(s);
}
