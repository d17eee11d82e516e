/* See crash_container.h. */
#include "config.h"
#include "storage/crash_container.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>

#include "storage/sql.h"

int cw_crash_container_store(struct cw_db *db, int64_t id, const struct cw_crash_container *k)
{
	char sql[1024];
	size_t n = (size_t)snprintf(sql, sizeof(sql), "UPDATE crashes SET ");
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (!cw_crash_container_any(k))
		return 0;
	for (size_t i = 0; i < CW_CRASH_CONTAINER_NFIELDS; i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s%s = ?", i ? ", " : "",
				      cw_crash_container_fields[i].column);
	snprintf(sql + n, sizeof(sql) - n, " WHERE id = ?");
	int r = cw_sql_prepare(db, sql, &st);
	if (r < 0)
		return r;
	for (size_t i = 0; i < CW_CRASH_CONTAINER_NFIELDS; i++)
		cw_sql_bind_text(st, (int)i + 1, cw_crash_container_get(k, i));
	sqlite3_bind_int64(st, CW_CRASH_CONTAINER_NFIELDS + 1, id);
	return cw_sql_run(st);
}

int cw_crash_container_to_json(struct json_object *o, const struct cw_crash_container *k)
{
	struct json_object *ci = NULL;
	if (cw_crash_container_any(k)) {
		ci = json_object_new_object();
		if (!ci)
			return -ENOMEM;
		for (size_t i = 0; i < CW_CRASH_CONTAINER_NFIELDS; i++) {
			const char *v = cw_crash_container_get(k, i);
			json_object_object_add(ci, cw_crash_container_fields[i].key, v ? json_object_new_string(v) : NULL);
		}
	}
	return json_object_object_add(o, "container_info", ci) < 0 ? -ENOMEM : 0;
}

void cw_crash_container_from_json(struct json_object *o, struct cw_crash_container *k)
{
	struct json_object *ci, *v;
	if (!json_object_object_get_ex(o, "container_info", &ci) || !json_object_is_type(ci, json_type_object))
		return;
	for (size_t i = 0; i < CW_CRASH_CONTAINER_NFIELDS; i++)
		if (json_object_object_get_ex(ci, cw_crash_container_fields[i].key, &v) &&
		    json_object_is_type(v, json_type_string))
			*cw_crash_container_at(k, i) = json_object_get_string(v);
}
