/* Fingerprint groups: count, first and last seen, an example crash. */
#include "config.h"
#include "storage/storage.h"

#include <errno.h>
#include <sqlite3.h>

#include "common/cleanup.h"

static inline void finalizep(sqlite3_stmt **st)
{
	if (*st)
		sqlite3_finalize(*st);
}
#define _cleanup_stmt_ CW_CLEANUP(finalizep)

int cw_group_add(struct cw_db *db, const char *fingerprint, int64_t crash_id, int64_t time_usec,
		 bool *is_new)
{
	sqlite3 *h = cw_db_handle(db);
	_cleanup_stmt_ sqlite3_stmt *up = NULL;
	if (sqlite3_prepare_v2(h, "UPDATE groups SET count = count + 1,"
			       " first_usec = min(first_usec, ?2), last_usec = max(last_usec, ?2)"
			       " WHERE fingerprint = ?1", -1, &up, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(up, 1, fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(up, 2, time_usec);
	if (sqlite3_step(up) != SQLITE_DONE)
		return -EIO;
	*is_new = sqlite3_changes(h) == 0;
	if (!*is_new)
		return 0;
	_cleanup_stmt_ sqlite3_stmt *ins = NULL;
	if (sqlite3_prepare_v2(h, "INSERT INTO groups (fingerprint, count, first_usec, last_usec, example_id)"
			       " VALUES (?, 1, ?, ?, ?)", -1, &ins, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(ins, 1, fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 2, time_usec);
	sqlite3_bind_int64(ins, 3, time_usec);
	sqlite3_bind_int64(ins, 4, crash_id);
	return sqlite3_step(ins) == SQLITE_DONE ? 0 : -EIO;
}

int cw_groups_foreach(struct cw_db *db, bool restrict_uid, int64_t uid, cw_group_cb cb, void *userdata)
{
	/* An unprivileged reader's groups are computed from their own crashes
	 * only, so counts and examples never reveal anyone else's. */
	const char *sql = restrict_uid ?
		"SELECT g.fingerprint, g.n, g.first, g.last, g.example, e.exe, e.message FROM"
		" (SELECT c.fingerprint, count(*) AS n, min(c.time_usec) AS first,"
		"  max(c.time_usec) AS last, min(c.id) AS example FROM crashes c"
		"  WHERE c.fingerprint IS NOT NULL AND c.uid = ? AND c.restricted = 0"
		"  GROUP BY c.fingerprint) g JOIN crashes e ON e.id = g.example ORDER BY g.last" :
		"SELECT g.fingerprint, g.count, g.first_usec, g.last_usec, g.example_id, e.exe, e.message"
		" FROM groups g LEFT JOIN crashes e ON e.id = g.example_id ORDER BY g.last_usec";
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(cw_db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (restrict_uid)
		sqlite3_bind_int64(st, 1, uid);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cw_group g = {
			.fingerprint = (const char *)sqlite3_column_text(st, 0),
			.count = sqlite3_column_int64(st, 1),
			.first_usec = sqlite3_column_int64(st, 2),
			.last_usec = sqlite3_column_int64(st, 3),
			.example_id = sqlite3_column_int64(st, 4),
			.exe = (const char *)sqlite3_column_text(st, 5),
			.message = (const char *)sqlite3_column_text(st, 6),
		};
		int r = cb(&g, userdata);
		if (r != 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : -EIO;
}
