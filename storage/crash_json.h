/* A crash record as a JSON object: what `list --json` and `info --json`
 * print and what the daemon's query socket sends. */
#ifndef CW_STORAGE_CRASH_JSON_H
#define CW_STORAGE_CRASH_JSON_H

#include "storage/storage.h"

struct json_object;

/* New object with every field of c; with_analysis adds "analysis" (parsed
 * from c->analysis_json, null when absent). NULL on out of memory. */
struct json_object *cw_crash_to_json(const struct cw_crash_record *c, bool with_analysis);
/* Fills c from obj (strings borrowed from obj); -EINVAL on a malformed
 * object. The kept libraries are left out (they need an array of their
 * own: cw_crash_libraries_from_json, storage/crash_libraries.h). */
int cw_crash_from_json(struct json_object *obj, struct cw_crash_record *c);

struct json_object *cw_group_to_json(const struct cw_group *g);
int cw_group_from_json(struct json_object *obj, struct cw_group *g);

/* The crash loops seen since since_usec as a JSON array (status's
 * "crash_loops"): fingerprint, exe, build_id, count, cores_stored,
 * cores_dropped, first_usec, last_usec, example_id, last_id, reported. */
int cw_crash_loops_json(struct cw_db *db, bool restrict_uid, int64_t uid, int64_t since_usec,
			struct json_object **out);
#define CW_CRASH_LOOPS_SHOWN_USEC (24LL * 3600 * 1000000) /* status shows a day of loops */
/* The loops status, list and groups show: those of the day before the
 * newest crash the reader sees (cw_crashes_newest_seen_usec), restricted
 * as cw_loops_foreach is (the query protocol's "loops" verb). */
int cw_crash_loops_shown_json(struct cw_db *db, bool restrict_uid, int64_t uid, struct json_object **out);

#endif
