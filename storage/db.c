/* Opening the history database: WAL, foreign keys, busy timeout, migrations. */
#include "config.h"
#include "storage/storage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storage/sql.h"

#define CW_DB_BUSY_TIMEOUT_MS 5000

const char *cw_db_errmsg(struct cw_db *db)
{
	return db && db->h ? sqlite3_errmsg(db->h) : "out of memory";
}

#define CW_DB_PAGE_SIZE "16384"

/* cw_db_open(), READWRITE migrating only up to version */
static int db_open(const char *path, enum cw_db_mode mode, int version, struct cw_db **out)
{
	struct cw_db *db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	int flags = SQLITE_OPEN_NOMUTEX | (mode == CW_DB_READWRITE ?
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
	int rc = sqlite3_open_v2(path, &db->h, flags, NULL);
	int r = 0;
	if (rc != SQLITE_OK) {
		/* here, and only here, "cannot open" means there is no such database */
		r = (rc & 0xff) == SQLITE_CANTOPEN ? -ENOENT : cw_sql_errno(rc);
		goto fail;
	}
	/* SQLITE_CONSTRAINT_UNIQUE and the like, for cw_sql_errno() */
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, CW_DB_BUSY_TIMEOUT_MS);
	r = cw_sql_exec(db, "PRAGMA foreign_keys=ON");
	if (r < 0)
		goto fail;
	if (mode == CW_DB_READWRITE) {
		/* a new database: 16 KiB pages (a listing of 100,000 crashes reads
		 * a quarter of the pages it would at 4 KiB; no effect on an
		 * existing file) */
		r = cw_sql_exec(db, "PRAGMA page_size=" CW_DB_PAGE_SIZE "; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL");
		if (r < 0)
			goto fail;
		r = cw_db_migrate_to(db, version);
		if (r < 0)
			goto fail;
	} else {
		int v = 0;
		r = cw_db_schema_version(db, &v);
		if (r < 0)
			goto fail;
		if (v == 0) {
			r = -ENOENT; /* exists but never initialised by the daemon */
			goto fail;
		}
		if (v > cw_db_latest_version()) {
			r = -EPROTO; /* written by a newer crashwatch */
			goto fail;
		}
	}
	*out = db;
	return 0;
fail:
	/* nothing of a failed open outlives it (SQLite's message included):
	 * callers report the errno */
	sqlite3_close(db->h);
	free(db);
	return r;
}

int cw_db_open(const char *path, enum cw_db_mode mode, struct cw_db **out)
{
	return db_open(path, mode, cw_db_latest_version(), out);
}

int cw_db_create_at_version(const char *path, int version)
{
	struct cw_db *db = NULL;
	if (version < 1 || version > cw_db_latest_version())
		return -EINVAL;
	int r = db_open(path, CW_DB_READWRITE, version, &db);
	cw_db_close(db);
	return r;
}

void cw_db_close(struct cw_db *db)
{
	if (!db)
		return;
	sqlite3_close(db->h);
	free(db);
}

int cw_db_schema_version(struct cw_db *db, int *out)
{
	int64_t v = 0;
	int r = cw_sql_int64(db, "PRAGMA user_version", &v);
	if (r == 0)
		*out = (int)v;
	return r;
}

int cw_db_begin(struct cw_db *db)
{
	return cw_sql_exec(db, "BEGIN IMMEDIATE");
}

int cw_db_commit(struct cw_db *db)
{
	return cw_sql_exec(db, "COMMIT");
}

void cw_db_rollback(struct cw_db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		(void)cw_sql_exec(db, "ROLLBACK");
}
