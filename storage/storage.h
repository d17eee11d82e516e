/* The crash history in SQLite: one writer (crashwatchd), readers (the CLI,
 * the daemon's query socket). Everything returns 0 or a negative errno,
 * SQLite's failures mapped one way (storage/sql.h): a full disk -ENOSPC,
 * a locked database -EBUSY, a read-only one -EROFS, a damaged one -EBADMSG,
 * out of memory -ENOMEM, other failures -EIO; -ENOENT and -EEXIST keep the
 * meanings each function gives them. SQLite's message for the last
 * failure is available from cw_db_errmsg(). */
#ifndef CW_STORAGE_STORAGE_H
#define CW_STORAGE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crash_filter.h"

/* Opaque: the SQLite connection behind it is storage/'s alone
 * (storage/sql.h); every caller passes a struct cw_db *. */
struct cw_db;

enum cw_db_mode { CW_DB_READONLY, CW_DB_READWRITE };

/* Opens (READWRITE: creates and migrates) the database at path: WAL,
 * foreign keys, a busy timeout. */
int cw_db_open(const char *path, enum cw_db_mode mode, struct cw_db **out);
void cw_db_close(struct cw_db *db);
const char *cw_db_errmsg(struct cw_db *db);
/* Schema version after migrations (PRAGMA user_version). */
int cw_db_schema_version(struct cw_db *db, int *out);
/* The newest schema version this build knows. */
int cw_db_latest_version(void);
/* Transactions (BEGIN IMMEDIATE / COMMIT / ROLLBACK). */
int cw_db_begin(struct cw_db *db);
int cw_db_commit(struct cw_db *db);
void cw_db_rollback(struct cw_db *db);

enum cw_core_state { CW_CORE_STORED, CW_CORE_TRUNCATED, CW_CORE_METADATA_ONLY, CW_CORE_REMOVED };
enum cw_analysis_status { CW_ANALYSIS_PENDING, CW_ANALYSIS_OK, CW_ANALYSIS_FAILED };

const char *cw_core_state_name(enum cw_core_state s);
int cw_core_state_from_name(const char *s, enum cw_core_state *out);
/* The same for s[0..len) (not NUL-terminated): 0, or -EINVAL for no such name. */
int cw_core_state_from_text(const char *s, size_t len, enum cw_core_state *out);
const char *cw_analysis_status_name(enum cw_analysis_status s);
/* CW_ANALYSIS_PENDING for NULL or an unknown name. */
enum cw_analysis_status cw_analysis_status_from_name(const char *s);
/* s[0..len): 0, or -EINVAL for no such name. */
int cw_analysis_status_from_text(const char *s, size_t len, enum cw_analysis_status *out);

/* A crash's container and Kubernetes pod (migration 6, storage/crash_container.h);
 * every member NULL outside a container or when unknown. */
struct cw_crash_container {
	const char *runtime, *id, *name, *image;
	const char *pod_uid, *pod_name, *pod_namespace, *qos_class;
	const char *exe_in_container, *exe_on_host;
};
#define CW_CRASH_CONTAINER_NFIELDS 10
/* indexes into cw_crash_container_fields (storage/crash_container.h) */
#define CW_CRASH_CONTAINER_EXE_IN_CONTAINER 8
#define CW_CRASH_CONTAINER_EXE_ON_HOST 9

/* A shared library kept for a container's crash (migration 8,
 * storage/crash_libraries.h): its path in the container's mount
 * namespace, its GNU build id (hex, NULL when unknown) and the kept copy
 * (absolute, like exe_copy). */
struct cw_crash_library {
	const char *path, *build_id, *copy;
};

/* One crash. Strings may be NULL (unknown). For cw_crash_insert the
 * caller owns them; in query callbacks they are borrowed for the call. */
struct cw_crash_record {
	int64_t id;                  /* assigned by insert */
	const char *spool_id;        /* the collector's ID: unique, makes ingestion idempotent */
	int64_t time_usec;
	const char *host, *boot_id;
	int64_t pid, tid, uid, gid;
	int signal;
	bool restricted;             /* setuid/non-dumpable: root only */
	const char *exe, *build_id, *comm, *cmdline, *unit, *container;
	const char *go_version, *go_module;
	const char *message;         /* panic message or "fatal error: ..." */
	int64_t crashed_goroutine;   /* 0: none */
	int64_t goroutine_count;
	const char *fault_location;  /* "main.f /src/main.go:14" */
	const char *fingerprint;
	enum cw_core_state core_state;
	int64_t core_size;           /* bytes of the (decompressed) core */
	int64_t core_disk_size;      /* bytes on disk (compressed) */
	const char *core_path;       /* stored core file, absolute; NULL when none */
	const char *exe_copy;        /* kept executable, absolute, or NULL */
	enum cw_analysis_status analysis_status;
	const char *analysis_error;
	const char *analysis_json;   /* only filled by queries that ask for it */
	const char *const *environment; /* not stored: "KEY=value" list for insert hooks (uploads) */
	struct cw_crash_container ctr;  /* container and pod */
	/* kept libraries: stored by insert; filled by queries that ask for
	 * the analysis (with_analysis), else none */
	const struct cw_crash_library *libraries;
	size_t n_libraries;
	bool libraries_truncated;       /* the collector left some out */
};

/* Inserts c (and its analysis JSON) in one transaction and counts it in
 * its fingerprint group. -EEXIST when a crash with that spool_id exists
 * (*id_out is then the existing id). */
int cw_crash_insert(struct cw_db *db, const struct cw_crash_record *c, int64_t *id_out);
/* The same, calling hook inside the transaction once the crash and its
 * group are stored (uploads queue the crash there: daemon/upload.h); a
 * negative return from hook rolls everything back. */
typedef int (*cw_crash_insert_hook)(struct cw_db *db, const struct cw_crash_record *c, int64_t id,
				    void *userdata);
int cw_crash_insert_hooked(struct cw_db *db, const struct cw_crash_record *c, cw_crash_insert_hook hook,
			   void *userdata, int64_t *id_out);
/* 1 when a crash with that spool id is stored, 0 if not, <0 on error. */
int cw_crash_exists(struct cw_db *db, const char *spool_id, int64_t *id_out);

/* Calls cb for every matching crash, oldest first (listings that need
 * only what `crashwatch list` prints: cw_crashes_foreach_summary()). A non-zero return from
 * cb stops the walk and is returned. */
typedef int (*cw_crash_cb)(const struct cw_crash_record *c, void *userdata);
int cw_crashes_foreach(struct cw_db *db, const struct cw_crash_filter *f, cw_crash_cb cb, void *userdata);
/* *out: some matching crash shows a container in its listing (the
 * CONTAINER column of `crashwatch list`), answered from the container
 * indexes without walking the crashes. 0 or a negative errno. */
int cw_crashes_any_container(struct cw_db *db, const struct cw_crash_filter *f, bool *out);

/* Retention support: crashes with a core on disk, oldest first. */
int cw_crashes_foreach_stored_core(struct cw_db *db, cw_crash_cb cb, void *userdata);
/* Marks the core of crash id removed (the record stays). */
int cw_crash_mark_core_removed(struct cw_db *db, int64_t id);

struct cw_store_stats {
	int64_t crashes;
	int64_t groups;
	int64_t cores_stored;
	int64_t cores_disk_bytes;
	int64_t analyses_failed;
	int64_t newest_usec;
};
int cw_store_stats(struct cw_db *db, bool restrict_uid, int64_t uid, struct cw_store_stats *out);
/* The time of the newest crash (0 when there is none), from the time index
 * alone: the crash-loop window of listings needs only this of the stats. */
int cw_crashes_newest_usec(struct cw_db *db, int64_t *out);
/* The same as a reader sees it: with restrict_uid, the newest of uid's own
 * non-restricted crashes (the (uid, time) index, newest first). */
int cw_crashes_newest_seen_usec(struct cw_db *db, bool restrict_uid, int64_t uid, int64_t *out);

struct cw_group {
	const char *fingerprint;
	int64_t count;
	int64_t first_usec, last_usec;
	int64_t example_id;
	const char *exe, *message;
};
typedef int (*cw_group_cb)(const struct cw_group *g, void *userdata);
/* Groups, most recently seen last. With restrict_uid, counts only that uid's crashes. */
int cw_groups_foreach(struct cw_db *db, bool restrict_uid, int64_t uid, cw_group_cb cb, void *userdata);
/* How often a fingerprint was seen (its group count: inside the insert
 * transaction, the crash being stored included) and since when; -ENOENT
 * when it never was. */
int cw_group_seen(struct cw_db *db, const char *fingerprint, int64_t *count, int64_t *first_usec);

/* Crash loops (storage/loops.c, migration 7): the current run of each
 * fingerprint per user, crashes no more than an interval apart. A run is a loop
 * once one of its cores was dropped (or rejected before it was written). */
struct cw_crash_loop {
	const char *fingerprint, *build_id, *exe;
	int64_t first_usec, last_usec;
	int64_t count;          /* crashes in the run, stored or not */
	int64_t cores;          /* of them with their core kept */
	int64_t dropped;        /* of them without (dropped, rejected, rate-limited) */
	int64_t example_id;     /* the first crash of the run with a core, 0: none */
	int64_t last_id;        /* the newest crash of the run */
	bool reported;          /* its loop report is queued */
	int64_t uid;            /* runs are per user: one user's loop never costs another's cores */
};
struct cw_loop_crash {
	const char *fingerprint, *build_id, *exe;
	int64_t uid;
	int64_t time_usec;
	int64_t crash_id;
	bool core_kept;
};
/* 1 when a crash of fingerprint at time_usec continues a run that has
 * `burst` cores already (its core is a repeat to drop), 0 when not. */
int cw_loop_is_repeat(struct cw_db *db, const char *fingerprint, int64_t uid, int64_t time_usec,
		      uint64_t interval_usec, int64_t burst);
/* Counts an analysed crash in its fingerprint's run (starting a new run
 * when the last crash is more than interval_usec ago). */
int cw_loop_count(struct cw_db *db, const struct cw_loop_crash *c, uint64_t interval_usec);
/* Counts a crash without a fingerprint (no core: rate-limited, rejected)
 * in the run of its executable's build id, when exactly one is going;
 * -ENOENT when none is (or the executable loops in several ways). */
int cw_loop_count_unanalysed(struct cw_db *db, const char *build_id, int64_t uid, int64_t time_usec,
			     uint64_t interval_usec, int64_t crash_id);
/* 1 when a crash of build_id at time_usec is a repeat to reject before its
 * core is written: exactly one fingerprint of that executable is in a run,
 * and that run has `burst` cores already (copied to fingerprint). */
int cw_loop_should_reject(struct cw_db *db, const char *build_id, int64_t uid, int64_t time_usec,
			  uint64_t interval_usec, int64_t burst, char *fingerprint, size_t len);
typedef int (*cw_loop_cb)(const struct cw_crash_loop *l, void *userdata);
/* Loops seen since since_usec, most recent last (unreported_only: without
 * their report yet). With restrict_uid, the loops of that uid's crashes. */
int cw_loops_foreach(struct cw_db *db, bool restrict_uid, int64_t uid, int64_t since_usec, bool unreported_only,
		     cw_loop_cb cb, void *userdata);
int cw_loop_mark_reported(struct cw_db *db, const char *fingerprint, int64_t uid);
/* The figures of the current run of fingerprint for uid (its strings
 * NULL); -ENOENT when there is none. */
int cw_loop_get_run(struct cw_db *db, const char *fingerprint, int64_t uid, struct cw_crash_loop *out);
/* Retention: forgets the runs whose last crash is before ended_before_usec
 * and that are reported or never were loops, and any before
 * stale_before_usec. Returns how many went, or a negative errno. */
int cw_loops_prune(struct cw_db *db, int64_t ended_before_usec, int64_t stale_before_usec);

/* Internal to storage/: counts crash id in its group (inside the insert
 * transaction); *is_new says the fingerprint was seen for the first time. */
int cw_group_add(struct cw_db *db, const char *fingerprint, int64_t crash_id, int64_t time_usec,
		 bool *is_new);
/* Internal to storage/: applies every migration newer than the schema. */
int cw_db_migrate(struct cw_db *db);
/* For tests only (tests/unit/test-storage.c: upgrades of databases holding
 * data): migrations up to version and no further (-EINVAL beyond the
 * latest); and a new database at path made only that far, left closed. */
int cw_db_migrate_to(struct cw_db *db, int version);
int cw_db_create_at_version(const char *path, int version);

#endif
