/* See storage/sql.h: preparing and running statements, SQLite result
 * codes as negative errnos. */
#include "config.h"
#include "storage/sql.h"

#include <errno.h>

int cw_sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
		return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY ? -EEXIST : -EINVAL;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	default:
		return -EIO;
	}
}

/* A failure's errno, never 0 (rc is not a success here). */
static int failure(int rc)
{
	int r = cw_sql_errno(rc);
	return r < 0 ? r : -EIO;
}

int cw_sql_prepare(struct cw_db *db, const char *sql, sqlite3_stmt **out)
{
	*out = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, out, NULL);
	return rc == SQLITE_OK ? 0 : failure(rc);
}

int cw_sql_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : failure(rc);
}

int cw_sql_row(sqlite3_stmt *st)
{
	int r = cw_sql_step(st);
	return r > 0 ? 0 : r < 0 ? r : -EIO;
}

int cw_sql_int64(struct cw_db *db, const char *sql, int64_t *out)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = cw_sql_prepare(db, sql, &st);
	if (r == 0)
		r = cw_sql_row(st);
	if (r == 0)
		*out = sqlite3_column_int64(st, 0);
	return r;
}

int cw_sql_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : failure(rc);
}

int cw_sql_exec(struct cw_db *db, const char *sql)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : failure(rc);
}

void cw_sql_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int cw_sql_changes(struct cw_db *db)
{
	return sqlite3_changes(db->h);
}

int64_t cw_sql_last_id(struct cw_db *db)
{
	return sqlite3_last_insert_rowid(db->h);
}
