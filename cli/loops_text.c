/* Crash loops in the text of `crashwatch status`, `list` and `groups`:
 * "crash loop: EXE crashed 240 times in 10 min, last at ...". */
#include "config.h"
#include "cli/loops_text.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>

#include "cli/cli.h"

static int64_t get_i(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static const char *get_s(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
		json_object_get_string(v) : NULL;
}

size_t cw_print_crash_loops(FILE *f, struct json_object *status, const char *indent)
{
	struct json_object *arr;
	if (!status || !json_object_object_get_ex(status, "crash_loops", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return 0;
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(arr, i);
		char last[32], span[32];
		int64_t secs = (get_i(l, "last_usec") - get_i(l, "first_usec")) / 1000000;
		if (secs < 0)
			secs = 0;
		if (secs < 120)
			snprintf(span, sizeof(span), "%" PRId64 " s", secs);
		else
			snprintf(span, sizeof(span), "%" PRId64 " min", (secs + 59) / 60);
		cw_format_time(get_i(l, "last_usec"), last, sizeof(last));
		const char *fp = get_s(l, "fingerprint");
		fprintf(f, "%scrash loop: %s crashed %" PRId64 " times in %s, last at %s (fingerprint %.12s,"
			" %" PRId64 " core%s kept, %" PRId64 " not)\n", indent, get_s(l, "exe") ? get_s(l, "exe") : "?",
			get_i(l, "count"), span, last, fp ? fp : "?", get_i(l, "cores_stored"),
			get_i(l, "cores_stored") == 1 ? "" : "s", get_i(l, "cores_dropped"));
	}
	return n;
}

void cw_print_source_loops(struct cw_source *src, FILE *f)
{
	struct json_object *st = NULL;
	if (cw_source_crash_loops(src, &st) < 0)
		return;
	struct json_object *arr;
	if (json_object_object_get_ex(st, "crash_loops", &arr) && json_object_is_type(arr, json_type_array) &&
	    json_object_array_length(arr) > 0) {
		fputc('\n', f);
		cw_print_crash_loops(f, st, "");
	}
	json_object_put(st);
}
