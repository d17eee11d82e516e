/* Query requests: parsing (hostile) and formatting. */
#include "config.h"
#include "common/query_proto.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

static const char *const verb_names[] = {
	[CW_QUERY_LIST] = "list", [CW_QUERY_INFO] = "info", [CW_QUERY_GROUPS] = "groups",
	[CW_QUERY_STATUS] = "status", [CW_QUERY_DUMP] = "dump", [CW_QUERY_SUMMARIES] = "summaries",
	[CW_QUERY_LOOPS] = "loops",
};

const char *cw_query_verb_name(enum cw_query_verb v)
{
	return (unsigned)v < CW_ARRAY_SIZE(verb_names) ? verb_names[v] : "?";
}

static bool get_i64(struct json_object *o, const char *k, int64_t min, int64_t max, int64_t *out)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, k, &v))
		return true;
	if (!json_object_is_type(v, json_type_int))
		return false;
	int64_t x = json_object_get_int64(v);
	if (x < min || x > max)
		return false;
	*out = x;
	return true;
}

static bool get_s(struct json_object *o, const char *k, char *buf, size_t size, const char **out)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, k, &v))
		return true;
	if (!json_object_is_type(v, json_type_string))
		return false;
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n >= size || memchr(s, '\0', n))
		return false;
	memcpy(buf, s, n + 1);
	*out = buf;
	return true;
}

int cw_query_request_parse(const char *buf, size_t len, struct cw_query_request *out)
{
	memset(out, 0, sizeof(*out));
	if (len == 0 || len > CW_QUERY_REQUEST_MAX)
		return -EBADMSG;
	struct json_tokener *tok = json_tokener_new_ex(8);
	if (!tok)
		return -ENOMEM;
	struct json_object *root = json_tokener_parse_ex(tok, buf, (int)len);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	int r = -EBADMSG;
	for (; root && end < len; end++)
		if (buf[end] != '\n' && buf[end] != ' ' && buf[end] != '\r') {
			json_object_put(root);
			return -EBADMSG; /* one request per connection, nothing after it */
		}
	struct json_object *verb, *filter = NULL;
	if (!root || !json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "verb", &verb) || !json_object_is_type(verb, json_type_string))
		goto out;
	size_t i;
	for (i = 0; i < CW_ARRAY_SIZE(verb_names); i++)
		if (strcmp(json_object_get_string(verb), verb_names[i]) == 0)
			break;
	if (i == CW_ARRAY_SIZE(verb_names)) {
		r = -EOPNOTSUPP; /* a newer client's verb: it may fall back */
		goto out;
	}
	out->verb = (enum cw_query_verb)i;
	if (json_object_object_get_ex(root, "filter", &filter)) {
		if (!json_object_is_type(filter, json_type_object))
			goto out;
		int64_t newest = 0;
		struct cw_crash_filter *f = &out->filter;
		if (!get_i64(filter, "id", 1, INT64_MAX, &f->id) ||
		    !get_i64(filter, "pid", 1, INT32_MAX, &f->pid) ||
		    !get_i64(filter, "since_usec", 0, INT64_MAX, &f->since_usec) ||
		    !get_i64(filter, "until_usec", 0, INT64_MAX, &f->until_usec) ||
		    !get_i64(filter, "newest", 0, 1000000, &newest) ||
		    !get_s(filter, "match", out->match, sizeof(out->match), &f->match) ||
		    !get_s(filter, "fingerprint", out->fingerprint, sizeof(out->fingerprint), &f->fingerprint) ||
		    !get_s(filter, "container", out->container, sizeof(out->container), &f->container) ||
		    !get_s(filter, "pod", out->pod, sizeof(out->pod), &f->pod) ||
		    !get_s(filter, "namespace", out->pod_namespace, sizeof(out->pod_namespace), &f->pod_namespace) ||
		    !get_s(filter, "unit", out->unit, sizeof(out->unit), &f->unit))
			goto out;
		f->newest = (size_t)newest;
	}
	r = 0;
out:
	json_object_put(root);
	return r;
}

int cw_query_request_format(enum cw_query_verb verb, const struct cw_crash_filter *f, char **out)
{
	struct json_object *o = json_object_new_object(), *flt = json_object_new_object();
	if (!o || !flt) {
		json_object_put(o);
		json_object_put(flt);
		return -ENOMEM;
	}
	json_object_object_add(o, "verb", json_object_new_string(cw_query_verb_name(verb)));
	if (f->id > 0)
		json_object_object_add(flt, "id", json_object_new_int64(f->id));
	if (f->pid > 0)
		json_object_object_add(flt, "pid", json_object_new_int64(f->pid));
	if (f->since_usec)
		json_object_object_add(flt, "since_usec", json_object_new_int64(f->since_usec));
	if (f->until_usec)
		json_object_object_add(flt, "until_usec", json_object_new_int64(f->until_usec));
	if (f->newest)
		json_object_object_add(flt, "newest", json_object_new_int64((int64_t)f->newest));
	if (f->match)
		json_object_object_add(flt, "match", json_object_new_string(f->match));
	if (f->fingerprint)
		json_object_object_add(flt, "fingerprint", json_object_new_string(f->fingerprint));
	if (f->container)
		json_object_object_add(flt, "container", json_object_new_string(f->container));
	if (f->pod)
		json_object_object_add(flt, "pod", json_object_new_string(f->pod));
	if (f->pod_namespace)
		json_object_object_add(flt, "namespace", json_object_new_string(f->pod_namespace));
	if (f->unit)
		json_object_object_add(flt, "unit", json_object_new_string(f->unit));
	json_object_object_add(o, "filter", flt);
	int r = asprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return r < 0 ? -ENOMEM : 0;
}
