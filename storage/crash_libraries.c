/* See crash_libraries.h. */
#include "config.h"
#include "storage/crash_libraries.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "storage/sql.h"

void cw_crash_libraries_clear(struct cw_crash_libraries *l)
{
	for (size_t i = 0; l->v && i < l->n; i++) {
		free((char *)l->v[i].path);
		free((char *)l->v[i].build_id);
		free((char *)l->v[i].copy);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Appends copies of path, build_id, copy (the latter two may be NULL). */
static int push(struct cw_crash_libraries *l, const char *path, const char *build_id, const char *copy)
{
	struct cw_crash_library *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	struct cw_crash_library *e = &v[l->n];
	e->path = strdup(path);
	e->build_id = build_id ? strdup(build_id) : NULL;
	e->copy = copy ? strdup(copy) : NULL;
	l->n++; /* counted before the check: clear frees what was copied */
	if (!e->path || (build_id && !e->build_id) || (copy && !e->copy))
		return -ENOMEM;
	return 0;
}

int cw_crash_libraries_list(struct cw_db *db, int64_t crash_id, struct cw_crash_libraries *out)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	memset(out, 0, sizeof(*out));
	/* the crash's row leads, so that truncated is read without a library */
	int r = cw_sql_prepare(db, "SELECT c.libraries_truncated, l.path, l.build_id, l.copy FROM crashes c"
			       " LEFT JOIN crash_libraries l ON l.crash_id = c.id WHERE c.id = ? ORDER BY l.seq",
			       &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, crash_id);
	while ((r = cw_sql_step(st)) > 0) {
		out->truncated = sqlite3_column_int(st, 0) != 0;
		const char *path = cw_sql_text(st, 1);
		if (!path)
			continue; /* no library: the LEFT JOIN's one row */
		r = push(out, path, cw_sql_text(st, 2), cw_sql_text(st, 3));
		if (r < 0)
			break;
	}
	if (r < 0)
		cw_crash_libraries_clear(out);
	return r;
}

int cw_crash_libraries_store(struct cw_db *db, int64_t id, const struct cw_crash_record *c)
{
	if (c->n_libraries && !c->libraries)
		return -EINVAL;
	for (size_t i = 0; i < c->n_libraries; i++)
		if (!c->libraries[i].path)
			return -EINVAL;
	int r;
	if (c->libraries_truncated) {
		_cleanup_stmt_ sqlite3_stmt *t = NULL;
		r = cw_sql_prepare(db, "UPDATE crashes SET libraries_truncated = 1 WHERE id = ?", &t);
		if (r < 0)
			return r;
		sqlite3_bind_int64(t, 1, id);
		r = cw_sql_run(t);
		if (r < 0)
			return r;
	}
	if (!c->n_libraries)
		return 0;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	r = cw_sql_prepare(db, "INSERT INTO crash_libraries (crash_id, seq, path, build_id, copy)"
			   " VALUES (?, ?, ?, ?, ?)", &st);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_libraries; i++) {
		const struct cw_crash_library *l = &c->libraries[i];
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		cw_sql_bind_text(st, 3, l->path);
		cw_sql_bind_text(st, 4, l->build_id);
		cw_sql_bind_text(st, 5, l->copy);
		r = cw_sql_run(st);
		if (r < 0)
			return r;
	}
	return 0;
}

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

int cw_crash_libraries_to_json(struct json_object *o, const struct cw_crash_record *c)
{
	if (!c->n_libraries && !c->libraries_truncated)
		return 0;
	struct json_object *arr = json_object_new_array();
	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; c->libraries && i < c->n_libraries; i++) {
		const struct cw_crash_library *l = &c->libraries[i];
		struct json_object *e = json_object_new_object();
		if (!e || json_object_array_add(arr, e) < 0) {
			json_object_put(e);
			json_object_put(arr);
			return -ENOMEM;
		}
		json_object_object_add(e, "path", str_or_null(l->path));
		json_object_object_add(e, "build_id", str_or_null(l->build_id));
		json_object_object_add(e, "copy", str_or_null(l->copy));
	}
	if (json_object_object_add(o, "libraries", arr) < 0) {
		json_object_put(arr);
		return -ENOMEM;
	}
	return json_object_object_add(o, "libraries_truncated", json_object_new_boolean(c->libraries_truncated)) < 0 ?
		-ENOMEM : 0;
}

static const char *get_str(struct json_object *o, const char *k)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int cw_crash_libraries_from_json(struct json_object *o, struct cw_crash_libraries *out)
{
	struct json_object *arr, *t;
	memset(out, 0, sizeof(*out));
	out->truncated = json_object_object_get_ex(o, "libraries_truncated", &t) &&
			 json_object_is_type(t, json_type_boolean) && json_object_get_boolean(t);
	if (!json_object_object_get_ex(o, "libraries", &arr) || !json_object_is_type(arr, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(e, json_type_object) || !get_str(e, "path"))
			continue;
		int r = push(out, get_str(e, "path"), get_str(e, "build_id"), get_str(e, "copy"));
		if (r < 0) {
			cw_crash_libraries_clear(out);
			return r;
		}
	}
	return 0;
}
