/* A container crash's kept shared libraries in the history (migration 8):
 * the table crash_libraries (crash id, order, path in the container,
 * build id, copy) and crashes.libraries_truncated; their JSON, the
 * "libraries" array and "libraries_truncated" of `info --json` and of the
 * query socket's crashes (the spool record's keys, docs/spool.md). */
#ifndef CW_STORAGE_CRASH_LIBRARIES_H
#define CW_STORAGE_CRASH_LIBRARIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

struct json_object;

/* An owned list: every string and the array are the list's. */
struct cw_crash_libraries {
	struct cw_crash_library *v;
	size_t n;
	bool truncated;
};
void cw_crash_libraries_clear(struct cw_crash_libraries *l);

/* The kept libraries of crash id, in the order they were stored (none,
 * not an error, for a crash without). 0 or a negative errno. */
int cw_crash_libraries_list(struct cw_db *db, int64_t crash_id, struct cw_crash_libraries *out);

/* Internal to storage/ (inside the insert transaction): stores
 * c->libraries (each needs a path: -EINVAL otherwise) and
 * c->libraries_truncated for crash id. */
int cw_crash_libraries_store(struct cw_db *db, int64_t id, const struct cw_crash_record *c);

/* Adds "libraries" ([{"path","build_id","copy"}]) and
 * "libraries_truncated" to o when c has kept libraries or some were left
 * out; adds nothing otherwise. 0 or -ENOMEM. */
int cw_crash_libraries_to_json(struct json_object *o, const struct cw_crash_record *c);
/* Reads them back (copies: out owns them); entries without a string
 * path are skipped. Nothing there is an empty list. 0 or -ENOMEM. */
int cw_crash_libraries_from_json(struct json_object *o, struct cw_crash_libraries *out);

#endif
