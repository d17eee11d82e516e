/* Internal to storage/ (never included outside it): the connection behind
 * struct cw_db, and the one way the storage files prepare and run
 * statements and turn SQLite's result codes into negative errnos. */
#ifndef CW_STORAGE_SQL_H
#define CW_STORAGE_SQL_H

#include <sqlite3.h>

#include "common/cleanup.h"
#include "storage/storage.h"

struct cw_db {
	sqlite3 *h;              /* extended result codes on (cw_db_open) */
};

/* 0 for SQLITE_OK, SQLITE_ROW and SQLITE_DONE; otherwise a negative errno:
 *   SQLITE_FULL                          -ENOSPC
 *   SQLITE_BUSY, SQLITE_LOCKED           -EBUSY
 *   SQLITE_NOMEM                         -ENOMEM
 *   SQLITE_READONLY                      -EROFS
 *   SQLITE_PERM, SQLITE_AUTH             -EACCES
 *   SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY  -EEXIST (a row with that key exists)
 *   any other SQLITE_CONSTRAINT          -EINVAL (NOT NULL, CHECK, foreign key)
 *   SQLITE_CORRUPT, SQLITE_NOTADB        -EBADMSG
 *   anything else                        -EIO
 * -ENOENT is never returned: callers use it for "no such row". */
int cw_sql_errno(int rc);

static inline void cw_sql_finalizep(sqlite3_stmt **st)
{
	if (*st)
		sqlite3_finalize(*st);
}
#define _cleanup_stmt_ CW_CLEANUP(cw_sql_finalizep)

/* Prepares one statement of sql: 0 or a negative errno. */
int cw_sql_prepare(struct cw_db *db, const char *sql, sqlite3_stmt **out);
/* One step: 1 when a row is ready, 0 when the statement is done, else a
 * negative errno. Walks are `while ((r = cw_sql_step(st)) > 0) ...`. */
int cw_sql_step(sqlite3_stmt *st);
/* One step of a statement that always returns a row (an aggregate, a
 * PRAGMA): 0 when it did, else a negative errno (-EIO for no row). */
int cw_sql_row(sqlite3_stmt *st);
/* Runs sql, a query of one integer (nothing bound), into *out. */
int cw_sql_int64(struct cw_db *db, const char *sql, int64_t *out);
/* Runs a statement that returns no rows: 0, or a negative errno (-EIO
 * when it returns a row). */
int cw_sql_run(sqlite3_stmt *st);
/* Runs sql (one or more statements, nothing bound): 0 or a negative errno. */
int cw_sql_exec(struct cw_db *db, const char *sql);
/* Binds s as text (borrowed until the statement is done), NULL as NULL. */
void cw_sql_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Column i as text, NULL for NULL; valid until the next step. */
static inline const char *cw_sql_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}
/* Rows changed by the last INSERT, UPDATE or DELETE of db. */
int cw_sql_changes(struct cw_db *db);
/* The rowid of the last row db inserted. */
int64_t cw_sql_last_id(struct cw_db *db);

#endif
