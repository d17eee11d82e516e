/* Parsing ID.meta: bounded, every field type-checked, unknown fields ignored. */
#include "config.h"
#include "daemon/spool_record.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/spool_id.h"
#include "storage/crash_container.h"

#define CMDLINE_MAX 4096

static struct json_object *get(struct json_object *o, const char *k, enum json_type t)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static int dup_str(struct json_object *o, const char *k, char **out)
{
	struct json_object *v = get(o, k, json_type_string);
	if (!v)
		return 0;
	*out = strndup(json_object_get_string(v), CMDLINE_MAX);
	return *out ? 0 : -ENOMEM;
}

static bool get_int(struct json_object *o, const char *k, int64_t min, int64_t max, int64_t *out)
{
	struct json_object *v = get(o, k, json_type_int);
	if (!v)
		return false;
	int64_t x = json_object_get_int64(v);
	if (x < min || x > max)
		return false;
	*out = x;
	return true;
}

/* A number within [min, max], or null / absent (then 0). */
static bool int_or_null(struct json_object *o, const char *k, int64_t min, int64_t max, int64_t *out)
{
	struct json_object *v;
	*out = 0;
	if (!json_object_object_get_ex(o, k, &v) || !v)
		return true;
	return get_int(o, k, min, max, out);
}

static bool get_bool(struct json_object *o, const char *k)
{
	struct json_object *v = get(o, k, json_type_boolean);
	return v && json_object_get_boolean(v);
}

static int join_cmdline(struct json_object *arr, char **out)
{
	if (!arr)
		return 0;
	char *buf = malloc(CMDLINE_MAX + 1);
	if (!buf)
		return -ENOMEM;
	size_t n = 0, len = json_object_array_length(arr);
	for (size_t i = 0; i < len && n < CMDLINE_MAX; i++) {
		struct json_object *a = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(a, json_type_string))
			continue;
		const char *s = json_object_get_string(a);
		if (i > 0 && n < CMDLINE_MAX)
			buf[n++] = ' ';
		for (; *s && n < CMDLINE_MAX; s++)
			buf[n++] = *s;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/* uploads (IncludeEnvironment=): the record's "environment" object as
 * "KEY=value" strings, bounded; anything else in it is skipped */
#define ENV_MAX_VARS 16
#define ENV_MAX_LEN 4096
static int dup_environment(struct json_object *obj, char ***out)
{
	if (!obj)
		return 0;
	char **env = calloc(ENV_MAX_VARS + 1, sizeof(*env));
	if (!env)
		return -ENOMEM;
	size_t n = 0;
	json_object_object_foreach(obj, key, val) {
		if (n >= ENV_MAX_VARS)
			break;
		if (!json_object_is_type(val, json_type_string) || !*key || strchr(key, '=') ||
		    strlen(key) + (size_t)json_object_get_string_len(val) + 1 > ENV_MAX_LEN)
			continue;
		if (asprintf(&env[n], "%s=%s", key, json_object_get_string(val)) < 0) {
			env[n] = NULL;
			for (size_t i = 0; i < n; i++)
				free(env[i]);
			free(env);
			return -ENOMEM;
		}
		n++;
	}
	*out = env;
	return 0;
}

static bool only_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* A build id as the collector writes it: 2 to 128 lower-case hex digits. */
static bool valid_build_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return n >= 2 && n <= 128 && s[n] == '\0';
}

/* "executables/" followed by a hex build id: nothing else names a kept copy */
static bool valid_copy(const char *s)
{
	static const char prefix[] = "executables/";
	return strncmp(s, prefix, sizeof(prefix) - 1) == 0 && valid_build_id(s + sizeof(prefix) - 1);
}

/* A library's path as the process saw it: absolute, no NUL inside, at
 * most PATH_MAX bytes. */
static bool valid_library_path(struct json_object *p)
{
	const char *s = json_object_get_string(p);
	size_t n = (size_t)json_object_get_string_len(p);
	return n > 1 && n < 4096 && s[0] == '/' && strlen(s) == n;
}

/* The "libraries" array, at most CW_SPOOL_LIBRARIES_MAX, entries without
 * a valid copy skipped (an unusable path or build id is dropped alone). */
static int dup_libraries(struct json_object *arr, struct cw_spool_record *out)
{
	size_t n = arr ? json_object_array_length(arr) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		bool obj = e && json_object_is_type(e, json_type_object);
		struct json_object *copy = obj ? get(e, "copy", json_type_string) : NULL;
		if (!copy || !valid_copy(json_object_get_string(copy)))
			continue;
		if (out->n_libraries == CW_SPOOL_LIBRARIES_MAX) {
			out->libraries_truncated = true;
			break;
		}
		struct json_object *path = get(e, "path", json_type_string);
		struct json_object *bid = get(e, "build_id", json_type_string);
		size_t k = out->n_libraries++; /* counted first: clear frees what was copied */
		out->library_copies[k] = strdup(json_object_get_string(copy));
		if (path && valid_library_path(path))
			out->library_paths[k] = strdup(json_object_get_string(path));
		if (bid && valid_build_id(json_object_get_string(bid)))
			out->library_build_ids[k] = strdup(json_object_get_string(bid));
		if (!out->library_copies[k] || (path && valid_library_path(path) && !out->library_paths[k]) ||
		    (bid && valid_build_id(json_object_get_string(bid)) && !out->library_build_ids[k]))
			return -ENOMEM;
	}
	return 0;
}

int cw_spool_record_parse(const char *buf, size_t len, struct cw_spool_record *out)
{
	memset(out, 0, sizeof(*out));
	if (len == 0 || len > CW_SPOOL_RECORD_MAX)
		return -EBADMSG;
	struct json_tokener *tok = json_tokener_new_ex(64);
	if (!tok)
		return -ENOMEM;
	struct json_object *root = json_tokener_parse_ex(tok, buf, (int)len);
	bool complete = json_tokener_get_error(tok) == json_tokener_success &&
			only_space(buf + json_tokener_get_parse_end(tok), len - json_tokener_get_parse_end(tok));
	json_tokener_free(tok);
	if (!root || !complete || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return -EBADMSG;
	}
	int r = -EBADMSG;
	struct json_object *schema = get(root, "schema", json_type_string);
	struct json_object *id = get(root, "id", json_type_string);
	int64_t sig = 0;
	if (!schema || strcmp(json_object_get_string(schema), "crashwatch.record.v1") != 0 || !id ||
	    !cw_spool_id_valid(json_object_get_string(id), (size_t)json_object_get_string_len(id)) ||
	    !get_int(root, "time_usec", 0, INT64_MAX, &out->time_usec) ||
	    !get_int(root, "pid", 1, INT32_MAX, &out->pid) ||
	    !int_or_null(root, "signal", 0, 128, &sig))
		goto out;
	out->signal = (int)sig; /* 0: unknown (socket mode), the analysis knows */
	if (!get_int(root, "tid", 1, INT32_MAX, &out->tid))
		out->tid = out->pid;
	out->restricted = get_bool(root, "restricted");
	if (!get_int(root, "uid", 0, UINT32_MAX, &out->uid) || !get_int(root, "gid", 0, UINT32_MAX, &out->gid)) {
		/* owner unknown: root's only */
		struct json_object *u = NULL, *g = NULL;
		if ((json_object_object_get_ex(root, "uid", &u) && u) ||
		    (json_object_object_get_ex(root, "gid", &g) && g))
			goto out; /* present but not a valid id */
		out->uid = out->gid = 0;
		out->restricted = true;
	}
	out->container = get_bool(root, "container") ? strdup("yes") : NULL;
	r = -ENOMEM;
	out->id = strdup(json_object_get_string(id));
	if (!out->id || dup_str(root, "hostname", &out->host) < 0 ||
	    dup_str(root, "boot_id", &out->boot_id) < 0 || dup_str(root, "comm", &out->comm) < 0 ||
	    dup_str(root, "exe", &out->exe) < 0 || dup_str(root, "build_id", &out->build_id) < 0 ||
	    dup_str(root, "executable_copy", &out->executable_copy) < 0 ||
	    dup_str(root, "unit", &out->unit) < 0 ||
	    join_cmdline(get(root, "cmdline", json_type_array), &out->cmdline) < 0 ||
	    dup_environment(get(root, "environment", json_type_object), &out->environment) < 0 ||
	    dup_libraries(get(root, "libraries", json_type_array), out) < 0)
		goto out;
	if (get_bool(root, "libraries_truncated"))
		out->libraries_truncated = true;
	struct json_object *ci = get(root, "container_info", json_type_object);
	for (size_t i = 0; ci && i < CW_CRASH_CONTAINER_NFIELDS; i++)
		if (dup_str(ci, cw_crash_container_fields[i].key, &out->container_info[i]) < 0)
			goto out;
	struct json_object *core = get(root, "core", json_type_object);
	if (core) {
		out->core_stored = get_bool(core, "stored");
		out->core_truncated = get_bool(core, "truncated");
		if (!get_int(core, "stored_size", 0, INT64_MAX, &out->core_size))
			(void)get_int(core, "size", 0, INT64_MAX, &out->core_size);
		(void)get_int(core, "compressed_size", 0, INT64_MAX, &out->core_compressed_size);
		if (dup_str(core, "dropped_reason", &out->dropped_reason) < 0)
			goto out;
	}
	r = 0;
out:
	json_object_put(root);
	if (r < 0)
		cw_spool_record_clear(out);
	return r;
}

void cw_spool_record_clear(struct cw_spool_record *r)
{
	free(r->id);
	free(r->host);
	free(r->boot_id);
	free(r->comm);
	free(r->exe);
	free(r->build_id);
	free(r->executable_copy);
	for (size_t i = 0; i < r->n_libraries; i++) {
		free(r->library_copies[i]);
		free(r->library_paths[i]);
		free(r->library_build_ids[i]);
	}
	free(r->cmdline);
	for (size_t i = 0; r->environment && r->environment[i]; i++)
		free(r->environment[i]);
	free(r->environment);
	free(r->unit);
	free(r->container);
	for (size_t i = 0; i < CW_CRASH_CONTAINER_NFIELDS; i++)
		free(r->container_info[i]);
	free(r->dropped_reason);
	memset(r, 0, sizeof(*r));
}
