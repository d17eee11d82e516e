/* Plain-text pieces shared by the chat formats (Slack, Discord). */
#include "config.h"
#include "daemon/format.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/utf8.h"
#include "daemon/payload.h"

/* Appends to out (size outlen, *used bytes so far); silently truncates on a
 * character boundary when full. */
static void append(char *out, size_t outlen, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *out, size_t outlen, size_t *used, const char *fmt, ...)
{
	if (*used + 1 >= outlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out + *used, outlen - *used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= outlen - *used) {
		size_t keep = cw_utf8_prefix(out + *used, outlen - *used - 1);
		out[*used + keep] = '\0';
		*used += keep;
		return;
	}
	*used += (size_t)n;
}

int cw_format_title(struct json_object *data, char *out, size_t outlen)
{
	const char *exe = cw_data_string(data, "executable_name");
	const char *host = cw_data_string(data, "hostname");
	size_t used = 0;
	if (!outlen)
		return -EINVAL;
	out[0] = '\0';
	struct json_object *loop = NULL;
	if (json_object_object_get_ex(data, "crash_loop", &loop) && json_object_is_type(loop, json_type_object)) {
		int64_t span = cw_data_int(loop, "duration_sec");
		const char *last = cw_data_string(loop, "last");
		append(out, outlen, &used, "%s crash loop on %s: crashed %" PRId64 " times in %" PRId64 " min, last at %s",
		       exe ? exe : "a program", host ? host : "?", cw_data_int(loop, "count"), (span + 59) / 60,
		       last ? last : "?");
		return 0;
	}
	append(out, outlen, &used, "%s crashed on %s", exe ? exe : "a program", host ? host : "?");
	return 0;
}

/* The payload's "container" object, or NULL outside a container. */
static struct json_object *container_of(struct json_object *data)
{
	struct json_object *k = NULL;
	if (!json_object_object_get_ex(data, "container", &k) || !json_object_is_type(k, json_type_object))
		return NULL;
	return k;
}

int cw_format_container(struct json_object *data, char *out, size_t outlen)
{
	size_t used = 0;
	if (!outlen)
		return -EINVAL;
	out[0] = '\0';
	struct json_object *k = container_of(data);
	if (!k)
		return 0;
	const char *name = cw_data_string(k, "name"), *id = cw_data_string(k, "id");
	const char *runtime = cw_data_string(k, "runtime");
	if (!name && !id && !runtime)
		return 0;
	const char *rt = runtime ? runtime : "runtime unknown";
	if (name && id)
		append(out, outlen, &used, "%s (%s, %.12s)", name, rt, id);
	else if (name || id)
		append(out, outlen, &used, "%.*s (%s)", name ? 255 : 12, name ? name : id, rt);
	else
		append(out, outlen, &used, "? (%s)", rt);
	return 0;
}

int cw_format_pod(struct json_object *data, char *out, size_t outlen)
{
	size_t used = 0;
	if (!outlen)
		return -EINVAL;
	out[0] = '\0';
	struct json_object *k = container_of(data);
	if (!k)
		return 0;
	const char *name = cw_data_string(k, "pod_name"), *ns = cw_data_string(k, "pod_namespace");
	const char *uid = cw_data_string(k, "pod_uid"), *qos = cw_data_string(k, "qos_class");
	if (!name && !uid)
		return 0;
	append(out, outlen, &used, "%s/%s", ns ? ns : "?", name ? name : uid);
	if (qos)
		append(out, outlen, &used, " (%s)", qos);
	return 0;
}

static bool frame_in_app(struct json_object *f)
{
	struct json_object *v = NULL;
	return json_object_object_get_ex(f, "in_app", &v) && json_object_get_boolean(v);
}

int cw_format_frames_text(struct json_object *data, size_t max_frames, char *out, size_t outlen)
{
	struct json_object *frames = NULL;
	size_t used = 0;
	if (!outlen)
		return -EINVAL;
	out[0] = '\0';
	if (!json_object_object_get_ex(data, "frames", &frames) ||
	    !json_object_is_type(frames, json_type_array))
		return 0;
	size_t n = json_object_array_length(frames);
	bool any_app = false;
	for (size_t i = 0; i < n; i++)
		any_app |= frame_in_app(json_object_array_get_idx(frames, i));
	for (size_t i = 0, shown = 0; i < n && shown < max_frames; i++) {
		struct json_object *f = json_object_array_get_idx(frames, i);
		if (any_app && !frame_in_app(f))
			continue;
		const char *fn = cw_data_string(f, "function");
		const char *file = cw_data_string(f, "file");
		append(out, outlen, &used, "%s\n", fn ? fn : "??");
		if (file)
			append(out, outlen, &used, "    %s:%" PRId64 "\n", file, cw_data_int(f, "line"));
		shown++;
	}
	return 0;
}
