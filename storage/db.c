/* Opening the history database: WAL, foreign keys, busy timeout, migrations. */
#include "config.h"
#include "storage/storage.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define CW_DB_BUSY_TIMEOUT_MS 5000

struct cw_db {
	sqlite3 *h;
};

struct sqlite3 *cw_db_handle(struct cw_db *db)
{
	return db->h;
}

const char *cw_db_errmsg(struct cw_db *db)
{
	return db && db->h ? sqlite3_errmsg(db->h) : "out of memory";
}

#define CW_DB_PAGE_SIZE "16384"

static int exec_sql(sqlite3 *h, const char *sql)
{
	return sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int cw_db_open(const char *path, enum cw_db_mode mode, struct cw_db **out)
{
	struct cw_db *db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	int flags = SQLITE_OPEN_NOMUTEX | (mode == CW_DB_READWRITE ?
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
	int rc = sqlite3_open_v2(path, &db->h, flags, NULL);
	int r = 0;
	if (rc != SQLITE_OK) {
		r = rc == SQLITE_CANTOPEN ? -ENOENT : rc == SQLITE_PERM ? -EACCES : -EIO;
		goto fail;
	}
	sqlite3_busy_timeout(db->h, CW_DB_BUSY_TIMEOUT_MS);
	r = exec_sql(db->h, "PRAGMA foreign_keys=ON");
	if (r < 0)
		goto fail;
	if (mode == CW_DB_READWRITE) {
		/* a new database: 16 KiB pages (a listing of 100,000 crashes reads
		 * a quarter of the pages it would at 4 KiB; no effect on an
		 * existing file) */
		r = exec_sql(db->h, "PRAGMA page_size=" CW_DB_PAGE_SIZE "; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL");
		if (r < 0)
			goto fail;
		r = cw_db_migrate(db);
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
	/* keep the handle for cw_db_errmsg() only when the caller cannot use it */
	sqlite3_close(db->h);
	free(db);
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
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	int r = -EIO;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

int cw_db_begin(struct cw_db *db)
{
	return exec_sql(db->h, "BEGIN IMMEDIATE");
}

int cw_db_commit(struct cw_db *db)
{
	return exec_sql(db->h, "COMMIT");
}

void cw_db_rollback(struct cw_db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		(void)exec_sql(db->h, "ROLLBACK");
}
