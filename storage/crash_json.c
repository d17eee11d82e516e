/* Crash records <-> JSON (the --json output and the query socket's wire format). */
#include "config.h"
#include "storage/crash_json.h"
#include "storage/crash_container.h"
#include "storage/crash_libraries.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

struct json_object *cw_crash_to_json(const struct cw_crash_record *c, bool with_analysis)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	add_int(o, "id", c->id);
	add_str(o, "spool_id", c->spool_id);
	add_int(o, "time", c->time_usec / 1000000);
	add_int(o, "time_usec", c->time_usec);
	add_str(o, "host", c->host);
	add_str(o, "boot_id", c->boot_id);
	add_int(o, "pid", c->pid);
	add_int(o, "tid", c->tid);
	add_int(o, "uid", c->uid);
	add_int(o, "gid", c->gid);
	add_int(o, "signal", c->signal);
	json_object_object_add(o, "restricted", json_object_new_boolean(c->restricted));
	add_str(o, "exe", c->exe);
	add_str(o, "build_id", c->build_id);
	add_str(o, "comm", c->comm);
	add_str(o, "cmdline", c->cmdline);
	add_str(o, "unit", c->unit);
	add_str(o, "container", c->container);
	add_str(o, "go_version", c->go_version);
	add_str(o, "go_module", c->go_module);
	add_str(o, "message", c->message);
	add_int(o, "crashed_goroutine", c->crashed_goroutine);
	add_int(o, "goroutine_count", c->goroutine_count);
	add_str(o, "fault_location", c->fault_location);
	add_str(o, "fingerprint", c->fingerprint);
	add_str(o, "core_state", cw_core_state_name(c->core_state));
	add_int(o, "core_size", c->core_size);
	add_int(o, "core_disk_size", c->core_disk_size);
	add_str(o, "exe_copy", c->exe_copy);
	add_str(o, "analysis_status", cw_analysis_status_name(c->analysis_status));
	add_str(o, "analysis_error", c->analysis_error);
	if (cw_crash_container_to_json(o, &c->ctr) < 0 || cw_crash_libraries_to_json(o, c) < 0) {
		json_object_put(o);
		return NULL;
	}
	if (with_analysis)
		json_object_object_add(o, "analysis",
				       c->analysis_json ? json_tokener_parse(c->analysis_json) : NULL);
	return o;
}

static const char *get_str(struct json_object *o, const char *k)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t get_int(struct json_object *o, const char *k)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

int cw_crash_from_json(struct json_object *o, struct cw_crash_record *c)
{
	memset(c, 0, sizeof(*c));
	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	c->id = get_int(o, "id");
	if (c->id <= 0)
		return -EINVAL;
	c->spool_id = get_str(o, "spool_id");
	c->time_usec = get_int(o, "time_usec");
	c->host = get_str(o, "host");
	c->boot_id = get_str(o, "boot_id");
	c->pid = get_int(o, "pid");
	c->tid = get_int(o, "tid");
	c->uid = get_int(o, "uid");
	c->gid = get_int(o, "gid");
	c->signal = (int)get_int(o, "signal");
	struct json_object *v;
	c->restricted = json_object_object_get_ex(o, "restricted", &v) && json_object_get_boolean(v);
	c->exe = get_str(o, "exe");
	c->build_id = get_str(o, "build_id");
	c->comm = get_str(o, "comm");
	c->cmdline = get_str(o, "cmdline");
	c->unit = get_str(o, "unit");
	c->container = get_str(o, "container");
	c->go_version = get_str(o, "go_version");
	c->go_module = get_str(o, "go_module");
	c->message = get_str(o, "message");
	c->crashed_goroutine = get_int(o, "crashed_goroutine");
	c->goroutine_count = get_int(o, "goroutine_count");
	c->fault_location = get_str(o, "fault_location");
	c->fingerprint = get_str(o, "fingerprint");
	enum cw_core_state cs = CW_CORE_METADATA_ONLY;
	(void)cw_core_state_from_name(get_str(o, "core_state"), &cs);
	c->core_state = cs;
	c->core_size = get_int(o, "core_size");
	c->core_disk_size = get_int(o, "core_disk_size");
	c->exe_copy = get_str(o, "exe_copy");
	c->analysis_status = cw_analysis_status_from_name(get_str(o, "analysis_status"));
	c->analysis_error = get_str(o, "analysis_error");
	cw_crash_container_from_json(o, &c->ctr);
	return 0;
}

struct json_object *cw_group_to_json(const struct cw_group *g)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	add_str(o, "fingerprint", g->fingerprint);
	add_int(o, "count", g->count);
	add_int(o, "first_seen", g->first_usec / 1000000);
	add_int(o, "first_usec", g->first_usec);
	add_int(o, "last_seen", g->last_usec / 1000000);
	add_int(o, "last_usec", g->last_usec);
	add_int(o, "example_id", g->example_id);
	add_str(o, "exe", g->exe);
	add_str(o, "message", g->message);
	return o;
}

int cw_group_from_json(struct json_object *o, struct cw_group *g)
{
	memset(g, 0, sizeof(*g));
	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	g->fingerprint = get_str(o, "fingerprint");
	if (!g->fingerprint)
		return -EINVAL;
	g->count = get_int(o, "count");
	g->first_usec = get_int(o, "first_usec");
	g->last_usec = get_int(o, "last_usec");
	g->example_id = get_int(o, "example_id");
	g->exe = get_str(o, "exe");
	g->message = get_str(o, "message");
	return 0;
}

static int add_loop_json(const struct cw_crash_loop *l, void *userdata)
{
	struct json_object *arr = userdata, *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	add_str(o, "fingerprint", l->fingerprint);
	add_str(o, "exe", l->exe);
	add_str(o, "build_id", l->build_id);
	add_int(o, "count", l->count);
	add_int(o, "cores_stored", l->cores);
	add_int(o, "cores_dropped", l->dropped);
	add_int(o, "first_usec", l->first_usec);
	add_int(o, "last_usec", l->last_usec);
	add_int(o, "example_id", l->example_id);
	add_int(o, "last_id", l->last_id);
	json_object_object_add(o, "reported", json_object_new_boolean(l->reported));
	json_object_array_add(arr, o);
	return 0;
}

int cw_crash_loops_json(struct cw_db *db, bool restrict_uid, int64_t uid, int64_t since_usec,
			struct json_object **out)
{
	struct json_object *arr = json_object_new_array();
	if (!arr)
		return -ENOMEM;
	int r = cw_loops_foreach(db, restrict_uid, uid, since_usec, false, add_loop_json, arr);
	if (r < 0) {
		json_object_put(arr);
		return r;
	}
	*out = arr;
	return 0;
}

int cw_crash_loops_shown_json(struct cw_db *db, bool restrict_uid, int64_t uid, struct json_object **out)
{
	int64_t newest;
	int r = cw_crashes_newest_seen_usec(db, restrict_uid, uid, &newest);
	if (r < 0)
		return r;
	return cw_crash_loops_json(db, restrict_uid, uid, newest - CW_CRASH_LOOPS_SHOWN_USEC, out);
}
