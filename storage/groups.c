/* Fingerprint groups: count, first and last seen, an example crash. */
#include "config.h"
#include "storage/storage.h"

#include <errno.h>

#include "storage/sql.h"

int cw_group_add(struct cw_db *db, const char *fingerprint, int64_t crash_id, int64_t time_usec,
		 bool *is_new)
{
	_cleanup_stmt_ sqlite3_stmt *up = NULL;
	int r = cw_sql_prepare(db, "UPDATE groups SET count = count + 1,"
			       " first_usec = min(first_usec, ?2), last_usec = max(last_usec, ?2)"
			       " WHERE fingerprint = ?1", &up);
	if (r < 0)
		return r;
	sqlite3_bind_text(up, 1, fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(up, 2, time_usec);
	r = cw_sql_run(up);
	if (r < 0)
		return r;
	*is_new = cw_sql_changes(db) == 0;
	if (!*is_new)
		return 0;
	_cleanup_stmt_ sqlite3_stmt *ins = NULL;
	r = cw_sql_prepare(db, "INSERT INTO groups (fingerprint, count, first_usec, last_usec, example_id)"
			   " VALUES (?, 1, ?, ?, ?)", &ins);
	if (r < 0)
		return r;
	sqlite3_bind_text(ins, 1, fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 2, time_usec);
	sqlite3_bind_int64(ins, 3, time_usec);
	sqlite3_bind_int64(ins, 4, crash_id);
	return cw_sql_run(ins);
}

int cw_group_seen(struct cw_db *db, const char *fingerprint, int64_t *count, int64_t *first_usec)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = cw_sql_prepare(db, "SELECT count, first_usec FROM groups WHERE fingerprint = ?", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_STATIC);
	r = cw_sql_step(st);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*count = sqlite3_column_int64(st, 0);
	*first_usec = sqlite3_column_int64(st, 1);
	return 0;
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
	int r = cw_sql_prepare(db, sql, &st);
	if (r < 0)
		return r;
	if (restrict_uid)
		sqlite3_bind_int64(st, 1, uid);
	while ((r = cw_sql_step(st)) > 0) {
		struct cw_group g = {
			.fingerprint = cw_sql_text(st, 0),
			.count = sqlite3_column_int64(st, 1),
			.first_usec = sqlite3_column_int64(st, 2),
			.last_usec = sqlite3_column_int64(st, 3),
			.example_id = sqlite3_column_int64(st, 4),
			.exe = cw_sql_text(st, 5),
			.message = cw_sql_text(st, 6),
		};
		int k = cb(&g, userdata);
		if (k != 0)
			return k;
	}
	return r;
}
