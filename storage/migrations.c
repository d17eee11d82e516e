/* The schema, as an ordered list of migrations. Migration N brings the
 * database from user_version N-1 to N inside one transaction. Never edit a
 * released migration: append a new one. */
#include "config.h"
#include "storage/storage.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "storage/sql.h"

struct cw_migration {
	int version;
	const char *sql;
};

/* Migration 3's listing summary of row R (R.column ...). */
#define LIST_SUMMARY(R) \
	"(" #R ".pid || char(31) || " #R ".uid || char(31) || " #R ".signal || char(31) ||" \
	" " #R ".core_state || char(31) || " #R ".analysis_status || char(31) ||" \
	" coalesce(substr(" #R ".fingerprint, 1, 12), '') || char(31) ||" \
	" replace(coalesce(" #R ".exe, " #R ".comm, ''), char(31), '?') || char(31) ||" \
	" coalesce(" #R ".message, ''))"

/* Migration 5's: the same led by id and time_usec, so that a listing
 * reads one column per row. */
#define LIST_SUMMARY_V5(R) \
	"(" #R ".id || char(31) || " #R ".time_usec || char(31) || " #R ".pid || char(31) ||" \
	" " #R ".uid || char(31) || " #R ".signal || char(31) ||" \
	" " #R ".core_state || char(31) || " #R ".analysis_status || char(31) ||" \
	" coalesce(substr(" #R ".fingerprint, 1, 12), '') || char(31) ||" \
	" replace(coalesce(" #R ".exe, " #R ".comm, ''), char(31), '?') || char(31) ||" \
	" coalesce(" #R ".message, ''))"

/* Migration 6's: the container before the message (which may hold
 * anything, so it stays last). */
#define LIST_SUMMARY_V6(R) \
	"(" #R ".id || char(31) || " #R ".time_usec || char(31) || " #R ".pid || char(31) ||" \
	" " #R ".uid || char(31) || " #R ".signal || char(31) ||" \
	" " #R ".core_state || char(31) || " #R ".analysis_status || char(31) ||" \
	" coalesce(substr(" #R ".fingerprint, 1, 12), '') || char(31) ||" \
	" replace(coalesce(" #R ".exe, " #R ".comm, ''), char(31), '?') || char(31) ||" \
	" replace(coalesce(" #R ".container_name, substr(" #R ".container_id, 1, 12), ''), char(31), '?') ||" \
	" char(31) || coalesce(" #R ".message, ''))"

static const struct cw_migration migrations[] = {
	{ 1,
	  "CREATE TABLE crashes ("
	  " id INTEGER PRIMARY KEY,"
	  " spool_id TEXT NOT NULL UNIQUE,"
	  " time_usec INTEGER NOT NULL,"
	  " host TEXT, boot_id TEXT,"
	  " pid INTEGER NOT NULL, tid INTEGER NOT NULL,"
	  " uid INTEGER NOT NULL, gid INTEGER NOT NULL,"
	  " signal INTEGER NOT NULL,"
	  " restricted INTEGER NOT NULL DEFAULT 0,"
	  " exe TEXT, build_id TEXT, comm TEXT, cmdline TEXT, unit TEXT, container TEXT,"
	  " go_version TEXT, go_module TEXT, message TEXT,"
	  " crashed_goroutine INTEGER NOT NULL DEFAULT 0,"
	  " goroutine_count INTEGER NOT NULL DEFAULT 0,"
	  " fault_location TEXT, fingerprint TEXT,"
	  " core_state TEXT NOT NULL CHECK (core_state IN ('stored','truncated','metadata-only','removed')),"
	  " core_size INTEGER NOT NULL DEFAULT 0,"
	  " core_disk_size INTEGER NOT NULL DEFAULT 0,"
	  " core_path TEXT, exe_copy TEXT,"
	  " analysis_status TEXT NOT NULL CHECK (analysis_status IN ('pending','ok','failed')),"
	  " analysis_error TEXT"
	  ");"
	  "CREATE INDEX crashes_time ON crashes(time_usec);"
	  "CREATE INDEX crashes_uid_time ON crashes(uid, time_usec);"
	  "CREATE INDEX crashes_pid ON crashes(pid);"
	  "CREATE INDEX crashes_exe ON crashes(exe);"
	  "CREATE INDEX crashes_comm ON crashes(comm);"
	  "CREATE INDEX crashes_fingerprint ON crashes(fingerprint);"
	  "CREATE INDEX crashes_core ON crashes(time_usec) WHERE core_path IS NOT NULL;"
	  /* the analysis JSON is large: kept apart so listings never page through it */
	  "CREATE TABLE analyses ("
	  " crash_id INTEGER PRIMARY KEY REFERENCES crashes(id) ON DELETE CASCADE,"
	  " json TEXT NOT NULL"
	  ");"
	  "CREATE TABLE groups ("
	  " fingerprint TEXT PRIMARY KEY,"
	  " count INTEGER NOT NULL,"
	  " first_usec INTEGER NOT NULL,"
	  " last_usec INTEGER NOT NULL,"
	  " example_id INTEGER REFERENCES crashes(id) ON DELETE SET NULL"
	  ");"
	  "CREATE INDEX groups_last ON groups(last_usec);" },
	/* uploads: the durable outbox (storage/outbox.h), one row per (crash, endpoint) */
	{ 2,
	  "CREATE TABLE outbox ("
	  " id INTEGER PRIMARY KEY,"
	  " delivery_id TEXT NOT NULL UNIQUE,"
	  " crash_id TEXT NOT NULL,"
	  " endpoint TEXT NOT NULL,"
	  " format TEXT NOT NULL,"
	  " payload TEXT NOT NULL,"
	  " state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','sending','delivered','dead')),"
	  " attempts INTEGER NOT NULL DEFAULT 0,"
	  " created_at INTEGER NOT NULL,"
	  " next_attempt_at INTEGER NOT NULL,"
	  " last_attempt_at INTEGER NOT NULL DEFAULT 0,"
	  " delivered_at INTEGER NOT NULL DEFAULT 0,"
	  " last_status INTEGER NOT NULL DEFAULT 0,"
	  " last_error TEXT,"
	  " UNIQUE (crash_id, endpoint)"
	  ");"
	  "CREATE INDEX outbox_due ON outbox(state, next_attempt_at);" },
	/* listings read one summary column from a covering index instead of
	 * the wide rows (fields separated by U+001F, see crashes.c); triggers
	 * keep it current (SQLite 3.40 does not cover generated columns) */
	{ 3,
	  "ALTER TABLE crashes ADD COLUMN list_summary TEXT;"
	  "UPDATE crashes SET list_summary = " LIST_SUMMARY(crashes) ";"
	  "CREATE TRIGGER crashes_list_insert AFTER INSERT ON crashes BEGIN"
	  " UPDATE crashes SET list_summary = " LIST_SUMMARY(NEW) " WHERE id = NEW.id; END;"
	  "CREATE TRIGGER crashes_list_update AFTER UPDATE OF pid, uid, signal, core_state,"
	  " analysis_status, fingerprint, exe, comm, message ON crashes BEGIN"
	  " UPDATE crashes SET list_summary = " LIST_SUMMARY(NEW) " WHERE id = NEW.id; END;"
	  "CREATE INDEX crashes_list ON crashes(time_usec, id, list_summary);" },
	/* uploads: a crash's outbox rows are no longer unique per (crash_id,
	 * endpoint): re-ingestion is stopped by crashes.spool_id already, and a
	 * reused crash id must never silence a new crash's report */
	{ 4,
	  "CREATE TABLE outbox_v4 ("
	  " id INTEGER PRIMARY KEY,"
	  " delivery_id TEXT NOT NULL UNIQUE,"
	  " crash_id TEXT NOT NULL,"
	  " endpoint TEXT NOT NULL,"
	  " format TEXT NOT NULL,"
	  " payload TEXT NOT NULL,"
	  " state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','sending','delivered','dead')),"
	  " attempts INTEGER NOT NULL DEFAULT 0,"
	  " created_at INTEGER NOT NULL,"
	  " next_attempt_at INTEGER NOT NULL,"
	  " last_attempt_at INTEGER NOT NULL DEFAULT 0,"
	  " delivered_at INTEGER NOT NULL DEFAULT 0,"
	  " last_status INTEGER NOT NULL DEFAULT 0,"
	  " last_error TEXT"
	  ");"
	  "INSERT INTO outbox_v4 SELECT id, delivery_id, crash_id, endpoint, format, payload, state, attempts,"
	  " created_at, next_attempt_at, last_attempt_at, delivered_at, last_status, last_error FROM outbox;"
	  "DROP TABLE outbox;"
	  "ALTER TABLE outbox_v4 RENAME TO outbox;"
	  "CREATE INDEX outbox_due ON outbox(state, next_attempt_at);"
	  "CREATE INDEX outbox_crash ON outbox(crash_id);" },
	/* listings: id and time lead the summary (one column read per row) */
	{ 5,
	  "DROP TRIGGER crashes_list_insert;"
	  "DROP TRIGGER crashes_list_update;"
	  "UPDATE crashes SET list_summary = " LIST_SUMMARY_V5(crashes) ";"
	  "CREATE TRIGGER crashes_list_insert AFTER INSERT ON crashes BEGIN"
	  " UPDATE crashes SET list_summary = " LIST_SUMMARY_V5(NEW) " WHERE id = NEW.id; END;"
	  "CREATE TRIGGER crashes_list_update AFTER UPDATE OF time_usec, pid, uid, signal, core_state,"
	  " analysis_status, fingerprint, exe, comm, message ON crashes BEGIN"
	  " UPDATE crashes SET list_summary = " LIST_SUMMARY_V5(NEW) " WHERE id = NEW.id; END;" },
	/* containers and Kubernetes pods (storage/crash_container.h); the
	 * listing summary gains the container (name, else its id's first 12
	 * digits) before the message */
	{ 6,
	  "ALTER TABLE crashes ADD COLUMN container_runtime TEXT;"
	  "ALTER TABLE crashes ADD COLUMN container_id TEXT;"
	  "ALTER TABLE crashes ADD COLUMN container_name TEXT;"
	  "ALTER TABLE crashes ADD COLUMN container_image TEXT;"
	  "ALTER TABLE crashes ADD COLUMN pod_uid TEXT;"
	  "ALTER TABLE crashes ADD COLUMN pod_name TEXT;"
	  "ALTER TABLE crashes ADD COLUMN pod_namespace TEXT;"
	  "ALTER TABLE crashes ADD COLUMN pod_qos_class TEXT;"
	  "ALTER TABLE crashes ADD COLUMN exe_in_container TEXT;"
	  "ALTER TABLE crashes ADD COLUMN exe_on_host TEXT;"
	  "CREATE INDEX crashes_container ON crashes(container_id) WHERE container_id IS NOT NULL;"
	  "CREATE INDEX crashes_container_name ON crashes(container_name) WHERE container_name IS NOT NULL;"
	  "CREATE INDEX crashes_pod ON crashes(pod_name) WHERE pod_name IS NOT NULL;"
	  "CREATE INDEX crashes_pod_uid ON crashes(pod_uid) WHERE pod_uid IS NOT NULL;"
	  "CREATE INDEX crashes_pod_namespace ON crashes(pod_namespace) WHERE pod_namespace IS NOT NULL;"
	  "CREATE INDEX crashes_unit ON crashes(unit) WHERE unit IS NOT NULL;"
	  "DROP TRIGGER crashes_list_insert;"
	  "DROP TRIGGER crashes_list_update;"
	  "UPDATE crashes SET list_summary = " LIST_SUMMARY_V6(crashes) ";"
	  "CREATE TRIGGER crashes_list_insert AFTER INSERT ON crashes BEGIN"
	  " UPDATE crashes SET list_summary = " LIST_SUMMARY_V6(NEW) " WHERE id = NEW.id; END;"
	  "CREATE TRIGGER crashes_list_update AFTER UPDATE OF time_usec, pid, uid, signal, core_state,"
	  " analysis_status, fingerprint, exe, comm, message, container_id, container_name ON crashes BEGIN"
	  " UPDATE crashes SET list_summary = " LIST_SUMMARY_V6(NEW) " WHERE id = NEW.id; END;" },
	/* crash loops (storage/loops.c): one row per fingerprint and user, the
	 * current run of crashes no more than LoopIntervalSec= apart */
	{ 7,
	  "CREATE TABLE crash_loops ("
	  " fingerprint TEXT NOT NULL,"
	  " uid INTEGER NOT NULL,"
	  " build_id TEXT, exe TEXT,"
	  " first_usec INTEGER NOT NULL,"
	  " last_usec INTEGER NOT NULL,"
	  " count INTEGER NOT NULL,"
	  " cores INTEGER NOT NULL DEFAULT 0,"
	  " dropped INTEGER NOT NULL DEFAULT 0,"
	  " example_id INTEGER,"
	  " last_id INTEGER,"
	  " reported INTEGER NOT NULL DEFAULT 0,"
	  " PRIMARY KEY (fingerprint, uid)"
	  ");"
	  "CREATE INDEX crash_loops_build ON crash_loops(build_id, uid, last_usec);"
	  "CREATE INDEX crash_loops_last ON crash_loops(last_usec);" },
	/* a container crash's kept shared libraries (storage/crash_libraries.h),
	 * in the collector's order; deleted with their crash */
	{ 8,
	  "CREATE TABLE crash_libraries ("
	  " crash_id INTEGER NOT NULL REFERENCES crashes(id) ON DELETE CASCADE,"
	  " seq INTEGER NOT NULL,"
	  " path TEXT NOT NULL,"
	  " build_id TEXT,"
	  " copy TEXT,"
	  " PRIMARY KEY (crash_id, seq)"
	  ") WITHOUT ROWID;"
	  "ALTER TABLE crashes ADD COLUMN libraries_truncated INTEGER NOT NULL DEFAULT 0;" },
	/* append new migrations here (keep versions consecutive) */
};

int cw_db_latest_version(void)
{
	return migrations[CW_ARRAY_SIZE(migrations) - 1].version;
}

int cw_db_migrate(struct cw_db *db)
{
	return cw_db_migrate_to(db, cw_db_latest_version());
}

int cw_db_migrate_to(struct cw_db *db, int version)
{
	int current = 0;
	if (version < 0 || version > cw_db_latest_version())
		return -EINVAL;
	int r = cw_db_schema_version(db, &current);
	if (r < 0)
		return r;
	if (current > cw_db_latest_version())
		return -EPROTO;
	for (size_t i = 0; i < CW_ARRAY_SIZE(migrations); i++) {
		const struct cw_migration *m = &migrations[i];
		if (m->version <= current)
			continue;
		if (m->version > version)
			break;
		r = cw_db_begin(db);
		if (r < 0)
			return r;
		char set_version[64];
		snprintf(set_version, sizeof(set_version), "PRAGMA user_version=%d", m->version);
		r = cw_sql_exec(db, m->sql);
		if (r == 0)
			r = cw_sql_exec(db, set_version);
		if (r < 0) {
			cw_db_rollback(db);
			return r;
		}
		r = cw_db_commit(db);
		if (r < 0) {
			cw_db_rollback(db);
			return r;
		}
		current = m->version;
	}
	return 0;
}
