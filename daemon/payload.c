#include "config.h"
#include "daemon/payload.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/json_util.h"
#include "common/cwconfig.h"
#include "common/utf8.h"
#include "storage/crash_container.h"


struct json_object *cw_json_string_bounded(const char *s, size_t max)
{
	static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
	static const char ellipsis[] = "\xe2\x80\xa6";    /* U+2026 */
	if (!s)
		return NULL;
	char *buf = malloc(max + 1);
	if (!buf)
		return NULL;
	size_t len = strlen(s), i = 0, o = 0;
	bool cut = false;
	while (i < len) {
		size_t n = cw_utf8_seq_len((const unsigned char *)s + i, len - i);
		const char *src = n ? s + i : replacement;
		size_t k = n ? n : sizeof(replacement) - 1;
		if (o + k > max) {
			cut = true;
			break;
		}
		memcpy(buf + o, src, k);
		o += k;
		i += n ? n : 1;
	}
	if (cut && max >= sizeof(ellipsis) - 1) {
		/* make room for the ellipsis on a character boundary */
		while (o > 0 && o + sizeof(ellipsis) - 1 > max)
			do
				o--;
			while (o > 0 && ((unsigned char)buf[o] & 0xC0) == 0x80);
		memcpy(buf + o, ellipsis, sizeof(ellipsis) - 1);
		o += sizeof(ellipsis) - 1;
	}
	struct json_object *obj = json_object_new_string_len(buf, (int)o);
	free(buf);
	return obj;
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *cw_data_string(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int64_t cw_data_int(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);
	return v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
		? json_object_get_int64(v) : 0;
}

static bool data_bool(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);
	return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

static struct json_object *get_array(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);
	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

void cw_format_rfc3339(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

/* Adds key: bounded copy of a string (or null). Returns 0 or -ENOMEM. */
static int add_string(struct json_object *o, const char *key, const char *s)
{
	struct json_object *v = cw_json_string_bounded(s, CW_PAYLOAD_MAX_STRING);
	if (s && !v)
		return -ENOMEM;
	return json_object_object_add(o, key, v) < 0 ? -ENOMEM : 0;
}

static int add_int(struct json_object *o, const char *key, int64_t v)
{
	return json_object_object_add(o, key, json_object_new_int64(v)) < 0 ? -ENOMEM : 0;
}

static int add_time(struct json_object *o, const char *key, int64_t t)
{
	char buf[32];
	cw_format_rfc3339(t, buf);
	return add_string(o, key, buf);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Whether a frame is the application's own code rather than the Go
 * runtime, the standard library or a shared library. */
static bool frame_in_app(const char *function, const char *module, const char *main_module, bool go)
{
	if (!function || !*function || strcmp(function, "??") == 0)
		return false;
	if (!go)
		return !module || !strstr(module, ".so");
	if (main_module && *main_module) {
		size_t n = strlen(main_module);
		if (strncmp(function, main_module, n) == 0 && (function[n] == '.' || function[n] == '/'))
			return true;
	}
	if (strncmp(function, "main.", 5) == 0)
		return true;
	/* a package path whose first element has a dot is not the standard library */
	const char *slash = strchr(function, '/');
	const char *dot = strchr(function, '.');
	return slash && dot && dot < slash;
}

static int frame_to_data(struct json_object *f, const char *main_module, bool go, struct json_object **out)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	const char *function = cw_data_string(f, "function");
	const char *module = cw_data_string(f, "module");
	int r;
	if ((r = add_string(o, "function", function ? function : "??")) < 0 ||
	    (r = add_string(o, "file", cw_data_string(f, "file"))) < 0 ||
	    (r = add_int(o, "line", cw_data_int(f, "line"))) < 0 ||
	    (r = add_string(o, "pc", cw_data_string(f, "pc"))) < 0)
		return r;
	if (module && (r = add_string(o, "module", module)) < 0)
		return r;
	json_object_object_add(o, "inlined", json_object_new_boolean(data_bool(f, "inlined")));
	json_object_object_add(o, "in_app", json_object_new_boolean(frame_in_app(function, module, main_module, go)));
	*out = CW_TAKE_PTR(o);
	return 0;
}

static int frames_to_data(struct json_object *frames, size_t max, const char *main_module, bool go,
			  struct json_object **out)
{
	_cleanup_json_ struct json_object *a = json_object_new_array();
	if (!a)
		return -ENOMEM;
	size_t n = frames ? json_object_array_length(frames) : 0;
	for (size_t i = 0; i < n && i < max; i++) {
		struct json_object *f = NULL;
		int r = frame_to_data(json_object_array_get_idx(frames, i), main_module, go, &f);
		if (r < 0)
			return r;
		if (json_object_array_add(a, f) < 0) {
			json_object_put(f);
			return -ENOMEM;
		}
	}
	*out = CW_TAKE_PTR(a);
	return 0;
}

/* The crashing goroutine (Go) or the crashed thread (native). */
static struct json_object *crashed_stack(struct json_object *analysis, bool *is_goroutine)
{
	int64_t gid = cw_data_int(analysis, "crashed_goroutine");
	struct json_object *gs = get_array(analysis, "goroutines");
	size_t n = gs ? json_object_array_length(gs) : 0;
	*is_goroutine = true;
	if (gid > 0)
		for (size_t i = 0; i < n; i++) {
			struct json_object *g = json_object_array_get_idx(gs, i);
			if (cw_data_int(g, "id") == gid)
				return g;
		}
	*is_goroutine = false;
	struct json_object *ts = get_array(analysis, "threads");
	n = ts ? json_object_array_length(ts) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(ts, i);
		if (data_bool(t, "crashed"))
			return t;
	}
	return NULL;
}

/* The panic that killed the process: the last one not recovered. */
static struct json_object *fatal_panic(struct json_object *analysis)
{
	struct json_object *ps = get_array(analysis, "panics");
	size_t n = ps ? json_object_array_length(ps) : 0;
	for (size_t i = n; i > 0; i--) {
		struct json_object *p = json_object_array_get_idx(ps, i - 1);
		if (!data_bool(p, "recovered"))
			return p;
	}
	return n ? json_object_array_get_idx(ps, n - 1) : NULL;
}

static int add_crash_kind(struct json_object *data, struct json_object *analysis)
{
	struct json_object *sig = get(analysis, "signal");
	struct json_object *fault = get(analysis, "fault");
	const char *fatal = cw_data_string(analysis, "fatal_error");
	struct json_object *panic = fatal_panic(analysis);
	const char *signame = cw_data_string(sig, "name");
	char buf[512];
	int r;

	if (panic) {
		const char *type = cw_data_string(panic, "type");
		if ((r = add_string(data, "kind", "panic")) < 0 ||
		    (r = add_string(data, "error_type", type ? type : "panic")) < 0)
			return r;
		return add_string(data, "message", cw_data_string(panic, "message"));
	}
	if (fatal) {
		if ((r = add_string(data, "kind", "fatal_error")) < 0 ||
		    (r = add_string(data, "error_type", "fatal error")) < 0)
			return r;
		return add_string(data, "message", fatal);
	}
	if (fault) {
		const char *fsig = cw_data_string(fault, "signal");
		snprintf(buf, sizeof(buf), "signal %s: code=%" PRId64 " addr=%s pc=%s",
			 fsig ? fsig : "?", cw_data_int(fault, "code"),
			 cw_data_string(fault, "address") ? cw_data_string(fault, "address") : "?",
			 cw_data_string(fault, "pc") ? cw_data_string(fault, "pc") : "?");
		if ((r = add_string(data, "kind", "fault")) < 0 ||
		    (r = add_string(data, "error_type", fsig ? fsig : "signal")) < 0)
			return r;
		return add_string(data, "message", buf);
	}
	snprintf(buf, sizeof(buf), "killed by %s", signame ? signame : "a signal");
	if ((r = add_string(data, "kind", "signal")) < 0 ||
	    (r = add_string(data, "error_type", signame ? signame : "signal")) < 0)
		return r;
	return add_string(data, "message", buf);
}

static int add_go(struct json_object *data, struct json_object *go)
{
	if (!go || !json_object_is_type(go, json_type_object))
		return json_object_object_add(data, "go", NULL) < 0 ? -ENOMEM : 0;
	_cleanup_json_ struct json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	int r;
	if ((r = add_string(o, "version", cw_data_string(go, "version"))) < 0 ||
	    (r = add_string(o, "module", cw_data_string(go, "main_module"))) < 0 ||
	    (r = add_string(o, "module_version", cw_data_string(go, "main_version"))) < 0 ||
	    (r = add_string(o, "vcs_revision", cw_data_string(go, "vcs_revision"))) < 0)
		return r;
	struct json_object *settings = get(go, "settings");
	const char *goarch = cw_data_string(settings, "GOARCH");
	const char *goos = cw_data_string(settings, "GOOS");
	if ((goarch && (r = add_string(o, "goarch", goarch)) < 0) ||
	    (goos && (r = add_string(o, "goos", goos)) < 0))
		return r;
	return json_object_object_add(data, "go", CW_TAKE_PTR(o)) < 0 ? -ENOMEM : 0;
}

static int add_signal_and_fault(struct json_object *data, struct json_object *analysis)
{
	struct json_object *sig = get(analysis, "signal");
	_cleanup_json_ struct json_object *s = NULL;
	int r;
	if (sig && json_object_is_type(sig, json_type_object)) {
		if (!(s = json_object_new_object()))
			return -ENOMEM;
		if ((r = add_int(s, "number", cw_data_int(sig, "number"))) < 0 ||
		    (r = add_string(s, "name", cw_data_string(sig, "name"))) < 0 ||
		    (r = add_int(s, "code", cw_data_int(sig, "code"))) < 0)
			return r;
	}
	if (json_object_object_add(data, "signal", CW_TAKE_PTR(s)) < 0)
		return -ENOMEM;

	struct json_object *fault = get(analysis, "fault");
	_cleanup_json_ struct json_object *f = NULL;
	if (fault && json_object_is_type(fault, json_type_object)) {
		if (!(f = json_object_new_object()))
			return -ENOMEM;
		if ((r = add_string(f, "signal", cw_data_string(fault, "signal"))) < 0 ||
		    (r = add_int(f, "code", cw_data_int(fault, "code"))) < 0 ||
		    (r = add_string(f, "address", cw_data_string(fault, "address"))) < 0 ||
		    (r = add_string(f, "pc", cw_data_string(fault, "pc"))) < 0 ||
		    (r = add_string(f, "function", cw_data_string(fault, "function"))) < 0 ||
		    (r = add_string(f, "file", cw_data_string(fault, "file"))) < 0 ||
		    (r = add_int(f, "line", cw_data_int(fault, "line"))) < 0 ||
		    (r = add_string(f, "instruction", cw_data_string(fault, "instruction"))) < 0)
			return r;
	}
	return json_object_object_add(data, "fault", CW_TAKE_PTR(f)) < 0 ? -ENOMEM : 0;
}

static int add_panics(struct json_object *data, struct json_object *analysis)
{
	struct json_object *ps = get_array(analysis, "panics");
	_cleanup_json_ struct json_object *a = json_object_new_array();
	if (!a)
		return -ENOMEM;
	size_t n = ps ? json_object_array_length(ps) : 0;
	for (size_t i = 0; i < n && i < CW_PAYLOAD_MAX_PANICS; i++) {
		struct json_object *p = json_object_array_get_idx(ps, i);
		_cleanup_json_ struct json_object *o = json_object_new_object();
		int r;
		if (!o)
			return -ENOMEM;
		if ((r = add_string(o, "message", cw_data_string(p, "message"))) < 0 ||
		    (r = add_string(o, "type", cw_data_string(p, "type"))) < 0)
			return r;
		json_object_object_add(o, "recovered", json_object_new_boolean(data_bool(p, "recovered")));
		if (json_object_array_add(a, o) < 0)
			return -ENOMEM;
		o = NULL;
	}
	if (json_object_object_add(data, "panics", CW_TAKE_PTR(a)) < 0)
		return -ENOMEM;
	return add_string(data, "fatal_error", cw_data_string(analysis, "fatal_error"));
}

static int add_crashed(struct json_object *data, struct json_object *analysis, const char *main_module, bool go)
{
	bool is_goroutine;
	struct json_object *st = crashed_stack(analysis, &is_goroutine);
	struct json_object *frames = get_array(st, "frames");
	_cleanup_json_ struct json_object *cg = NULL;
	int r;

	if (st && is_goroutine) {
		if (!(cg = json_object_new_object()))
			return -ENOMEM;
		if ((r = add_int(cg, "id", cw_data_int(st, "id"))) < 0 ||
		    (r = add_string(cg, "status", cw_data_string(st, "status"))) < 0)
			return r;
	}
	if (json_object_object_add(data, "crashed_goroutine", CW_TAKE_PTR(cg)) < 0)
		return -ENOMEM;
	if (st && !is_goroutine)
		r = add_int(data, "crashed_thread", cw_data_int(st, "tid"));
	else
		r = json_object_object_add(data, "crashed_thread", NULL) < 0 ? -ENOMEM : 0;
	if (r < 0)
		return r;
	struct json_object *top = NULL;
	if ((r = frames_to_data(frames, CW_PAYLOAD_TOP_FRAMES, main_module, go, &top)) < 0)
		return r;
	if (json_object_object_add(data, "frames", top) < 0) {
		json_object_put(top);
		return -ENOMEM;
	}
	if ((r = add_int(data, "frames_total", frames ? (int64_t)json_object_array_length(frames) : 0)) < 0)
		return r;
	struct json_object *gs = get_array(analysis, "goroutines");
	return add_int(data, "goroutine_count", gs ? (int64_t)json_object_array_length(gs) : 0);
}

/* Every goroutine (Go) or thread (native), for Sentry's threads interface. */
static int add_stacks(struct json_object *data, struct json_object *analysis, const char *main_module, bool go)
{
	bool is_goroutine;
	struct json_object *crashed = crashed_stack(analysis, &is_goroutine);
	struct json_object *list = get_array(analysis, is_goroutine ? "goroutines" : "threads");
	_cleanup_json_ struct json_object *a = json_object_new_array();
	if (!a)
		return -ENOMEM;
	size_t n = list ? json_object_array_length(list) : 0;
	for (size_t i = 0, added = 0; i < n && added < CW_PAYLOAD_MAX_STACKS; i++) {
		struct json_object *st = json_object_array_get_idx(list, i);
		/* always include the crashed one, even beyond the cap */
		if (added == CW_PAYLOAD_MAX_STACKS - 1 && st != crashed && crashed)
			continue;
		_cleanup_json_ struct json_object *o = json_object_new_object();
		struct json_object *frames = NULL;
		int r;
		if (!o)
			return -ENOMEM;
		if ((r = add_int(o, "id", cw_data_int(st, is_goroutine ? "id" : "tid"))) < 0 ||
		    (r = add_string(o, "status", is_goroutine ? cw_data_string(st, "status")
					: cw_data_string(st, "stack_kind"))) < 0)
			return r;
		json_object_object_add(o, "crashed", json_object_new_boolean(st == crashed));
		if ((r = frames_to_data(get_array(st, "frames"), CW_PAYLOAD_STACK_FRAMES, main_module, go, &frames)) < 0)
			return r;
		json_object_object_add(o, "frames", frames);
		if (json_object_array_add(a, o) < 0)
			return -ENOMEM;
		o = NULL;
		added++;
	}
	if (json_object_object_add(data, "stacks", CW_TAKE_PTR(a)) < 0)
		return -ENOMEM;
	return add_int(data, "stacks_total", (int64_t)n);
}

static int add_environment(struct json_object *data, const char *const *env)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; env && env[i] && i < 1024; i++) {
		const char *eq = strchr(env[i], '=');
		if (!eq || eq == env[i] || eq - env[i] > 256)
			continue;
		char key[257];
		memcpy(key, env[i], (size_t)(eq - env[i]));
		key[eq - env[i]] = '\0';
		int r = add_string(o, key, eq + 1);
		if (r < 0)
			return r;
	}
	return json_object_object_add(data, "environment", CW_TAKE_PTR(o)) < 0 ? -ENOMEM : 0;
}

/* "container": the crash's container and pod (null outside one). */
static int add_container(struct json_object *data, const struct cw_crash_container *k)
{
	if (!k || !cw_crash_container_any(k))
		return json_object_object_add(data, "container", NULL) < 0 ? -ENOMEM : 0;
	_cleanup_json_ struct json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < CW_CRASH_CONTAINER_NFIELDS; i++) {
		const char *v = cw_crash_container_get(k, i);
		if (json_object_object_add(o, cw_crash_container_fields[i].key,
					   v ? cw_json_string_bounded(v, 512) : NULL) < 0)
			return -ENOMEM;
	}
	return json_object_object_add(data, "container", CW_TAKE_PTR(o)) < 0 ? -ENOMEM : 0;
}

/* "crash_loop": one report for a whole loop instead of one per crash;
 * "crash_run" (run): the crashes of this fingerprint so far in its run (a
 * crash kept within LoopBurst= > 1 that repeats an earlier one). */
static int add_loop(struct json_object *data, const struct cw_payload_loop *l, bool run)
{
	struct json_object *o = json_object_new_object();
	int r;
	if (!o)
		return -ENOMEM;
	json_object_object_add(data, run ? "crash_run" : "crash_loop", o);
	int64_t span = l->last_seen > l->first_seen ? l->last_seen - l->first_seen : 0;
	if ((r = add_int(o, "count", l->count)) < 0 || (r = add_int(o, "cores_stored", l->cores_stored)) < 0 ||
	    (!run && (r = add_int(o, "cores_dropped", l->cores_dropped)) < 0) ||
	    (r = add_time(o, "first", l->first_seen)) < 0 || (r = add_time(o, "last", l->last_seen)) < 0 ||
	    (!run && (r = add_int(o, "duration_sec", span)) < 0))
		return r;
	return 0;
}

bool cw_payload_wanted(const struct cw_crash_report *c, const struct cw_upload_config *u)
{
	return u->events == CW_EVENTS_ALL || c->fingerprint_count <= 1 || c->loop != NULL;
}

int cw_payload_data_new(const struct cw_crash_report *c, const struct cw_upload_config *u,
			struct json_object **out)
{
	struct json_object *a = c->analysis;
	_cleanup_json_ struct json_object *data = json_object_new_object();
	char host[256];
	int r;

	if (!data)
		return -ENOMEM;
	if (!c->crash_id || !a)
		return -EINVAL;
	const char *hostname = c->hostname;
	if (!hostname) {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		hostname = host;
	}
	struct json_object *exe = get(a, "executable");
	struct json_object *go = get(a, "go");
	if (go && !json_object_is_type(go, json_type_object))
		go = NULL;
	const char *main_module = cw_data_string(go, "main_module");

	if ((r = add_string(data, "crash_id", c->crash_id)) < 0 ||
	    (r = add_time(data, "time", c->timestamp)) < 0 ||
	    (r = add_string(data, "hostname", hostname)) < 0 ||
	    (r = add_string(data, "executable", cw_data_string(exe, "path"))) < 0 ||
	    (r = add_string(data, "build_id", cw_data_string(exe, "build_id"))) < 0 ||
	    (r = add_string(data, "executable_name", base_name(cw_data_string(exe, "path")
							       ? cw_data_string(exe, "path") : "?"))) < 0)
		return r;
	if (c->pid > 0 && (r = add_int(data, "pid", c->pid)) < 0)
		return r;
	if (c->uid >= 0 && (r = add_int(data, "uid", c->uid)) < 0)
		return r;
	if ((r = add_string(data, "runtime", go ? "go" : "native")) < 0 ||
	    (r = add_go(data, go)) < 0 ||
	    (r = add_signal_and_fault(data, a)) < 0 ||
	    (r = add_crash_kind(data, a)) < 0 ||
	    (r = add_panics(data, a)) < 0 ||
	    (r = add_crashed(data, a, main_module, go != NULL)) < 0 ||
	    (r = add_string(data, "fingerprint", cw_data_string(a, "fingerprint"))) < 0 ||
	    (r = add_int(data, "fingerprint_count", c->fingerprint_count > 0 ? c->fingerprint_count : 1)) < 0 ||
	    (r = add_time(data, "first_seen", c->first_seen ? c->first_seen : c->timestamp)) < 0)
		return r;
	json_object_object_add(data, "new_fingerprint", json_object_new_boolean(c->fingerprint_count <= 1));
	if ((r = add_container(data, c->container)) < 0)
		return r;
	if (c->loop && (r = add_loop(data, c->loop, false)) < 0)
		return r;
	if (!c->loop && c->run && c->run->count > 1 && (r = add_loop(data, c->run, true)) < 0)
		return r;
	if (u->include_cmdline && c->cmdline && (r = add_string(data, "cmdline", c->cmdline)) < 0)
		return r;
	if (u->include_environment && c->environment && (r = add_environment(data, c->environment)) < 0)
		return r;
	if (u->format == CW_UPLOAD_SENTRY && (r = add_stacks(data, a, main_module, go != NULL)) < 0)
		return r;
	*out = CW_TAKE_PTR(data);
	return 0;
}
