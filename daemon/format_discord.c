/* Format=discord: a Discord execute-webhook message with one embed.
 * Mentions are disabled (allowed_mentions) so that hostile text from a
 * crash (a panic message saying "@everyone") cannot ping anybody. */
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

/* Discord's limits */
#define DISCORD_CONTENT_MAX 2000
#define DISCORD_TITLE_MAX 256
#define DISCORD_DESCRIPTION_MAX 4096
#define DISCORD_FIELD_MAX 1024
#define DISCORD_FOOTER_MAX 2048
#define DISCORD_COLOR_RED 0xED4245


/* Backticks become quotes so hostile text cannot leave a code block. */
static void code_safe(const char *s, char *out, size_t outlen)
{
	size_t used = 0;
	for (; s && *s && used + 1 < outlen; s++)
		out[used++] = *s == '`' ? '\'' : *s;
	out[used] = '\0';
	out[cw_utf8_prefix(out, used)] = '\0';
}

static int add_field(struct json_object *fields, const char *name, const char *value, bool is_inline)
{
	if (!value)
		return 0;
	struct json_object *f = json_object_new_object();
	if (!f)
		return -ENOMEM;
	json_object_object_add(f, "name", json_object_new_string(name));
	json_object_object_add(f, "value", cw_json_string_bounded(value, DISCORD_FIELD_MAX));
	json_object_object_add(f, "inline", json_object_new_boolean(is_inline));
	if (json_object_array_add(fields, f) < 0) {
		json_object_put(f);
		return -ENOMEM;
	}
	return 0;
}

int cw_format_discord(struct json_object *data, struct cw_http_request *req)
{
	_cleanup_json_ struct json_object *msg = json_object_new_object();
	_cleanup_json_ struct json_object *embed = json_object_new_object();
	_cleanup_json_ struct json_object *fields = json_object_new_array();
	struct json_object *embeds = NULL, *mentions = NULL, *footer = NULL;
	char title[256], message[1500], frames[2048], safe[2100], buf[DISCORD_DESCRIPTION_MAX];
	int r;

	memset(req, 0, sizeof(*req));
	if (!msg || !embed || !fields)
		return -ENOMEM;
	cw_format_title(data, title, sizeof(title));
	code_safe(cw_data_string(data, "message"), message, sizeof(message));
	const char *kind = cw_data_string(data, "kind");
	const char *etype = cw_data_string(data, "error_type");

	json_object_object_add(msg, "username", json_object_new_string("crashwatch"));
	snprintf(buf, sizeof(buf), "%s: %s", title, message);
	json_object_object_add(msg, "content", cw_json_string_bounded(buf, DISCORD_CONTENT_MAX));
	if (!(mentions = json_object_new_object()))
		return -ENOMEM;
	json_object_object_add(mentions, "parse", json_object_new_array());
	json_object_object_add(msg, "allowed_mentions", mentions);

	json_object_object_add(embed, "title", cw_json_string_bounded(title, DISCORD_TITLE_MAX));
	cw_format_frames_text(data, 5, frames, sizeof(frames));
	code_safe(frames, safe, sizeof(safe));
	char esc_type[300];
	code_safe(etype, esc_type, sizeof(esc_type));
	snprintf(buf, sizeof(buf), "**%s** (`%s`)\n```\n%s\n```%s%s%s", kind ? kind : "crash", esc_type,
		 message, safe[0] ? "\n```\n" : "", safe, safe[0] ? "```" : "");
	json_object_object_add(embed, "description", cw_json_string_bounded(buf, DISCORD_DESCRIPTION_MAX));
	json_object_object_add(embed, "color", json_object_new_int(DISCORD_COLOR_RED));
	const char *when = cw_data_string(data, "time");
	if (when)
		json_object_object_add(embed, "timestamp", json_object_new_string(when));

	struct json_object *go = NULL, *sig = NULL;
	json_object_object_get_ex(data, "go", &go);
	json_object_object_get_ex(data, "signal", &sig);
	char seen[128], container[320], pod[320];
	cw_format_container(data, container, sizeof(container));
	cw_format_pod(data, pod, sizeof(pod));
	snprintf(seen, sizeof(seen), "%" PRId64 " since %s", cw_data_int(data, "fingerprint_count"),
		 cw_data_string(data, "first_seen") ? cw_data_string(data, "first_seen") : "?");
	if ((r = add_field(fields, "Executable", cw_data_string(data, "executable"), false)) < 0 ||
	    (r = add_field(fields, "Signal", cw_data_string(sig, "name"), true)) < 0 ||
	    (r = add_field(fields, "Go", cw_data_string(go, "version"), true)) < 0 ||
	    (r = add_field(fields, "Module", cw_data_string(go, "module"), true)) < 0 ||
	    (r = add_field(fields, "Seen", seen, true)) < 0 ||
	    (r = add_field(fields, "Container", container[0] ? container : NULL, true)) < 0 ||
	    (r = add_field(fields, "Pod", pod[0] ? pod : NULL, true)) < 0 ||
	    (r = add_field(fields, "Command line", cw_data_string(data, "cmdline"), false)) < 0)
		return r;
	json_object_object_add(embed, "fields", CW_TAKE_PTR(fields));

	const char *fp = cw_data_string(data, "fingerprint");
	const char *id = cw_data_string(data, "crash_id");
	snprintf(buf, sizeof(buf), "crash %s · fingerprint %.12s", id ? id : "?", fp ? fp : "none");
	if (!(footer = json_object_new_object()))
		return -ENOMEM;
	json_object_object_add(footer, "text", cw_json_string_bounded(buf, DISCORD_FOOTER_MAX));
	json_object_object_add(embed, "footer", footer);

	if (!(embeds = json_object_new_array()))
		return -ENOMEM;
	json_object_object_add(msg, "embeds", embeds);
	if (json_object_array_add(embeds, CW_TAKE_PTR(embed)) < 0)
		return -ENOMEM;

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
