/* The crashwatch.analysis.v1 JSON object (contract: docs/analysis-json.md
 * and the design notes). Field names never change; new ones may be added. */
#include "config.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>

#include "analyzer/analysis.h"

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *hex(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_object_new_string(buf);
}

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *frame_json(const struct cw_frame *f)
{
	struct json_object *o = json_object_new_object();
	add(o, "function", json_object_new_string(f->function ? f->function : "??"));
	add(o, "file", str_or_null(f->file));
	add(o, "line", json_object_new_int(f->line));
	add(o, "pc", hex(f->pc));
	add(o, "inlined", json_object_new_boolean(f->inlined));
	if (f->sp)
		add(o, "sp", hex(f->sp));
	if (f->module)
		add(o, "module", json_object_new_string(f->module));
	return o;
}

static struct json_object *frames_json(const struct cw_frame *frames, size_t n)
{
	struct json_object *arr = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, frame_json(&frames[i]));
	return arr;
}

static struct json_object *goroutine_json(const struct cw_goroutine *g)
{
	struct json_object *o = json_object_new_object();
	add(o, "id", json_object_new_int64(g->id));
	add(o, "status", json_object_new_string(g->status ? g->status : "unknown"));
	add(o, "wait_minutes", json_object_new_int64(g->wait_minutes));
	add(o, "locked_to_thread", json_object_new_boolean(g->locked_to_thread));
	add(o, "thread", g->thread ? json_object_new_int(g->thread) : NULL);
	add(o, "system", json_object_new_boolean(g->system));
	add(o, "frames", frames_json(g->frames, g->nframes));
	add(o, "frames_truncated", json_object_new_boolean(g->frames_truncated));
	if (g->has_created_by) {
		struct json_object *c = frame_json(&g->created_by);
		json_object_object_del(c, "inlined");
		add(c, "goroutine", json_object_new_int64(g->created_by_goroutine));
		add(o, "created_by", c);
	} else {
		add(o, "created_by", NULL);
	}
	add(o, "g", hex(g->g_addr));
	if (g->unwind_error)
		add(o, "unwind_error", json_object_new_string(g->unwind_error));
	return o;
}

static struct json_object *thread_json(const struct cw_thread *t)
{
	struct json_object *o = json_object_new_object();
	add(o, "tid", json_object_new_int(t->tid));
	add(o, "crashed", json_object_new_boolean(t->crashed));
	add(o, "goroutine", t->goroutine ? json_object_new_int64(t->goroutine) : NULL);
	add(o, "stack", str_or_null(t->stack_kind));
	add(o, "frames", frames_json(t->frames, t->nframes));
	return o;
}

static struct json_object *go_json(const struct cw_analysis *a)
{
	if (!a->is_go)
		return NULL;
	struct json_object *o = json_object_new_object();
	add(o, "version", str_or_null(a->go.version));
	add(o, "path", str_or_null(a->go.path));
	add(o, "main_module", str_or_null(a->go.main_module));
	add(o, "main_version", str_or_null(a->go.main_version));
	add(o, "vcs_revision", str_or_null(a->go.vcs_revision));
	struct json_object *s = json_object_new_object();
	for (size_t i = 0; i < a->go.nsettings; i++)
		if (a->go.setting_keys[i])
			add(s, a->go.setting_keys[i], str_or_null(a->go.setting_values[i]));
	add(o, "settings", s);
	return o;
}

static struct json_object *signal_json(const struct cw_signal_info *s)
{
	if (!s->present)
		return NULL;
	struct json_object *o = json_object_new_object();
	add(o, "number", json_object_new_int(s->number));
	add(o, "name", str_or_null(s->name));
	add(o, "code", json_object_new_int64(s->code));
	add(o, "address", s->has_address ? hex(s->address) : NULL);
	return o;
}

static struct json_object *fault_json(const struct cw_fault *f)
{
	if (!f->present)
		return NULL;
	struct json_object *o = json_object_new_object();
	add(o, "signal", str_or_null(f->signal));
	add(o, "code", json_object_new_int64(f->code));
	add(o, "address", hex(f->address));
	add(o, "pc", hex(f->pc));
	add(o, "function", str_or_null(f->function));
	add(o, "file", str_or_null(f->file));
	add(o, "line", f->line ? json_object_new_int(f->line) : NULL);
	add(o, "instruction", str_or_null(f->instruction));
	struct json_object *ctx = json_object_new_array();
	for (size_t i = 0; i < f->ncontext; i++)
		json_object_array_add(ctx, json_object_new_string(f->context[i]));
	add(o, "context", ctx);
	add(o, "context_index", json_object_new_int((int)f->context_pc_index));
	return o;
}

struct json_object *cw_analysis_to_json(const struct cw_analysis *a)
{
	struct json_object *o = json_object_new_object();
	add(o, "schema", json_object_new_string(CW_ANALYSIS_SCHEMA));

	struct json_object *exe = json_object_new_object();
	add(exe, "path", str_or_null(a->exe_path));
	add(exe, "build_id", str_or_null(a->build_id));
	add(exe, "go_build_id", str_or_null(a->go_build_id));
	add(exe, "core_build_id", str_or_null(a->core_build_id));
	add(o, "executable", exe);
	if (a->pid)
		add(o, "pid", json_object_new_int(a->pid));
	add(o, "comm", str_or_null(a->comm));
	add(o, "go", go_json(a));
	add(o, "signal", signal_json(&a->signal));

	struct json_object *panics = json_object_new_array();
	for (size_t i = 0; i < a->npanics; i++) {
		struct json_object *p = json_object_new_object();
		add(p, "message", json_object_new_string(a->panics[i].message ? a->panics[i].message : ""));
		add(p, "recovered", json_object_new_boolean(a->panics[i].recovered));
		add(p, "goexit", json_object_new_boolean(a->panics[i].goexit));
		add(p, "repanicked", json_object_new_boolean(a->panics[i].repanicked));
		add(p, "type", str_or_null(a->panics[i].type));
		json_object_array_add(panics, p);
	}
	add(o, "panics", panics);
	add(o, "fatal_error", str_or_null(a->fatal_error));
	add(o, "fault", fault_json(&a->fault));
	add(o, "crashed_goroutine", a->crashed_goroutine ? json_object_new_int64(a->crashed_goroutine) : NULL);

	struct json_object *gs = json_object_new_array_ext((int)a->ngoroutines);
	for (size_t i = 0; i < a->ngoroutines; i++)
		json_object_array_add(gs, goroutine_json(&a->goroutines[i]));
	add(o, "goroutines", gs);
	struct json_object *ts = json_object_new_array_ext((int)a->nthreads);
	for (size_t i = 0; i < a->nthreads; i++)
		json_object_array_add(ts, thread_json(&a->threads[i]));
	add(o, "threads", ts);
	add(o, "fingerprint", str_or_null(a->fingerprint));
	struct json_object *w = json_object_new_array();
	for (size_t i = 0; i < a->nwarnings; i++)
		json_object_array_add(w, json_object_new_string(a->warnings[i]));
	add(o, "warnings", w);
	return o;
}
