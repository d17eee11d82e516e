/* Pulling the stored columns out of an analysis. */
#include "config.h"
#include "daemon/analysis_summary.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *get(struct json_object *o, const char *k, enum json_type t)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static const char *get_str(struct json_object *o, const char *k)
{
	struct json_object *v = get(o, k, json_type_string);
	return v ? json_object_get_string(v) : NULL;
}

static int fault_location(struct json_object *fault, char **out)
{
	const char *fn = get_str(fault, "function"), *file = get_str(fault, "file");
	struct json_object *line = get(fault, "line", json_type_int);
	if (!fn)
		return 0;
	int r = file ? asprintf(out, "%s %s:%d", fn, file, line ? json_object_get_int(line) : 0)
		     : asprintf(out, "%s", fn);
	return r < 0 ? -ENOMEM : 0;
}

int cw_analysis_summary_get(struct json_object *a, struct cw_analysis_summary *s)
{
	memset(s, 0, sizeof(*s));
	if (!json_object_is_type(a, json_type_object))
		return -EINVAL;
	struct json_object *go = get(a, "go", json_type_object);
	s->go_version = get_str(go, "version");
	s->go_module = get_str(go, "main_module");
	s->fingerprint = get_str(a, "fingerprint");
	s->build_id = get_str(get(a, "executable", json_type_object), "build_id");
	struct json_object *sig = get(get(a, "signal", json_type_object), "number", json_type_int);
	s->signal = sig && json_object_get_int(sig) > 0 && json_object_get_int(sig) < 128 ? json_object_get_int(sig) : 0;
	struct json_object *v = get(a, "crashed_goroutine", json_type_int);
	s->crashed_goroutine = v ? json_object_get_int64(v) : 0;
	struct json_object *gs = get(a, "goroutines", json_type_array);
	s->goroutine_count = gs ? (int64_t)json_object_array_length(gs) : 0;

	struct json_object *panics = get(a, "panics", json_type_array);
	size_t np = panics ? json_object_array_length(panics) : 0;
	const char *fatal = get_str(a, "fatal_error");
	const char *msg = np ? get_str(json_object_array_get_idx(panics, np - 1), "message") : NULL;
	if (msg)
		s->message = strdup(msg);
	else if (fatal && asprintf(&s->message, "fatal error: %s", fatal) < 0)
		s->message = NULL;
	if ((msg || fatal) && !s->message)
		return -ENOMEM;
	struct json_object *fault = get(a, "fault", json_type_object);
	int r = fault_location(fault, &s->fault_location);
	if (r == 0 && !s->fault_location && gs && s->crashed_goroutine) {
		/* no fault: where the crashing goroutine was (its first user frame) */
		for (size_t i = 0; i < json_object_array_length(gs); i++) {
			struct json_object *g = json_object_array_get_idx(gs, i);
			struct json_object *id = get(g, "id", json_type_int);
			if (!id || json_object_get_int64(id) != s->crashed_goroutine)
				continue;
			struct json_object *frames = get(g, "frames", json_type_array);
			for (size_t k = 0; frames && k < json_object_array_length(frames); k++) {
				struct json_object *f = json_object_array_get_idx(frames, k);
				const char *fn = get_str(f, "function");
				if (fn && strncmp(fn, "runtime.", 8) != 0) {
					r = fault_location(f, &s->fault_location);
					break;
				}
			}
			break;
		}
	}
	return r;
}

void cw_analysis_summary_clear(struct cw_analysis_summary *s)
{
	free(s->message);
	free(s->fault_location);
	memset(s, 0, sizeof(*s));
}
