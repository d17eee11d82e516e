/* Queueing a stored crash for every [Upload] endpoint that wants it. */
#include "config.h"
#include "daemon/upload.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/json_util.h"
#include "common/cwconfig.h"
#include "common/signal_name.h"
#include "daemon/payload.h"
#include "storage/outbox.h"
#include "storage/storage.h"

int cw_upload_enqueue(struct cw_db *db, const struct cw_config *cfg,
		      const struct cw_crash_report *c, int64_t now)
{
	for (unsigned i = 0; i < cfg->n_uploads; i++) {
		const struct cw_upload_config *u = &cfg->uploads[i];
		if (!cw_payload_wanted(c, u))
			continue;
		struct json_object *data = NULL;
		int r = cw_payload_data_new(c, u, &data);
		if (r < 0)
			return r;
		const char *text = json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		r = text ? cw_outbox_insert(db, c->crash_id, u->name, cw_upload_format_name(u->format),
					    text, now, NULL)
			 : -ENOMEM;
		json_object_put(data);
		if (r < 0)
			return r;
	}
	return 0;
}


/* What the record alone says, for a crash whose analysis failed. */
static struct json_object *analysis_from_record(const struct cw_crash_record *c)
{
	struct json_object *a = json_object_new_object();
	struct json_object *exe = json_object_new_object();
	struct json_object *sig = json_object_new_object();
	if (!a || !exe || !sig) {
		json_object_put(a);
		json_object_put(exe);
		json_object_put(sig);
		return NULL;
	}
	json_object_object_add(exe, "path", c->exe ? json_object_new_string(c->exe) : NULL);
	json_object_object_add(exe, "build_id", c->build_id ? json_object_new_string(c->build_id) : NULL);
	json_object_object_add(a, "executable", exe);
	char buf[CW_SIGNAL_NAME_MAX];
	const char *name = cw_signal_name(c->signal, buf, sizeof(buf));
	json_object_object_add(sig, "number", json_object_new_int(c->signal));
	json_object_object_add(sig, "name", name ? json_object_new_string(name) : NULL);
	json_object_object_add(a, "signal", sig);
	json_object_object_add(a, "go", NULL);
	if (c->fingerprint)
		json_object_object_add(a, "fingerprint", json_object_new_string(c->fingerprint));
	return a;
}

int cw_upload_crash_hook(struct cw_db *db, const struct cw_crash_record *c, int64_t id, void *userdata)
{
	const struct cw_config *cfg = userdata;
	if (!cfg || cfg->n_uploads == 0)
		return 0;
	_cleanup_json_ struct json_object *analysis =
		c->analysis_json ? json_tokener_parse(c->analysis_json) : NULL;
	if (!analysis && !(analysis = analysis_from_record(c)))
		return -ENOMEM;
	char crash_id[32];
	snprintf(crash_id, sizeof(crash_id), "%" PRId64, id);
	int64_t count = 1, first_usec = c->time_usec;
	if (c->fingerprint) {
		int r = cw_group_seen(db, c->fingerprint, &count, &first_usec);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	/* the crash's run (counted just before, ingest.c): a repeat within LoopBurst= */
	struct cw_crash_loop run;
	struct cw_payload_loop run_figures = { 0 };
	if (c->fingerprint && cfg->loop_burst > 0 && cfg->loop_interval_sec > 0 &&
	    cw_loop_get_run(db, c->fingerprint, c->uid, &run) == 0 && run.count > 1 &&
	    run.first_usec <= c->time_usec && c->time_usec <= run.last_usec)
		run_figures = (struct cw_payload_loop){
			.count = run.count, .cores_stored = run.cores, .cores_dropped = run.dropped,
			.first_seen = run.first_usec / 1000000, .last_seen = run.last_usec / 1000000,
		};
	const struct cw_crash_report report = {
		.crash_id = crash_id,
		.timestamp = c->time_usec / 1000000,
		.hostname = c->host,
		.pid = c->pid,
		.uid = c->uid,
		.cmdline = c->cmdline,
		.environment = c->environment,
		.fingerprint_count = count,
		.first_seen = first_usec / 1000000,
		.analysis = analysis,
		.container = &c->ctr,
		.run = run_figures.count ? &run_figures : NULL,
	};
	return cw_upload_enqueue(db, cfg, &report, (int64_t)time(NULL));
}
