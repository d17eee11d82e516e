/* The .meta record as JSON. Strings from the crashing process are hostile:
 * invalid UTF-8 is replaced by U+FFFD so the record is always valid JSON. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "collector/record.h"
#include "common/cleanup.h"
#include "common/json_util.h"
#include "common/signal_name.h"
#include "common/utf8.h"


static json_object *jstr(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s), i = 0, o = 0;
	_cleanup_free_ char *clean = malloc(n * 3 + 1);
	if (!clean)
		return NULL;
	while (i < n) {
		size_t l = cw_utf8_seq_len((const unsigned char *)s + i, n - i);
		if (l == 0) {
			memcpy(clean + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(clean + o, s + i, l);
			o += l;
			i += l;
		}
	}
	clean[o] = 0;
	return json_object_new_string_len(clean, (int)o);
}

static json_object *jint_or_null(int64_t v) { return v < 0 ? NULL : json_object_new_int64(v); }

static json_object *jhex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	return json_object_new_string(b);
}

static int add(json_object *o, const char *key, json_object *v)
{
	return json_object_object_add(o, key, v) < 0 ? -ENOMEM : 0;
}

static json_object *mappings_json(const struct cw_procinfo *p)
{
	json_object *arr = json_object_new_array();
	if (!arr)
		return NULL;
	for (size_t i = 0; i < p->n_maps; i++) {
		const struct cw_mapping *m = &p->maps[i];
		json_object *e = json_object_new_object();
		if (!e)
			break;
		add(e, "start", jhex(m->start));
		add(e, "end", jhex(m->end));
		add(e, "perms", m->perms[0] ? json_object_new_string(m->perms) : NULL);
		add(e, "offset", jhex(m->offset));
		add(e, "path", jstr(m->path));
		json_object_array_add(arr, e);
	}
	return arr;
}

/* null outside a container; inside, what is known, nulls for the rest, and
 * "unknown" saying why. */
static json_object *container_json(const struct cw_procinfo *p)
{
	const struct cw_container_info *ci = &p->container_info;
	if (!ci->present && !ci->exe_in_container && !ci->unknown[0])
		return NULL;
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	add(o, "runtime", jstr(ci->cg.runtime));
	add(o, "id", ci->cg.id[0] ? jstr(ci->cg.id) : NULL);
	add(o, "name", jstr(ci->name));
	add(o, "image", jstr(ci->image));
	add(o, "kubernetes", json_object_new_boolean(ci->cg.kubernetes));
	add(o, "pod_uid", ci->cg.pod_uid[0] ? jstr(ci->cg.pod_uid) : NULL);
	add(o, "pod_name", jstr(ci->pod_name));
	add(o, "pod_name_source", jstr(ci->pod_name_source));
	add(o, "pod_namespace", jstr(ci->pod_namespace));
	add(o, "qos_class", jstr(ci->cg.qos_class));
	add(o, "exe_in_container", jstr(ci->exe_in_container));
	add(o, "exe_on_host", jstr(ci->exe_on_host));
	add(o, "cgroup_delegated", json_object_new_boolean(ci->cg.delegated));
	add(o, "runtime_state", jstr(ci->runtime_state));
	add(o, "unknown", ci->unknown[0] ? jstr(ci->unknown) : NULL);
	return o;
}

static json_object *proc_json_into(json_object *o, const struct cw_procinfo *p)
{
	json_object *cmd = NULL, *ns = NULL, *env = NULL;

	add(o, "exe", jstr(p->exe));
	add(o, "build_id", jstr(p->build_id));
	if (p->cmdline) {
		cmd = json_object_new_array();
		for (size_t i = 0; cmd && i < p->n_cmdline; i++)
			json_object_array_add(cmd, jstr(p->cmdline[i]));
	}
	add(o, "cmdline", cmd);
	add(o, "cwd", jstr(p->cwd));
	add(o, "cgroup", jstr(p->cgroup));
	add(o, "unit", jstr(p->unit));
	add(o, "user_unit", jstr(p->user_unit));
	if (p->from_proc) {
		ns = json_object_new_object();
		for (size_t i = 0; ns && i < CW_PROCINFO_NS_COUNT; i++)
			if (p->ns[i])
				add(ns, cw_procinfo_ns_names[i], jstr(p->ns[i]));
		env = json_object_new_object();
		for (size_t i = 0; env && i < 3; i++)
			if (p->env[i])
				add(env, cw_procinfo_env_names[i], jstr(p->env[i]));
	}
	add(o, "namespaces", ns);
	add(o, "container", p->container_known ? json_object_new_boolean(p->container) : NULL);
	add(o, "container_info", container_json(p));
	add(o, "environment", env);
	add(o, "core_dumping", p->from_proc ? json_object_new_boolean(p->core_dumping) : NULL);
	add(o, "mappings", p->n_maps || p->from_proc ? mappings_json(p) : NULL);
	add(o, "mappings_truncated", json_object_new_boolean(p->maps_truncated));
	return o;
}

static json_object *core_json(const struct cw_record *rec)
{
	const struct cw_collect_result *r = rec->result;
	json_object *c = json_object_new_object();
	if (!c)
		return NULL;
	add(c, "file", rec->core_file ? json_object_new_string(rec->core_file) : NULL);
	add(c, "stored", json_object_new_boolean(r->core_stored));
	add(c, "size", json_object_new_int64((int64_t)r->size));
	add(c, "stored_size", r->core_stored ? json_object_new_int64((int64_t)r->stored_size) : NULL);
	add(c, "compressed_size", r->core_stored ? json_object_new_int64((int64_t)r->compressed_size) : NULL);
	add(c, "truncated", json_object_new_boolean(r->truncated));
	add(c, "dropped_reason", r->reason ? json_object_new_string(r->reason) : NULL);
	return c;
}

/* The container's libraries kept for this crash (null: the process was in
 * the collector's mount namespace, or its maps could not be read). */
static json_object *libraries_json(const struct cw_proc_libs *l)
{
	if (!l->checked)
		return NULL;
	json_object *a = json_object_new_array();
	for (size_t i = 0; a && i < l->n; i++) {
		if (!l->v[i].copy)
			continue;
		json_object *e = json_object_new_object();
		if (!e)
			continue;
		add(e, "path", jstr(l->v[i].path));
		add(e, "build_id", jstr(l->v[i].build_id));
		add(e, "copy", jstr(l->v[i].copy));
		json_object_array_add(a, e);
	}
	return a;
}

int cw_record_to_json(const struct cw_record *rec, char **out)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	const struct cw_crash_info *c = rec->crash;
	const struct cw_procinfo *p = rec->proc;
	json_object *col;
	char sigbuf[32];
	int sig = c->signal >= 0 ? c->signal : p->signal;

	if (!o)
		return -ENOMEM;
	add(o, "schema", json_object_new_string(CW_RECORD_SCHEMA));
	add(o, "id", json_object_new_string(rec->id));
	col = json_object_new_object();
	if (col) {
		add(col, "version", json_object_new_string(PACKAGE_VERSION));
		add(col, "entry", json_object_new_string(rec->entry == CW_COLLECT_SOCKET ? "socket" : "pipe"));
	}
	add(o, "collector", col);
	add(o, "time_usec", json_object_new_int64((int64_t)rec->time_usec));
	add(o, "crash_time", jint_or_null(c->crash_time));
	add(o, "pid", jint_or_null(c->pid));
	add(o, "tid", jint_or_null(c->tid));
	add(o, "uid", jint_or_null(c->uid >= 0 ? c->uid : p->uid));
	add(o, "gid", jint_or_null(c->gid >= 0 ? c->gid : p->gid));
	add(o, "signal", jint_or_null(sig));
	add(o, "signal_name", jstr(cw_signal_name(sig, sigbuf, sizeof(sigbuf))));
	add(o, "comm", jstr(c->comm[0] ? c->comm : p->comm));
	add(o, "hostname", c->hostname[0] ? jstr(c->hostname) : NULL);
	add(o, "boot_id", jstr(rec->boot_id));
	add(o, "core_rlimit", c->core_rlimit == UINT64_MAX && c->pid < 0 ? NULL :
				      json_object_new_uint64(c->core_rlimit));
	add(o, "dump_mode", jint_or_null(c->dump_mode));
	add(o, "restricted", json_object_new_boolean(rec->restricted));
	add(o, "user_readable", json_object_new_boolean(rec->user_readable));
	add(o, "metadata_source", json_object_new_string(p->from_proc ? "proc" : p->exe || p->comm || p->n_maps ? "core" : "none"));
	add(o, "metadata_note", p->note[0] ? jstr(p->note) : NULL);
	add(o, "pidfd", p->pidfd_source ? json_object_new_string(p->pidfd_source) : NULL);
	add(o, "collector_name_matched", json_object_new_boolean(rec->result->named_like_collector));
	proc_json_into(o, p);
	add(o, "executable_copy", jstr(rec->executable_copy));
	add(o, "libraries", libraries_json(&p->libs));
	add(o, "libraries_truncated", p->libs.checked ? json_object_new_boolean(p->libs.truncated) : NULL);
	add(o, "forwarded_to", jstr(rec->forwarded_to));
	add(o, "core", core_json(rec));

	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return -ENOMEM;
	*out = strdup(text);
	return *out ? 0 : -ENOMEM;
}
