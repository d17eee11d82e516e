/* Crash records: insert (one transaction with the group count and the
 * outbox) and the filtered queries behind list/info/dump and retention. */
#include "config.h"
#include "storage/storage.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/crash_container.h"
#include "storage/crash_libraries.h"
#include "storage/crash_summary.h"
#include "storage/sql.h"

int cw_crash_exists(struct cw_db *db, const char *spool_id, int64_t *id_out)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = cw_sql_prepare(db, "SELECT id FROM crashes WHERE spool_id = ?", &st);
	if (r < 0)
		return r;
	cw_sql_bind_text(st, 1, spool_id);
	r = cw_sql_step(st);
	if (r <= 0)
		return r;
	if (id_out)
		*id_out = sqlite3_column_int64(st, 0);
	return 1;
}

static int insert_row(struct cw_db *db, const struct cw_crash_record *c, int64_t *id_out)
{
	static const char sql[] =
		"INSERT INTO crashes (spool_id, time_usec, host, boot_id, pid, tid, uid, gid, signal,"
		" restricted, exe, build_id, comm, cmdline, unit, container, go_version, go_module,"
		" message, crashed_goroutine, goroutine_count, fault_location, fingerprint, core_state,"
		" core_size, core_disk_size, core_path, exe_copy, analysis_status, analysis_error)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = cw_sql_prepare(db, sql, &st);
	if (r < 0)
		return r;
	int i = 1;
	cw_sql_bind_text(st, i++, c->spool_id);
	sqlite3_bind_int64(st, i++, c->time_usec);
	cw_sql_bind_text(st, i++, c->host);
	cw_sql_bind_text(st, i++, c->boot_id);
	sqlite3_bind_int64(st, i++, c->pid);
	sqlite3_bind_int64(st, i++, c->tid);
	sqlite3_bind_int64(st, i++, c->uid);
	sqlite3_bind_int64(st, i++, c->gid);
	sqlite3_bind_int(st, i++, c->signal);
	sqlite3_bind_int(st, i++, c->restricted);
	cw_sql_bind_text(st, i++, c->exe);
	cw_sql_bind_text(st, i++, c->build_id);
	cw_sql_bind_text(st, i++, c->comm);
	cw_sql_bind_text(st, i++, c->cmdline);
	cw_sql_bind_text(st, i++, c->unit);
	cw_sql_bind_text(st, i++, c->container);
	cw_sql_bind_text(st, i++, c->go_version);
	cw_sql_bind_text(st, i++, c->go_module);
	cw_sql_bind_text(st, i++, c->message);
	sqlite3_bind_int64(st, i++, c->crashed_goroutine);
	sqlite3_bind_int64(st, i++, c->goroutine_count);
	cw_sql_bind_text(st, i++, c->fault_location);
	cw_sql_bind_text(st, i++, c->fingerprint);
	cw_sql_bind_text(st, i++, cw_core_state_name(c->core_state));
	sqlite3_bind_int64(st, i++, c->core_size);
	sqlite3_bind_int64(st, i++, c->core_disk_size);
	cw_sql_bind_text(st, i++, c->core_path);
	cw_sql_bind_text(st, i++, c->exe_copy);
	cw_sql_bind_text(st, i++, cw_analysis_status_name(c->analysis_status));
	cw_sql_bind_text(st, i++, c->analysis_error);
	r = cw_sql_run(st);
	if (r < 0)
		return r;
	*id_out = cw_sql_last_id(db);
	return 0;
}

static int insert_analysis(struct cw_db *db, int64_t id, const char *json)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = cw_sql_prepare(db, "INSERT INTO analyses (crash_id, json) VALUES (?, ?)", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	cw_sql_bind_text(st, 2, json);
	return cw_sql_run(st);
}

int cw_crash_insert(struct cw_db *db, const struct cw_crash_record *c, int64_t *id_out)
{
	return cw_crash_insert_hooked(db, c, NULL, NULL, id_out);
}

int cw_crash_insert_hooked(struct cw_db *db, const struct cw_crash_record *c, cw_crash_insert_hook hook,
			   void *userdata, int64_t *id_out)
{
	if (!c->spool_id)
		return -EINVAL;
	int r = cw_db_begin(db);
	if (r < 0)
		return r;
	int64_t id = 0;
	r = cw_crash_exists(db, c->spool_id, &id);
	if (r != 0) {
		cw_db_rollback(db);
		if (r > 0 && id_out)
			*id_out = id;
		return r > 0 ? -EEXIST : r;
	}
	r = insert_row(db, c, &id);
	if (r == 0)
		r = cw_crash_container_store(db, id, &c->ctr);
	if (r == 0)
		r = cw_crash_libraries_store(db, id, c);
	if (r == 0 && c->analysis_json)
		r = insert_analysis(db, id, c->analysis_json);
	bool new_group = false;
	if (r == 0 && c->fingerprint)
		r = cw_group_add(db, c->fingerprint, id, c->time_usec, &new_group);
	(void)new_group;
	/* uploads: the outbox rows for this crash, in this same transaction */
	if (r == 0 && hook)
		r = hook(db, c, id, userdata);
	if (r == 0)
		r = cw_db_commit(db);
	if (r < 0) {
		cw_db_rollback(db);
		return r;
	}
	if (id_out)
		*id_out = id;
	return 0;
}

#define CRASH_COLUMNS \
	"c.id, c.spool_id, c.time_usec, c.host, c.boot_id, c.pid, c.tid, c.uid, c.gid, c.signal," \
	" c.restricted, c.exe, c.build_id, c.comm, c.cmdline, c.unit, c.container, c.go_version," \
	" c.go_module, c.message, c.crashed_goroutine, c.goroutine_count, c.fault_location," \
	" c.fingerprint, c.core_state, c.core_size, c.core_disk_size, c.core_path, c.exe_copy," \
	" c.analysis_status, c.analysis_error, " CONTAINER_COLUMNS
/* migration 6, in cw_crash_container_fields order */
#define CONTAINER_COLUMNS \
	"c.container_runtime, c.container_id, c.container_name, c.container_image, c.pod_uid," \
	" c.pod_name, c.pod_namespace, c.pod_qos_class, c.exe_in_container, c.exe_on_host"
#define CRASH_NCOLUMNS (31 + CW_CRASH_CONTAINER_NFIELDS)

static void row_to_crash(sqlite3_stmt *st, struct cw_crash_record *c, bool with_analysis)
{
	int i = 0;
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, i++);
	c->spool_id = cw_sql_text(st, i++);
	c->time_usec = sqlite3_column_int64(st, i++);
	c->host = cw_sql_text(st, i++);
	c->boot_id = cw_sql_text(st, i++);
	c->pid = sqlite3_column_int64(st, i++);
	c->tid = sqlite3_column_int64(st, i++);
	c->uid = sqlite3_column_int64(st, i++);
	c->gid = sqlite3_column_int64(st, i++);
	c->signal = sqlite3_column_int(st, i++);
	c->restricted = sqlite3_column_int(st, i++) != 0;
	c->exe = cw_sql_text(st, i++);
	c->build_id = cw_sql_text(st, i++);
	c->comm = cw_sql_text(st, i++);
	c->cmdline = cw_sql_text(st, i++);
	c->unit = cw_sql_text(st, i++);
	c->container = cw_sql_text(st, i++);
	c->go_version = cw_sql_text(st, i++);
	c->go_module = cw_sql_text(st, i++);
	c->message = cw_sql_text(st, i++);
	c->crashed_goroutine = sqlite3_column_int64(st, i++);
	c->goroutine_count = sqlite3_column_int64(st, i++);
	c->fault_location = cw_sql_text(st, i++);
	c->fingerprint = cw_sql_text(st, i++);
	enum cw_core_state cs = CW_CORE_METADATA_ONLY;
	(void)cw_core_state_from_name(cw_sql_text(st, i++), &cs);
	c->core_state = cs;
	c->core_size = sqlite3_column_int64(st, i++);
	c->core_disk_size = sqlite3_column_int64(st, i++);
	c->core_path = cw_sql_text(st, i++);
	c->exe_copy = cw_sql_text(st, i++);
	c->analysis_status = cw_analysis_status_from_name(cw_sql_text(st, i++));
	c->analysis_error = cw_sql_text(st, i++);
	for (size_t k = 0; k < CW_CRASH_CONTAINER_NFIELDS; k++)
		*cw_crash_container_at(&c->ctr, k) = cw_sql_text(st, i++);
	if (with_analysis)
		c->analysis_json = cw_sql_text(st, i++);
}

/* A listing reads only list_summary from the crashes_list covering index
 * (migrations 3 and 5; parsed in crash_summary.c). */
#define SUMMARY_COLUMNS "c.list_summary"

/* What a filtered query returns. */
enum query_shape {
	QUERY_RECORDS,           /* CRASH_COLUMNS (and the analysis JSON) */
	QUERY_SUMMARIES,         /* list_summary */
	QUERY_ANY_CONTAINER,     /* one row when a crash has a container */
};

/* A crash whose listing shows a container (its summary's container field,
 * coalesce(name, first 12 of id, ''), is not empty), written so that the
 * partial indexes of migration 6 answer it without a scan. */
#define HAS_CONTAINER(R) "(" R "container_name > '' OR (" R "container_name IS NULL AND " R "container_id > ''))"

/* Builds the WHERE clause; prepare_filtered() binds in the same order. */
static int build_query(const struct cw_crash_filter *f, enum query_shape shape, char **out)
{
	char where[1024] = "1";
	size_t n = strlen(where);
#define ADD(s) do { n += (size_t)snprintf(where + n, sizeof(where) - n, " AND %s", (s)); } while (0)
	if (f->id > 0)
		ADD("c.id = ?");
	if (f->pid > 0)
		ADD("c.pid = ?");
	if (f->match && strchr(f->match, '/'))
		ADD("c.exe = ?");
	else if (f->match)
		ADD("(c.comm = ? OR c.exe LIKE '%/' || ? ESCAPE '\\')");
	if (f->fingerprint)
		ADD("c.fingerprint LIKE ? || '%' ESCAPE '\\'");
	if (f->since_usec)
		ADD("c.time_usec >= ?");
	if (f->until_usec)
		ADD("c.time_usec <= ?");
	if (f->restrict_uid)
		ADD("c.uid = ? AND c.restricted = 0");
	if (f->container)
		ADD("(c.container_name = ? OR c.container_id LIKE ? || '%' ESCAPE '\\')");
	if (f->pod)
		ADD("(c.pod_name = ? OR c.pod_uid = ?)");
	if (f->pod_namespace)
		ADD("c.pod_namespace = ?");
	if (f->unit)
		ADD("c.unit = ?");
#undef ADD
	const char *inner_order = f->newest ? " ORDER BY c.time_usec DESC, c.id DESC LIMIT ?" : "";
	int r;
	bool summary = shape == QUERY_SUMMARIES;
	if (shape == QUERY_ANY_CONTAINER && !f->newest)
		r = asprintf(out, "SELECT 1 FROM crashes c WHERE %s AND " HAS_CONTAINER("c.") " LIMIT 1", where);
	else if (shape == QUERY_ANY_CONTAINER)
		r = asprintf(out, "SELECT 1 FROM (SELECT c.container_name, c.container_id FROM crashes c WHERE %s%s)"
			     " WHERE " HAS_CONTAINER("") " LIMIT 1", where, inner_order);
	else if (summary && !f->newest)
		r = asprintf(out, "SELECT " SUMMARY_COLUMNS " FROM crashes c WHERE %s ORDER BY c.time_usec, c.id",
			     where);
	else if (summary)
		r = asprintf(out, "SELECT list_summary FROM (SELECT " SUMMARY_COLUMNS ", c.time_usec, c.id"
			     " FROM crashes c WHERE %s%s) ORDER BY time_usec, id", where, inner_order);
	else if (f->with_analysis)
		r = asprintf(out, "SELECT * FROM (SELECT " CRASH_COLUMNS ", a.json FROM crashes c"
			     " LEFT JOIN analyses a ON a.crash_id = c.id WHERE %s%s)"
			     " ORDER BY time_usec, id", where, inner_order);
	else
		r = asprintf(out, "SELECT * FROM (SELECT " CRASH_COLUMNS " FROM crashes c WHERE %s%s)"
			     " ORDER BY time_usec, id", where, inner_order);
	return r < 0 ? -ENOMEM : 0;
}

/* LIKE patterns get their wildcards escaped. */
static char *like_escape(const char *s)
{
	char *out = malloc(strlen(s) * 2 + 1);
	if (!out)
		return NULL;
	char *p = out;
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			*p++ = '\\';
		*p++ = *s;
	}
	*p = '\0';
	return out;
}

/* The filtered query, its parameters bound (summary: list_summary only). */
static int prepare_filtered(struct cw_db *db, const struct cw_crash_filter *f, enum query_shape shape,
			    sqlite3_stmt **out)
{
	_cleanup_free_ char *sql = NULL;
	int r = build_query(f, shape, &sql);
	if (r < 0)
		return r;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	r = cw_sql_prepare(db, sql, &st);
	if (r < 0)
		return r;
	int i = 1;
	if (f->id > 0)
		sqlite3_bind_int64(st, i++, f->id);
	if (f->pid > 0)
		sqlite3_bind_int64(st, i++, f->pid);
	if (f->match && strchr(f->match, '/'))
		cw_sql_bind_text(st, i++, f->match);
	else if (f->match) {
		_cleanup_free_ char *match_esc = like_escape(f->match);
		if (!match_esc)
			return -ENOMEM;
		cw_sql_bind_text(st, i++, f->match);
		sqlite3_bind_text(st, i++, match_esc, -1, SQLITE_TRANSIENT);
	}
	if (f->fingerprint) {
		_cleanup_free_ char *fp_esc = like_escape(f->fingerprint);
		if (!fp_esc)
			return -ENOMEM;
		sqlite3_bind_text(st, i++, fp_esc, -1, SQLITE_TRANSIENT);
	}
	if (f->since_usec)
		sqlite3_bind_int64(st, i++, f->since_usec);
	if (f->until_usec)
		sqlite3_bind_int64(st, i++, f->until_usec);
	if (f->restrict_uid)
		sqlite3_bind_int64(st, i++, f->uid);
	if (f->container) {
		_cleanup_free_ char *esc = like_escape(f->container);
		if (!esc)
			return -ENOMEM;
		cw_sql_bind_text(st, i++, f->container);
		sqlite3_bind_text(st, i++, esc, -1, SQLITE_TRANSIENT);
	}
	if (f->pod) {
		cw_sql_bind_text(st, i++, f->pod);
		cw_sql_bind_text(st, i++, f->pod);
	}
	if (f->pod_namespace)
		cw_sql_bind_text(st, i++, f->pod_namespace);
	if (f->unit)
		cw_sql_bind_text(st, i++, f->unit);
	if (f->newest)
		sqlite3_bind_int64(st, i++, (sqlite3_int64)f->newest);
	*out = st;
	st = NULL;
	return 0;
}

int cw_crashes_foreach(struct cw_db *db, const struct cw_crash_filter *f, cw_crash_cb cb, void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare_filtered(db, f, QUERY_RECORDS, &st);
	if (r < 0)
		return r;
	while ((r = cw_sql_step(st)) > 0) {
		struct cw_crash_record c;
		row_to_crash(st, &c, f->with_analysis);
		/* what info and debug show: the kept libraries too */
		struct cw_crash_libraries libs = { 0 };
		if (f->with_analysis) {
			r = cw_crash_libraries_list(db, c.id, &libs);
			if (r < 0)
				return r;
			c.libraries = libs.v;
			c.n_libraries = libs.n;
			c.libraries_truncated = libs.truncated;
		}
		int k = cb(&c, userdata);
		cw_crash_libraries_clear(&libs);
		if (k != 0)
			return k;
	}
	return r;
}

int cw_crashes_foreach_summary(struct cw_db *db, const struct cw_crash_filter *f, cw_crash_summary_cb cb,
			       void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare_filtered(db, f, QUERY_SUMMARIES, &st);
	if (r < 0)
		return r;
	while ((r = cw_sql_step(st)) > 0) {
		/* the stored bytes: column_text would copy each one to add a NUL */
		const char *text = sqlite3_column_blob(st, 0);
		int len = sqlite3_column_bytes(st, 0);
		struct cw_crash_summary s;
		if (!text || len <= 0 || cw_crash_summary_parse(text, (size_t)len, &s) < 0)
			continue;
		int k = cb(&s, userdata);
		if (k != 0)
			return k;
	}
	return r;
}

int cw_crashes_any_container(struct cw_db *db, const struct cw_crash_filter *f, bool *out)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare_filtered(db, f, QUERY_ANY_CONTAINER, &st);
	if (r < 0)
		return r;
	r = cw_sql_step(st);
	if (r < 0)
		return r;
	*out = r > 0;
	return 0;
}

int cw_crashes_foreach_stored_core(struct cw_db *db, cw_crash_cb cb, void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = cw_sql_prepare(db, "SELECT " CRASH_COLUMNS " FROM crashes c WHERE c.core_path IS NOT NULL"
			       " ORDER BY c.time_usec, c.id", &st);
	if (r < 0)
		return r;
	while ((r = cw_sql_step(st)) > 0) {
		struct cw_crash_record c;
		row_to_crash(st, &c, false);
		int k = cb(&c, userdata);
		if (k != 0)
			return k;
	}
	return r;
}

int cw_crash_mark_core_removed(struct cw_db *db, int64_t id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = cw_sql_prepare(db, "UPDATE crashes SET core_state = 'removed', core_path = NULL,"
			       " core_disk_size = 0 WHERE id = ?", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	r = cw_sql_run(st);
	if (r < 0)
		return r;
	return cw_sql_changes(db) == 1 ? 0 : -ENOENT;
}

int cw_store_stats(struct cw_db *db, bool restrict_uid, int64_t uid, struct cw_store_stats *out)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	const char *sql = restrict_uid ?
		"SELECT count(*), count(DISTINCT fingerprint), count(core_path), total(core_disk_size),"
		" total(analysis_status = 'failed'), max(time_usec) FROM crashes WHERE uid = ? AND restricted = 0" :
		"SELECT count(*), count(DISTINCT fingerprint), count(core_path), total(core_disk_size),"
		" total(analysis_status = 'failed'), max(time_usec) FROM crashes";
	int r = cw_sql_prepare(db, sql, &st);
	if (r < 0)
		return r;
	if (restrict_uid)
		sqlite3_bind_int64(st, 1, uid);
	r = cw_sql_row(st);
	if (r < 0)
		return r;
	out->crashes = sqlite3_column_int64(st, 0);
	out->groups = sqlite3_column_int64(st, 1);
	out->cores_stored = sqlite3_column_int64(st, 2);
	out->cores_disk_bytes = sqlite3_column_int64(st, 3);
	out->analyses_failed = sqlite3_column_int64(st, 4);
	out->newest_usec = sqlite3_column_int64(st, 5);
	return 0;
}

int cw_crashes_newest_usec(struct cw_db *db, int64_t *out)
{
	return cw_sql_int64(db, "SELECT max(time_usec) FROM crashes", out);
}

int cw_crashes_newest_seen_usec(struct cw_db *db, bool restrict_uid, int64_t uid, int64_t *out)
{
	if (!restrict_uid)
		return cw_crashes_newest_usec(db, out);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = cw_sql_prepare(db, "SELECT coalesce((SELECT time_usec FROM crashes WHERE uid = ? AND restricted = 0"
			       " ORDER BY time_usec DESC LIMIT 1), 0)", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, uid);
	r = cw_sql_row(st);
	if (r < 0)
		return r;
	*out = sqlite3_column_int64(st, 0);
	return 0;
}
