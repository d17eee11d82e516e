/* libFuzzer harness: the upload payload and the json, Slack and Discord
 * formats from a hostile analysis JSON (panic messages, function names and
 * file names all come from a crashed process). Every body must be valid
 * JSON and valid UTF-8 whatever the input. (Sentry's format links libcurl,
 * which `make fuzz` does not; its event is built from the same data.) */
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cwconfig.h"
#include "common/utf8.h"
#include "daemon/format.h"
#include "daemon/payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_body(const struct cw_http_request *r)
{
	if (cw_utf8_prefix(r->body, r->body_len) != r->body_len)
		abort();
	struct json_object *o = json_tokener_parse(r->body);
	if (!o)
		abort();
	json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const env[] = { "GOTRACEBACK=crash", "X=\xff", NULL };
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct json_object *analysis = json_tokener_parse(text);
	free(text);
	if (!analysis)
		return 0;
	struct cw_upload_config up = {
		.name = (char *)"Upload", .format = CW_UPLOAD_SENTRY,
		.include_cmdline = true, .include_environment = true,
	};
	struct cw_crash_report c = {
		.crash_id = "1", .timestamp = 1700000000, .hostname = "h\xc3", .pid = 1, .uid = 0,
		.cmdline = "a\xe2\x82", .environment = env, .fingerprint_count = 2, .first_seen = 1,
		.analysis = analysis,
	};
	struct json_object *d = NULL;
	if (cw_payload_data_new(&c, &up, &d) == 0) {
		struct cw_webhook_secret s = { .key = { 1, 2, 3 }, .len = 3 };
		struct cw_http_request r;
		if (cw_format_json("00000000000000000000000000000000", d, 1700000000, &s, &r) == 0) {
			check_body(&r);
			cw_http_request_clear(&r);
		}
		if (cw_format_slack(d, &r) == 0) {
			check_body(&r);
			cw_http_request_clear(&r);
		}
		if (cw_format_discord(d, &r) == 0) {
			check_body(&r);
			cw_http_request_clear(&r);
		}
		json_object_put(d);
	}
	json_object_put(analysis);
	return 0;
}
