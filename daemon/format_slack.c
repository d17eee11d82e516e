/* Format=slack: a Slack incoming-webhook message (text fallback + blocks). */
#include "config.h"
#include "daemon/format.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json_util.h"
#include "common/utf8.h"
#include "daemon/payload.h"

#define SLACK_TEXT_MAX 2900   /* a section's text is limited to 3000 characters */
#define SLACK_HEADER_MAX 150


/* Slack's escaping of &, < and > (control sequences), plus backticks turned
 * into quotes so hostile text cannot close a code block. Bounded. */
static void slack_escape(const char *s, char *out, size_t outlen)
{
	size_t used = 0;
	for (; s && *s && used + 6 < outlen; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '`': rep = "'"; break;
		}
		if (rep) {
			size_t k = strlen(rep);
			memcpy(out + used, rep, k);
			used += k;
		} else {
			out[used++] = *s;
		}
	}
	out[used] = '\0';
	used = cw_utf8_prefix(out, used); /* never end inside a character */
	out[used] = '\0';
}

static struct json_object *text_object(const char *type, const char *text)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "text", cw_json_string_bounded(text, SLACK_TEXT_MAX));
	return o;
}

static int add_block(struct json_object *blocks, const char *type, const char *key, struct json_object *v)
{
	struct json_object *b = json_object_new_object();
	if (!b || !v) {
		json_object_put(b);
		json_object_put(v);
		return -ENOMEM;
	}
	json_object_object_add(b, "type", json_object_new_string(type));
	json_object_object_add(b, key, v);
	if (json_object_array_add(blocks, b) < 0) {
		json_object_put(b);
		return -ENOMEM;
	}
	return 0;
}

static int add_field(struct json_object *fields, const char *name, const char *value)
{
	char esc[512], text[600];
	if (!value)
		return 0;
	slack_escape(value, esc, sizeof(esc));
	snprintf(text, sizeof(text), "*%s*\n%s", name, esc);
	struct json_object *f = text_object("mrkdwn", text);
	if (!f || json_object_array_add(fields, f) < 0) {
		json_object_put(f);
		return -ENOMEM;
	}
	return 0;
}

int cw_format_slack(struct json_object *data, struct cw_http_request *req)
{
	_cleanup_json_ struct json_object *msg = json_object_new_object();
	_cleanup_json_ struct json_object *blocks = json_object_new_array();
	_cleanup_json_ struct json_object *fields = json_object_new_array();
	char title[256], esc_title[512], message[1200], frames[2048], esc_frames[2600], buf[3000];
	int r;

	memset(req, 0, sizeof(*req));
	if (!msg || !blocks || !fields)
		return -ENOMEM;
	cw_format_title(data, title, sizeof(title));
	slack_escape(title, esc_title, sizeof(esc_title));
	const char *kind = cw_data_string(data, "kind");
	const char *etype = cw_data_string(data, "error_type");
	slack_escape(cw_data_string(data, "message"), message, sizeof(message));

	snprintf(buf, sizeof(buf), "%s: %s", esc_title, message);
	json_object_object_add(msg, "text", cw_json_string_bounded(buf, SLACK_TEXT_MAX));

	struct json_object *header = json_object_new_object();
	if (header) {
		json_object_object_add(header, "type", json_object_new_string("plain_text"));
		json_object_object_add(header, "text", cw_json_string_bounded(title, SLACK_HEADER_MAX));
	}
	if ((r = add_block(blocks, "header", "text", header)) < 0)
		return r;

	char esc_type[300];
	slack_escape(etype, esc_type, sizeof(esc_type));
	snprintf(buf, sizeof(buf), "*%s* (`%s`)\n```%s```", kind ? kind : "crash", esc_type, message);
	if ((r = add_block(blocks, "section", "text", text_object("mrkdwn", buf))) < 0)
		return r;

	struct json_object *go = NULL, *sig = NULL;
	json_object_object_get_ex(data, "go", &go);
	json_object_object_get_ex(data, "signal", &sig);
	char seen[128], first[32], container[320], pod[320];
	cw_format_container(data, container, sizeof(container));
	cw_format_pod(data, pod, sizeof(pod));
	snprintf(first, sizeof(first), "%s", cw_data_string(data, "first_seen") ? cw_data_string(data, "first_seen") : "?");
	snprintf(seen, sizeof(seen), "%" PRId64 " time%s since %s", cw_data_int(data, "fingerprint_count"),
		 cw_data_int(data, "fingerprint_count") == 1 ? "" : "s", first);
	if ((r = add_field(fields, "Executable", cw_data_string(data, "executable"))) < 0 ||
	    (r = add_field(fields, "Signal", cw_data_string(sig, "name"))) < 0 ||
	    (r = add_field(fields, "Go", cw_data_string(go, "version"))) < 0 ||
	    (r = add_field(fields, "Module", cw_data_string(go, "module"))) < 0 ||
	    (r = add_field(fields, "Seen", seen)) < 0 ||
	    (r = add_field(fields, "Container", container[0] ? container : NULL)) < 0 ||
	    (r = add_field(fields, "Pod", pod[0] ? pod : NULL)) < 0 ||
	    (r = add_field(fields, "Command line", cw_data_string(data, "cmdline"))) < 0)
		return r;
	if ((r = add_block(blocks, "section", "fields", CW_TAKE_PTR(fields))) < 0)
		return r;

	cw_format_frames_text(data, 5, frames, sizeof(frames));
	if (frames[0]) {
		slack_escape(frames, esc_frames, sizeof(esc_frames));
		snprintf(buf, sizeof(buf), "```%s```", esc_frames);
		if ((r = add_block(blocks, "section", "text", text_object("mrkdwn", buf))) < 0)
			return r;
	}

	char esc_id[200];
	slack_escape(cw_data_string(data, "crash_id"), esc_id, sizeof(esc_id));
	const char *fp = cw_data_string(data, "fingerprint");
	snprintf(buf, sizeof(buf), "crash `%s` · fingerprint `%.12s`", esc_id, fp ? fp : "none");
	struct json_object *elements = json_object_new_array();
	struct json_object *ctx = text_object("mrkdwn", buf);
	if (!elements || !ctx || json_object_array_add(elements, ctx) < 0) {
		json_object_put(ctx);
		json_object_put(elements);
		return -ENOMEM;
	}
	if ((r = add_block(blocks, "context", "elements", elements)) < 0)
		return r;
	json_object_object_add(msg, "blocks", CW_TAKE_PTR(blocks));

	size_t len = 0;
	const char *text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text || !(req->body = strndup(text, len)))
		return -ENOMEM;
	req->body_len = len;
	if ((r = cw_http_request_add_header(req, "Content-Type: application/json")) < 0) {
		cw_http_request_clear(req);
		return r;
	}
	return 0;
}
