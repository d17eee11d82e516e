/* The upload payload's data object: what leaves the host about one crash,
 * built from the stored analysis when the crash is queued (docs/webhooks.md).
 * Every format (json, slack, discord, sentry) renders from it. Privacy: no
 * core contents; the command line and environment only when the endpoint's
 * IncludeCmdline= / IncludeEnvironment= say so. All strings are bounded. */
#ifndef CW_DAEMON_PAYLOAD_H
#define CW_DAEMON_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

struct json_object;
struct cw_upload_config;

#define CW_PAYLOAD_TOP_FRAMES 20      /* frames of the crashing goroutine/thread */
#define CW_PAYLOAD_MAX_STACKS 200     /* goroutines/threads sent to Sentry */
#define CW_PAYLOAD_STACK_FRAMES 50    /* frames per stack sent to Sentry */
#define CW_PAYLOAD_MAX_STRING 2048    /* bytes of any one string */
#define CW_PAYLOAD_MAX_PANICS 8

/* A crash loop's figures (storage/loops.c), for its one report. */
struct cw_payload_loop {
	int64_t count;          /* crashes in the loop, stored or not */
	int64_t cores_stored, cores_dropped;
	int64_t first_seen, last_seen; /* unix seconds */
};

/* What the daemon knows about one stored crash. */
struct cw_crash_report {
	const char *crash_id;
	int64_t timestamp;              /* crash time, unix seconds */
	const char *hostname;           /* NULL: this host's name */
	int64_t pid;                    /* 0: unknown */
	int64_t uid;                    /* -1: unknown */
	const char *cmdline;            /* sent only with IncludeCmdline=yes */
	const char *const *environment; /* "KEY=value", NULL-terminated; only with IncludeEnvironment=yes */
	int64_t fingerprint_count;      /* crashes with this fingerprint, this one included */
	int64_t first_seen;             /* unix seconds of the first of them */
	struct json_object *analysis;   /* crashwatch.analysis.v1 (borrowed) */
	const struct cw_crash_container *container; /* NULL, or the crash's container and pod */
	const struct cw_payload_loop *loop; /* non-NULL: this is the report of a crash loop */
	const struct cw_payload_loop *run;  /* non-NULL: the crash repeats its fingerprint within
					     * LoopIntervalSec= (the run so far, this crash included) */
};

/* Builds the data object for endpoint u (stacks of every goroutine are
 * added for Format=sentry only). */
int cw_payload_data_new(const struct cw_crash_report *c, const struct cw_upload_config *u,
			struct json_object **out);

/* Whether endpoint u wants this crash (Events=new-fingerprint). */
bool cw_payload_wanted(const struct cw_crash_report *c, const struct cw_upload_config *u);

/* A JSON string of at most max bytes of s: malformed UTF-8 (Go strings are
 * bytes) replaced by U+FFFD, cut on a character boundary with "…" appended
 * when too long. NULL s gives JSON null. */
struct json_object *cw_json_string_bounded(const char *s, size_t max);

/* Small accessors over the data object (NULL/0 when absent). */
const char *cw_data_string(struct json_object *o, const char *key);
int64_t cw_data_int(struct json_object *o, const char *key);

/* "2026-11-25T01:02:03Z" */
void cw_format_rfc3339(int64_t t, char out[32]);

#endif
