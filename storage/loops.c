/* Crash loops: one row per fingerprint and user holding its current run, the
 * crashes of that fingerprint no more than an interval apart (migration 7).
 * The daemon counts every crash of a run here, stored or not, keeps the
 * cores of the first `burst` of them and drops the rest (docs/crash-loops.md). */
#include "config.h"
#include "storage/storage.h"

#include <errno.h>
#include <string.h>

#include "storage/sql.h"

#define LOOP_COLUMNS "l.fingerprint, l.build_id, l.exe, l.first_usec, l.last_usec, l.count, l.cores," \
		     " l.dropped, coalesce(l.example_id, 0), coalesce(l.last_id, 0), l.reported, l.uid"

static void loop_from_row(sqlite3_stmt *st, struct cw_crash_loop *l)
{
	*l = (struct cw_crash_loop){
		.fingerprint = cw_sql_text(st, 0),
		.build_id = cw_sql_text(st, 1),
		.exe = cw_sql_text(st, 2),
		.first_usec = sqlite3_column_int64(st, 3),
		.last_usec = sqlite3_column_int64(st, 4),
		.count = sqlite3_column_int64(st, 5),
		.cores = sqlite3_column_int64(st, 6),
		.dropped = sqlite3_column_int64(st, 7),
		.example_id = sqlite3_column_int64(st, 8),
		.last_id = sqlite3_column_int64(st, 9),
		.reported = sqlite3_column_int64(st, 10) != 0,
		.uid = sqlite3_column_int64(st, 11),
	};
}

/* Whether t belongs to the run [first, last]: no more than the interval
 * after its last crash, or (a spool entry ingested late) before it but
 * no more than the interval before its first. */
static bool continues(int64_t first, int64_t last, int64_t t, uint64_t interval_usec)
{
	if (t >= last)
		return (uint64_t)(t - last) <= interval_usec;
	return t >= first || (uint64_t)(first - t) <= interval_usec;
}

int cw_loop_is_repeat(struct cw_db *db, const char *fingerprint, int64_t uid, int64_t time_usec,
		      uint64_t interval_usec, int64_t burst)
{
	struct cw_crash_loop l;
	if (!fingerprint || burst <= 0)
		return 0;
	int r = cw_loop_get_run(db, fingerprint, uid, &l);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	return continues(l.first_usec, l.last_usec, time_usec, interval_usec) && l.cores >= burst;
}

int cw_loop_count(struct cw_db *db, const struct cw_loop_crash *c, uint64_t interval_usec)
{
	_cleanup_stmt_ sqlite3_stmt *sel = NULL, *up = NULL;
	if (!c->fingerprint)
		return -EINVAL;
	int r = cw_sql_prepare(db, "SELECT first_usec, last_usec FROM crash_loops WHERE fingerprint = ? AND uid = ?", &sel);
	if (r < 0)
		return r;
	sqlite3_bind_text(sel, 1, c->fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(sel, 2, c->uid);
	r = cw_sql_step(sel);
	if (r < 0)
		return r;
	bool found = r > 0;
	if (found && c->time_usec < sqlite3_column_int64(sel, 0) &&
	    (uint64_t)(sqlite3_column_int64(sel, 0) - c->time_usec) > interval_usec)
		return 0; /* older than the current run (ingested late): not part of it */
	bool fresh = !found ||
		     !continues(sqlite3_column_int64(sel, 0), sqlite3_column_int64(sel, 1), c->time_usec, interval_usec);
	/* a new run starts from this crash; a continued one adds it */
	const char *sql = fresh ?
		"INSERT OR REPLACE INTO crash_loops (fingerprint, uid, build_id, exe, first_usec, last_usec, count,"
		" cores, dropped, example_id, last_id, reported) VALUES (?1, ?7, ?2, ?3, ?4, ?4, 1, ?5, 1 - ?5,"
		" CASE WHEN ?5 THEN ?6 END, ?6, 0)" :
		"UPDATE crash_loops SET build_id = coalesce(?2, build_id), exe = coalesce(?3, exe),"
		" first_usec = min(first_usec, ?4), last_usec = max(last_usec, ?4), count = count + 1, cores = cores + ?5, dropped = dropped + 1 - ?5,"
		" example_id = coalesce(example_id, CASE WHEN ?5 THEN ?6 END), last_id = ?6"
		" WHERE fingerprint = ?1 AND uid = ?7";
	r = cw_sql_prepare(db, sql, &up);
	if (r < 0)
		return r;
	sqlite3_bind_text(up, 1, c->fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 2, c->build_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 3, c->exe, -1, SQLITE_STATIC);
	sqlite3_bind_int64(up, 4, c->time_usec);
	sqlite3_bind_int(up, 5, c->core_kept ? 1 : 0);
	sqlite3_bind_int64(up, 6, c->crash_id);
	sqlite3_bind_int64(up, 7, c->uid);
	return cw_sql_run(up);
}

/* The one run of build_id still going at time_usec; -ENOENT when there is
 * none, -EEXIST when several fingerprints of it are (the executable fails
 * in more than one way: nothing can be said without the core). */
static int active_run_of(struct cw_db *db, const char *build_id, int64_t uid, int64_t time_usec, uint64_t interval_usec,
			 char *fp, size_t fp_len, int64_t *cores)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (!build_id)
		return -ENOENT;
	int r = cw_sql_prepare(db, "SELECT fingerprint, cores FROM crash_loops WHERE build_id = ?1 AND uid = ?4"
			       " AND last_usec >= ?2 AND first_usec <= ?3 ORDER BY last_usec DESC LIMIT 2", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, build_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, time_usec - (int64_t)interval_usec);
	sqlite3_bind_int64(st, 3, time_usec + (int64_t)interval_usec);
	sqlite3_bind_int64(st, 4, uid);
	r = cw_sql_step(st);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	const char *f = cw_sql_text(st, 0);
	if (!f || strlen(f) >= fp_len)
		return -ENAMETOOLONG;
	strcpy(fp, f);
	*cores = sqlite3_column_int64(st, 1);
	r = cw_sql_step(st);
	return r > 0 ? -EEXIST : r;
}

int cw_loop_count_unanalysed(struct cw_db *db, const char *build_id, int64_t uid, int64_t time_usec,
			     uint64_t interval_usec, int64_t crash_id)
{
	char fp[128];
	int64_t cores = 0;
	int r = active_run_of(db, build_id, uid, time_usec, interval_usec, fp, sizeof(fp), &cores);
	if (r < 0)
		return r;
	_cleanup_stmt_ sqlite3_stmt *up = NULL;
	r = cw_sql_prepare(db, "UPDATE crash_loops SET last_usec = max(last_usec, ?2), count = count + 1,"
			   " dropped = dropped + 1, last_id = ?3 WHERE fingerprint = ?1 AND uid = ?4", &up);
	if (r < 0)
		return r;
	sqlite3_bind_text(up, 1, fp, -1, SQLITE_STATIC);
	sqlite3_bind_int64(up, 2, time_usec);
	sqlite3_bind_int64(up, 3, crash_id);
	sqlite3_bind_int64(up, 4, uid);
	return cw_sql_run(up);
}

int cw_loop_should_reject(struct cw_db *db, const char *build_id, int64_t uid, int64_t time_usec,
			  uint64_t interval_usec, int64_t burst, char *fingerprint, size_t len)
{
	int64_t cores = 0;
	if (burst <= 0)
		return 0;
	int r = active_run_of(db, build_id, uid, time_usec, interval_usec, fingerprint, len, &cores);
	if (r == -ENOENT || r == -EEXIST)
		return 0;
	if (r < 0)
		return r;
	return cores >= burst;
}

int cw_loops_foreach(struct cw_db *db, bool restrict_uid, int64_t uid, int64_t since_usec, bool unreported_only,
		     cw_loop_cb cb, void *userdata)
{
	/* A run is a loop once a core was dropped from it; an unprivileged
	 * reader sees the loops whose example crash is theirs. */
	const char *sql = restrict_uid ?
		"SELECT " LOOP_COLUMNS " FROM crash_loops l JOIN crashes e ON e.id = l.example_id"
		" WHERE l.dropped > 0 AND l.last_usec >= ?1 AND (?2 = 0 OR l.reported = 0)"
		" AND l.uid = ?3 AND e.restricted = 0 ORDER BY l.last_usec" :
		"SELECT " LOOP_COLUMNS " FROM crash_loops l WHERE l.dropped > 0 AND l.last_usec >= ?1"
		" AND (?2 = 0 OR l.reported = 0) ORDER BY l.last_usec";
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = cw_sql_prepare(db, sql, &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, since_usec);
	sqlite3_bind_int(st, 2, unreported_only ? 1 : 0);
	if (restrict_uid)
		sqlite3_bind_int64(st, 3, uid);
	while ((r = cw_sql_step(st)) > 0) {
		struct cw_crash_loop l;
		loop_from_row(st, &l);
		int k = cb(&l, userdata);
		if (k != 0)
			return k;
	}
	return r;
}

int cw_loop_get_run(struct cw_db *db, const char *fingerprint, int64_t uid, struct cw_crash_loop *out)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (!fingerprint)
		return -ENOENT;
	int r = cw_sql_prepare(db, "SELECT " LOOP_COLUMNS " FROM crash_loops l WHERE l.fingerprint = ? AND l.uid = ?", &st);
	if (r < 0)
		return r;
	cw_sql_bind_text(st, 1, fingerprint);
	sqlite3_bind_int64(st, 2, uid);
	r = cw_sql_step(st);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	loop_from_row(st, out);
	out->fingerprint = out->build_id = out->exe = NULL; /* the statement's, gone on return */
	return 0;
}

int cw_loop_mark_reported(struct cw_db *db, const char *fingerprint, int64_t uid)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = cw_sql_prepare(db, "UPDATE crash_loops SET reported = 1 WHERE fingerprint = ? AND uid = ?", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uid);
	return cw_sql_run(st);
}

int cw_loops_prune(struct cw_db *db, int64_t ended_before_usec, int64_t stale_before_usec)
{
	/* unreported loops wait for their report (daemon/loop_report.c) unless stale */
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = cw_sql_prepare(db, "DELETE FROM crash_loops WHERE last_usec < ?1"
			       " AND (reported != 0 OR dropped = 0 OR last_usec < ?2)", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, ended_before_usec);
	sqlite3_bind_int64(st, 2, stale_before_usec);
	r = cw_sql_run(st);
	return r < 0 ? r : cw_sql_changes(db);
}
