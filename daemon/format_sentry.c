/* Format=sentry: one event (Sentry's event schema) in an envelope, sent to
 * the DSN's envelope endpoint. */
#include "config.h"
#include "daemon/format.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/cleanup.h"
#include "common/json_util.h"
#include "common/utf8.h"
#include "daemon/payload.h"


static void curl_url_cleanupp(CURLU **u)
{
	if (*u)
		curl_url_cleanup(*u);
}

static void curl_freep(char **p)
{
	if (*p)
		curl_free(*p);
}
#define _cleanup_curl_free_ CW_CLEANUP(curl_freep)

/* curl_url_get's copy of the DSN's key, wiped before curl_free */
static void curl_free_wipedp(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		curl_free(*p);
	}
}

void cw_sentry_dsn_clear(struct cw_sentry_dsn *d)
{
	free(d->envelope_url);
	if (d->public_key)
		explicit_bzero(d->public_key, strlen(d->public_key));
	free(d->public_key);
	free(d->project_id);
	memset(d, 0, sizeof(*d));
}

int cw_sentry_dsn_parse(const char *dsn, struct cw_sentry_dsn *out)
{
	CW_CLEANUP(curl_url_cleanupp) CURLU *u = curl_url();
	_cleanup_curl_free_ char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	CW_CLEANUP(curl_free_wipedp) char *user = NULL;

	memset(out, 0, sizeof(*out));
	if (!u)
		return -ENOMEM;
	if (!dsn || strlen(dsn) > 2048 || curl_url_set(u, CURLUPART_URL, dsn, 0) != CURLUE_OK)
		return -EINVAL;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0))
		return -EINVAL;
	if (curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_OK || !*user)
		return -EINVAL;
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		return -EINVAL;
	(void)curl_url_get(u, CURLUPART_PORT, &port, 0);
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		return -EINVAL;
	/* the last path element is the project id, anything before a prefix */
	size_t plen = strlen(path);
	while (plen > 0 && path[plen - 1] == '/')
		path[--plen] = '\0';
	char *slash = strrchr(path, '/');
	if (!slash || !slash[1])
		return -EINVAL;
	*slash = '\0';
	const char *project = slash + 1;
	for (const char *p = project; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	for (const char *p = user; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return -EINVAL;
	if (asprintf(&out->envelope_url, "%s://%s%s%s%s/api/%s/envelope/", scheme, host,
		     port ? ":" : "", port ? port : "", path, project) < 0) {
		out->envelope_url = NULL;
		return -ENOMEM;
	}
	out->public_key = strdup(user);
	out->project_id = strdup(project);
	if (!out->public_key || !out->project_id) {
		cw_sentry_dsn_clear(out);
		return -ENOMEM;
	}
	return 0;
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void set(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

/* Adds key only when v is not NULL (Sentry rejects null interfaces). */
static void set_opt(struct json_object *o, const char *key, struct json_object *v)
{
	if (v)
		json_object_object_add(o, key, v);
}

static void set_str(struct json_object *o, const char *key, const char *s)
{
	if (s)
		json_object_object_add(o, key, json_object_new_string(s));
}

/* Sentry keeps tag values of at most 200 characters: cut on a character. */
static void set_tag(struct json_object *tags, const char *key, const char *s)
{
	if (s)
		json_object_object_add(tags, key, json_object_new_string_len(s, (int)cw_utf8_prefix(s, 200)));
}

/* Go function names split like Sentry's Go SDK: module "example.com/api",
 * function "(*T).m" for "example.com/api.(*T).m". */
static void split_go_function(const char *full, char *module, size_t mlen, const char **function)
{
	const char *slash = strrchr(full, '/');
	const char *dot = strchr(slash ? slash : full, '.');
	if (!dot || dot == full) {
		module[0] = '\0';
		*function = full;
		return;
	}
	snprintf(module, mlen, "%.*s", (int)(dot - full), full);
	*function = dot + 1;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Sentry wants frames oldest first; ours are innermost first. NULL when
 * there are no frames (Sentry wants at least one). */
static struct json_object *stacktrace(struct json_object *frames, bool go)
{
	if (!frames || !json_object_is_type(frames, json_type_array) || json_object_array_length(frames) == 0)
		return NULL;
	struct json_object *st = json_object_new_object();
	struct json_object *out = json_object_new_array();
	if (!st || !out) {
		json_object_put(st);
		json_object_put(out);
		return NULL;
	}
	size_t n = frames && json_object_is_type(frames, json_type_array) ? json_object_array_length(frames) : 0;
	for (size_t i = n; i > 0; i--) {
		struct json_object *f = json_object_array_get_idx(frames, i - 1);
		struct json_object *o = json_object_new_object();
		if (!o)
			break;
		const char *fn = cw_data_string(f, "function");
		const char *file = cw_data_string(f, "file");
		char module[512];
		const char *function = fn ? fn : "??";
		if (go && fn)
			split_go_function(fn, module, sizeof(module), &function);
		else
			snprintf(module, sizeof(module), "%s", cw_data_string(f, "module") ? cw_data_string(f, "module") : "");
		set_str(o, "function", function);
		if (module[0])
			set_str(o, go ? "module" : "package", module);
		if (file) {
			set_str(o, "filename", base_name(file));
			set_str(o, "abs_path", file);
		}
		if (cw_data_int(f, "line") > 0)
			set(o, "lineno", json_object_new_int64(cw_data_int(f, "line")));
		set_str(o, "instruction_addr", cw_data_string(f, "pc"));
		struct json_object *in_app = get(f, "in_app");
		set(o, "in_app", json_object_new_boolean(in_app && json_object_get_boolean(in_app)));
		if (json_object_array_add(out, o) < 0)
			json_object_put(o);
	}
	set(st, "frames", out);
	return st;
}

static struct json_object *threads_interface(struct json_object *data, bool go)
{
	struct json_object *stacks = get(data, "stacks");
	struct json_object *values = json_object_new_array();
	if (!values)
		return NULL;
	size_t n = stacks && json_object_is_type(stacks, json_type_array) ? json_object_array_length(stacks) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(stacks, i);
		struct json_object *t = json_object_new_object();
		if (!t)
			break;
		struct json_object *c = get(s, "crashed");
		bool crashed = c && json_object_get_boolean(c);
		char name[64];
		snprintf(name, sizeof(name), "%s %" PRId64, go ? "goroutine" : "thread", cw_data_int(s, "id"));
		set(t, "id", json_object_new_int64(cw_data_int(s, "id")));
		set_str(t, "name", name);
		set_str(t, "state", cw_data_string(s, "status"));
		set(t, "crashed", json_object_new_boolean(crashed));
		set(t, "current", json_object_new_boolean(crashed));
		/* the crashed one's stack is the exception's stacktrace */
		if (!crashed)
			set_opt(t, "stacktrace", stacktrace(get(s, "frames"), go));
		if (json_object_array_add(values, t) < 0)
			json_object_put(t);
	}
	struct json_object *threads = json_object_new_object();
	if (!threads) {
		json_object_put(values);
		return NULL;
	}
	set(threads, "values", values);
	return threads;
}

static struct json_object *exception_interface(struct json_object *data, bool go)
{
	struct json_object *exc = json_object_new_object();
	struct json_object *values = json_object_new_array();
	struct json_object *mech = json_object_new_object();
	struct json_object *e = json_object_new_object();
	if (!exc || !values || !mech || !e) {
		json_object_put(exc);
		json_object_put(values);
		json_object_put(mech);
		json_object_put(e);
		return NULL;
	}
	const char *kind = cw_data_string(data, "kind");
	set_str(e, "type", cw_data_string(data, "error_type"));
	set_str(e, "value", cw_data_string(data, "message"));
	struct json_object *cg = get(data, "crashed_goroutine");
	if (cg && json_object_is_type(cg, json_type_object))
		set(e, "thread_id", json_object_new_int64(cw_data_int(cg, "id")));
	else if (cw_data_int(data, "crashed_thread") > 0)
		set(e, "thread_id", json_object_new_int64(cw_data_int(data, "crashed_thread")));

	set_str(mech, "type", kind && strcmp(kind, "panic") == 0 ? "panic"
		: kind && strcmp(kind, "fatal_error") == 0 ? "fatal_error" : "signalhandler");
	set(mech, "handled", json_object_new_boolean(false));
	set(mech, "synthetic", json_object_new_boolean(!kind || strcmp(kind, "panic") != 0));
	struct json_object *sig = get(data, "signal");
	if (sig && json_object_is_type(sig, json_type_object)) {
		struct json_object *meta = json_object_new_object();
		struct json_object *ms = json_object_new_object();
		if (meta && ms) {
			set(ms, "number", json_object_new_int64(cw_data_int(sig, "number")));
			set(ms, "code", json_object_new_int64(cw_data_int(sig, "code")));
			set_str(ms, "name", cw_data_string(sig, "name"));
			set(meta, "signal", ms);
			set(mech, "meta", meta);
		} else {
			json_object_put(meta);
			json_object_put(ms);
		}
	}
	set(e, "mechanism", mech);
	set_opt(e, "stacktrace", stacktrace(get(data, "frames"), go));
	json_object_array_add(values, e);
	set(exc, "values", values);
	return exc;
}

static struct json_object *contexts(struct json_object *data)
{
	struct json_object *ctx = json_object_new_object();
	struct json_object *os = json_object_new_object();
	struct json_object *rt = json_object_new_object();
	struct json_object *cw = json_object_new_object();
	if (!ctx || !os || !rt || !cw) {
		json_object_put(ctx);
		json_object_put(os);
		json_object_put(rt);
		json_object_put(cw);
		return NULL;
	}
	struct json_object *go = get(data, "go");
	struct utsname un;
	set_str(os, "type", "os");
	set_str(os, "name", "Linux");
	if (uname(&un) == 0)
		set_str(os, "kernel_version", un.release);
	set(ctx, "os", os);
	set_str(rt, "type", "runtime");
	if (go && json_object_is_type(go, json_type_object)) {
		set_str(rt, "name", "go");
		set_str(rt, "version", cw_data_string(go, "version"));
		if (cw_data_string(go, "goarch")) {
			struct json_object *dev = json_object_new_object();
			if (dev) {
				set_str(dev, "type", "device");
				set_str(dev, "arch", cw_data_string(go, "goarch"));
				set(ctx, "device", dev);
			}
		}
	} else {
		set_str(rt, "name", "native");
	}
	set(ctx, "runtime", rt);
	set_str(cw, "crash_id", cw_data_string(data, "crash_id"));
	set_str(cw, "executable", cw_data_string(data, "executable"));
	set_str(cw, "build_id", cw_data_string(data, "build_id"));
	set(cw, "fingerprint_count", json_object_new_int64(cw_data_int(data, "fingerprint_count")));
	set_str(cw, "first_seen", cw_data_string(data, "first_seen"));
	set(cw, "goroutine_count", json_object_new_int64(cw_data_int(data, "goroutine_count")));
	if (cw_data_int(data, "pid") > 0)
		set(cw, "pid", json_object_new_int64(cw_data_int(data, "pid")));
	set_str(cw, "cmdline", cw_data_string(data, "cmdline"));
	struct json_object *fault = get(data, "fault");
	if (fault && json_object_is_type(fault, json_type_object))
		set(cw, "fault", json_object_get(fault));
	set(ctx, "crashwatch", cw);
	/* the container and Kubernetes contexts, from the payload's "container" */
	struct json_object *k = get(data, "container");
	if (k && json_object_is_type(k, json_type_object)) {
		struct json_object *c = json_object_new_object();
		if (c) {
			set_str(c, "type", "container");
			set_str(c, "runtime", cw_data_string(k, "runtime"));
			set_str(c, "id", cw_data_string(k, "id"));
			set_str(c, "name", cw_data_string(k, "name"));
			set_str(c, "image", cw_data_string(k, "image"));
			set_str(c, "exe_in_container", cw_data_string(k, "exe_in_container"));
			set(ctx, "container", c);
		}
		if (cw_data_string(k, "pod_uid") || cw_data_string(k, "pod_name")) {
			struct json_object *p = json_object_new_object();
			if (p) {
				set_str(p, "type", "kubernetes");
				set_str(p, "pod_uid", cw_data_string(k, "pod_uid"));
				set_str(p, "pod_name", cw_data_string(k, "pod_name"));
				set_str(p, "namespace", cw_data_string(k, "pod_namespace"));
				set_str(p, "qos_class", cw_data_string(k, "qos_class"));
				set(ctx, "kubernetes", p);
			}
		}
	}
	return ctx;
}

/* A crash loop's report ("crash_loop") or a crash repeating its
 * fingerprint within the loop interval ("crash_run"): the tag crash_loop
 * (report / repeat) to search by, the figures in a "crash_loop" context. */
static void add_loop(struct json_object *data, struct json_object *tags, struct json_object *ctx)
{
	struct json_object *l = get(data, "crash_loop");
	bool report = l && json_object_is_type(l, json_type_object);
	if (!report)
		l = get(data, "crash_run");
	if (!l || !json_object_is_type(l, json_type_object))
		return;
	char count[24];
	snprintf(count, sizeof(count), "%" PRId64, cw_data_int(l, "count"));
	if (tags) {
		set_tag(tags, "crash_loop", report ? "report" : "repeat");
		set_tag(tags, "crash_loop.count", count);
	}
	struct json_object *c = ctx ? json_object_new_object() : NULL;
	if (!c)
		return;
	set_str(c, "type", "crash_loop");
	set(c, "report", json_object_new_boolean(report));
	set(c, "count", json_object_new_int64(cw_data_int(l, "count")));
	set(c, "cores_stored", json_object_new_int64(cw_data_int(l, "cores_stored")));
	if (report) {
		set(c, "cores_dropped", json_object_new_int64(cw_data_int(l, "cores_dropped")));
		set(c, "duration_sec", json_object_new_int64(cw_data_int(l, "duration_sec")));
	}
	set_str(c, "first_seen", cw_data_string(l, "first"));
	set_str(c, "last_seen", cw_data_string(l, "last"));
	set(ctx, "crash_loop", c);
}

/* "example.com/api@v1.2.3", else "example.com/api@<vcs revision>". */
static void release_name(struct json_object *go, char *out, size_t outlen)
{
	const char *module = cw_data_string(go, "module");
	const char *version = cw_data_string(go, "module_version");
	const char *rev = cw_data_string(go, "vcs_revision");
	out[0] = '\0';
	if (!module)
		return;
	if (version && *version && strcmp(version, "(devel)") != 0)
		snprintf(out, outlen, "%s@%s", module, version);
	else if (rev && *rev)
		snprintf(out, outlen, "%s@%s", module, rev);
}

int cw_sentry_event_new(const char *delivery_id, struct json_object *data, struct json_object **out)
{
	_cleanup_json_ struct json_object *ev = json_object_new_object();
	if (!ev)
		return -ENOMEM;
	struct json_object *go = get(data, "go");
	bool is_go = go && json_object_is_type(go, json_type_object);
	char release[600];

	set_str(ev, "event_id", delivery_id);
	set_str(ev, "timestamp", cw_data_string(data, "time"));
	set_str(ev, "platform", is_go ? "go" : "native");
	set_str(ev, "level", "fatal");
	set_str(ev, "logger", "crashwatch");
	set_str(ev, "server_name", cw_data_string(data, "hostname"));
	release_name(go, release, sizeof(release));
	if (release[0])
		set_str(ev, "release", release);
	const char *fp = cw_data_string(data, "fingerprint");
	if (fp) {
		struct json_object *a = json_object_new_array();
		if (a) {
			json_object_array_add(a, json_object_new_string(fp));
			set(ev, "fingerprint", a);
		}
	}
	struct json_object *sdk = json_object_new_object();
	if (sdk) {
		set_str(sdk, "name", "crashwatch");
		set_str(sdk, "version", PACKAGE_VERSION);
		set(ev, "sdk", sdk);
	}
	struct json_object *tags = json_object_new_object();
	if (tags) {
		set_str(tags, "executable", cw_data_string(data, "executable_name"));
		set_str(tags, "crash_kind", cw_data_string(data, "kind"));
		struct json_object *sig = get(data, "signal");
		set_str(tags, "signal", cw_data_string(sig, "name"));
		struct json_object *k = get(data, "container");
		if (k && json_object_is_type(k, json_type_object)) {
			char id12[13];
			const char *id = cw_data_string(k, "id");
			snprintf(id12, sizeof(id12), "%.12s", id ? id : "");
			set_tag(tags, "container.runtime", cw_data_string(k, "runtime"));
			set_tag(tags, "container.id", id ? id12 : NULL);
			set_tag(tags, "container.name", cw_data_string(k, "name"));
			set_tag(tags, "container.image", cw_data_string(k, "image"));
			set_tag(tags, "k8s.pod", cw_data_string(k, "pod_name"));
			set_tag(tags, "k8s.namespace", cw_data_string(k, "pod_namespace"));
			set_tag(tags, "k8s.qos_class", cw_data_string(k, "qos_class"));
		}
		set(ev, "tags", tags);
	}
	struct json_object *exc = exception_interface(data, is_go);
	struct json_object *threads = threads_interface(data, is_go);
	struct json_object *ctx = contexts(data);
	if (!exc || !threads || !ctx) {
		json_object_put(exc);
		json_object_put(threads);
		json_object_put(ctx);
		return -ENOMEM;
	}
	add_loop(data, tags, ctx);
	set(ev, "exception", exc);
	set(ev, "threads", threads);
	set(ev, "contexts", ctx);
	*out = CW_TAKE_PTR(ev);
	return 0;
}

int cw_format_sentry(const char *delivery_id, struct json_object *data, int64_t now,
		     const struct cw_sentry_dsn *dsn, struct cw_http_request *req)
{
	_cleanup_json_ struct json_object *ev = NULL;
	_cleanup_json_ struct json_object *hdr = json_object_new_object();
	char sent_at[32];
	int r;

	memset(req, 0, sizeof(*req));
	if (!hdr)
		return -ENOMEM;
	if ((r = cw_sentry_event_new(delivery_id, data, &ev)) < 0)
		return r;
	cw_format_rfc3339(now, sent_at);
	set_str(hdr, "event_id", delivery_id);
	set_str(hdr, "sent_at", sent_at);
	size_t elen = 0;
	const char *event = json_object_to_json_string_length(ev, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &elen);
	const char *header = json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!event || !header)
		return -ENOMEM;
	int n = asprintf(&req->body, "%s\n{\"type\":\"event\",\"length\":%zu,\"content_type\":\"application/json\"}\n%s\n",
			 header, elen, event);
	if (n < 0) {
		req->body = NULL;
		return -ENOMEM;
	}
	req->body_len = (size_t)n;
	if (!(req->url = strdup(dsn->envelope_url)))
		r = -ENOMEM;
	else if ((r = cw_http_request_add_header(req, "Content-Type: application/x-sentry-envelope")) >= 0)
		r = cw_http_request_add_header(req, "X-Sentry-Auth: Sentry sentry_version=7, sentry_client=crashwatch/%s, sentry_key=%s",
					       PACKAGE_VERSION, dsn->public_key);
	if (r < 0) {
		cw_http_request_clear(req);
		return r;
	}
	return 0;
}
