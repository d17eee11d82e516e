/* Unit tests for the upload payload and formats: Standard Webhooks
 * signatures, the data object (fields, privacy, bounds), Slack and Discord
 * escaping, Sentry DSN parsing and envelope shape, retry policy. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "common/cwconfig.h"
#include "common/utf8.h"
#include "daemon/format.h"
#include "daemon/payload.h"
#include "daemon/upload.h"

static const char analysis_go[] =
	"{\"schema\":\"crashwatch.analysis.v1\","
	"\"executable\":{\"path\":\"/srv/api\",\"build_id\":\"abcd\",\"go_build_id\":null},"
	"\"go\":{\"version\":\"go1.24.1\",\"main_module\":\"example.com/api\",\"main_version\":\"v1.2.3\","
	" \"vcs_revision\":\"0123abcd\",\"settings\":{\"GOARCH\":\"amd64\",\"GOOS\":\"linux\"}},"
	"\"signal\":{\"number\":6,\"name\":\"SIGABRT\",\"code\":-6,\"address\":null},"
	"\"panics\":[{\"message\":\"disk full\",\"recovered\":true,\"goexit\":false,\"type\":\"string\"},"
	"  {\"message\":\"quota <exceeded> & `boom` @everyone\",\"recovered\":false,\"goexit\":false,\"type\":\"*errors.errorString\"}],"
	"\"fatal_error\":null,\"fault\":null,\"crashed_goroutine\":7,"
	"\"goroutines\":["
	" {\"id\":1,\"status\":\"chan receive\",\"frames\":[{\"function\":\"runtime.gopark\",\"file\":\"/go/src/runtime/proc.go\",\"line\":424,\"pc\":\"0x43e0ee\",\"inlined\":false},"
	"   {\"function\":\"main.main\",\"file\":\"/src/main.go\",\"line\":30,\"pc\":\"0x4815cc\",\"inlined\":false}]},"
	" {\"id\":7,\"status\":\"running\",\"frames\":["
	"   {\"function\":\"runtime.gopanic\",\"file\":\"/go/src/runtime/panic.go\",\"line\":804,\"pc\":\"0x43a0\",\"inlined\":false},"
	"   {\"function\":\"example.com/api/store.(*DB).Put\",\"file\":\"/src/store/db.go\",\"line\":14,\"pc\":\"0x481304\",\"inlined\":true},"
	"   {\"function\":\"fmt.Sprintf\",\"file\":\"/go/src/fmt/print.go\",\"line\":240,\"pc\":\"0x47000\",\"inlined\":false},"
	"   {\"function\":\"main.handler\",\"file\":\"/src/main.go\",\"line\":25,\"pc\":\"0x4815ff\",\"inlined\":false},"
	"   {\"function\":\"github.com/x/y.Run\",\"file\":\"/mod/y.go\",\"line\":3,\"pc\":\"0x4900\",\"inlined\":false}]}],"
	"\"threads\":[{\"tid\":2791,\"crashed\":true,\"goroutine\":7,\"frames\":[]}],"
	"\"fingerprint\":\"5e1f0c0ffee5e1f0c0ffee5e1f0c0ffee5e1f0c0ffee5e1f0c0ffee5e1f0c0ff\"}";

static const char analysis_native[] =
	"{\"schema\":\"crashwatch.analysis.v1\",\"executable\":{\"path\":\"/usr/bin/cc1\"},\"go\":null,"
	"\"signal\":{\"number\":11,\"name\":\"SIGSEGV\",\"code\":1,\"address\":\"0x8\"},"
	"\"panics\":[],\"fatal_error\":null,"
	"\"fault\":{\"signal\":\"SIGSEGV\",\"code\":1,\"address\":\"0x8\",\"pc\":\"0x401000\",\"function\":\"parse\",\"file\":null,\"line\":0,\"instruction\":\"mov rax, [rax+8]\"},"
	"\"crashed_goroutine\":0,\"goroutines\":[],"
	"\"threads\":[{\"tid\":10,\"crashed\":false,\"frames\":[{\"function\":\"poll\",\"module\":\"libc.so.6\",\"pc\":\"0x7f00\"}]},"
	"  {\"tid\":11,\"crashed\":true,\"frames\":[{\"function\":\"parse\",\"module\":\"cc1\",\"pc\":\"0x401000\"},"
	"   {\"function\":\"__libc_start_main\",\"module\":\"libc.so.6\",\"pc\":\"0x7f01\"}]}],"
	"\"fingerprint\":\"aa\"}";

struct fixture {
	struct json_object *analysis;
	struct cw_upload_config up;
	struct cw_crash_report report;
};

static const char *const test_env[] = { "HOME=/root", "SECRET_TOKEN=hunter2", NULL };

static void fixture_init(struct fixture *f, const char *analysis, enum cw_upload_format fmt)
{
	memset(f, 0, sizeof(*f));
	f->analysis = json_tokener_parse(analysis);
	assert_non_null(f->analysis);
	f->up.name = (char *)"Upload";
	f->up.format = fmt;
	f->up.events = CW_EVENTS_ALL;
	f->report = (struct cw_crash_report){
		.crash_id = "42", .timestamp = 1764032523, .hostname = "web-1", .pid = 4242, .uid = 1000,
		.cmdline = "/srv/api --password=swordfish", .environment = test_env,
		.fingerprint_count = 3, .first_seen = 1764000000, .analysis = f->analysis,
	};
}

static struct json_object *data_for(struct fixture *f)
{
	struct json_object *data = NULL;
	assert_int_equal(cw_payload_data_new(&f->report, &f->up, &data), 0);
	assert_non_null(data);
	return data;
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static const char *str_member(struct json_object *o, const char *key)
{
	return json_object_get_string(member(o, key));
}

static void test_secret_and_signature_vector(void **state)
{
	/* the Standard Webhooks reference test vector */
	struct cw_webhook_secret s;
	char sig[CW_WEBHOOK_SIGNATURE_MAX];
	const char body[] = "{\"test\": 2432232314}";
	assert_int_equal(cw_webhook_secret_parse(" whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", &s), 0);
	assert_int_equal(s.len, 24);
	assert_int_equal(cw_webhook_sign(&s, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), sig), 0);
	assert_string_equal(sig, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	cw_webhook_secret_clear(&s);

	assert_true(cw_webhook_secret_parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &s) < 0);
	assert_true(cw_webhook_secret_parse("whsec_", &s) < 0);
	assert_true(cw_webhook_secret_parse("whsec_abc", &s) < 0);
	assert_true(cw_webhook_secret_parse("whsec_MfKQ9r8G KYqrTwjU", &s) < 0);
	assert_true(cw_webhook_secret_parse("whsec_!!!!", &s) < 0);
	/* padding is not key material */
	assert_int_equal(cw_webhook_secret_parse("whsec_YWJj", &s), 0);
	assert_int_equal(s.len, 3);
	assert_int_equal(cw_webhook_secret_parse("whsec_YWI=", &s), 0);
	assert_int_equal(s.len, 2);
	assert_memory_equal(s.key, "ab", 2);
}

static void test_data_object(void **state)
{
	struct fixture f;
	fixture_init(&f, analysis_go, CW_UPLOAD_JSON);
	struct json_object *d = data_for(&f);

	assert_string_equal(str_member(d, "crash_id"), "42");
	assert_string_equal(str_member(d, "hostname"), "web-1");
	assert_string_equal(str_member(d, "executable"), "/srv/api");
	assert_string_equal(str_member(d, "time"), "2025-11-25T01:02:03Z");
	assert_string_equal(str_member(d, "first_seen"), "2025-11-24T16:00:00Z");
	assert_int_equal(json_object_get_int64(member(d, "fingerprint_count")), 3);
	assert_false(json_object_get_boolean(member(d, "new_fingerprint")));
	assert_string_equal(str_member(member(d, "go"), "version"), "go1.24.1");
	assert_string_equal(str_member(member(d, "go"), "module"), "example.com/api");
	assert_string_equal(str_member(member(d, "signal"), "name"), "SIGABRT");
	/* the panic that killed it: the last unrecovered one */
	assert_string_equal(str_member(d, "kind"), "panic");
	assert_string_equal(str_member(d, "error_type"), "*errors.errorString");
	assert_string_equal(str_member(d, "message"), "quota <exceeded> & `boom` @everyone");
	assert_int_equal(json_object_get_int64(member(member(d, "crashed_goroutine"), "id")), 7);
	assert_string_equal(str_member(d, "fingerprint"),
			    "5e1f0c0ffee5e1f0c0ffee5e1f0c0ffee5e1f0c0ffee5e1f0c0ffee5e1f0c0ff");

	struct json_object *frames = member(d, "frames");
	assert_int_equal(json_object_array_length(frames), 5);
	static const bool in_app[] = { false, true, false, true, true };
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(json_object_get_boolean(member(json_object_array_get_idx(frames, i), "in_app")), in_app[i]);
	assert_string_equal(str_member(json_object_array_get_idx(frames, 3), "function"), "main.handler");
	assert_int_equal(json_object_get_int64(member(json_object_array_get_idx(frames, 3), "line")), 25);

	/* privacy: nothing of the command line or environment by default, no stacks for json */
	struct json_object *v = NULL;
	assert_false(json_object_object_get_ex(d, "cmdline", &v));
	assert_false(json_object_object_get_ex(d, "environment", &v));
	assert_false(json_object_object_get_ex(d, "stacks", &v));
	assert_null(strstr(json_object_to_json_string(d), "swordfish"));
	assert_null(strstr(json_object_to_json_string(d), "hunter2"));
	json_object_put(d);

	f.up.include_cmdline = true;
	f.up.include_environment = true;
	d = data_for(&f);
	assert_string_equal(str_member(d, "cmdline"), "/srv/api --password=swordfish");
	assert_string_equal(str_member(member(d, "environment"), "SECRET_TOKEN"), "hunter2");
	json_object_put(d);
	json_object_put(f.analysis);
}

static void test_data_bounds_and_events(void **state)
{
	/* a goroutine with 500 frames and a 100 KB message: bounded */
	struct json_object *a = json_tokener_parse(analysis_go);
	assert_non_null(a);
	char *huge = malloc(100001);
	assert_non_null(huge);
	memset(huge, 'x', 100000);
	huge[100000] = '\0';
	huge[2046] = '\xc3'; /* a two-byte character across the cut */
	huge[2047] = '\xa9';
	struct json_object *panics = member(a, "panics");
	json_object_object_add(json_object_array_get_idx(panics, 1), "message", json_object_new_string(huge));
	struct json_object *g7 = json_object_array_get_idx(member(a, "goroutines"), 1);
	struct json_object *many = json_object_new_array();
	for (int i = 0; i < 500; i++) {
		struct json_object *fr = json_object_new_object();
		json_object_object_add(fr, "function", json_object_new_string("main.recurse"));
		json_object_array_add(many, fr);
	}
	json_object_object_add(g7, "frames", many);

	struct fixture f;
	fixture_init(&f, analysis_go, CW_UPLOAD_SENTRY);
	json_object_put(f.analysis);
	f.analysis = f.report.analysis = a;
	struct json_object *d = data_for(&f);
	assert_int_equal(json_object_array_length(member(d, "frames")), CW_PAYLOAD_TOP_FRAMES);
	assert_int_equal(json_object_get_int64(member(d, "frames_total")), 500);
	const char *msg = str_member(d, "message");
	assert_true(strlen(msg) <= CW_PAYLOAD_MAX_STRING);
	assert_true(json_object_get_string_len(member(d, "message")) > 2000);
	/* the cut never splits a character: the last bytes are the ellipsis */
	assert_string_equal(msg + strlen(msg) - 3, "\xe2\x80\xa6");
	/* stacks (sentry only): every goroutine, frames bounded, crashed marked */
	struct json_object *stacks = member(d, "stacks");
	assert_int_equal(json_object_array_length(stacks), 2);
	assert_true(json_object_get_boolean(member(json_object_array_get_idx(stacks, 1), "crashed")));
	assert_false(json_object_get_boolean(member(json_object_array_get_idx(stacks, 0), "crashed")));
	assert_int_equal(json_object_array_length(member(json_object_array_get_idx(stacks, 1), "frames")),
			 CW_PAYLOAD_STACK_FRAMES);
	json_object_put(d);

	/* malformed UTF-8 (a Go string is bytes) becomes U+FFFD; the JSON stays valid */
	json_object_object_add(json_object_array_get_idx(panics, 1), "message",
			       json_object_new_string("\xff\xfe bad \xc0\xaf \xed\xa0\x80 ok \xe2\x82"));
	d = data_for(&f);
	assert_string_equal(str_member(d, "message"),
			    "\xef\xbf\xbd\xef\xbf\xbd bad \xef\xbf\xbd\xef\xbf\xbd "
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd ok \xef\xbf\xbd\xef\xbf\xbd");
	json_object_put(d);

	/* a long message of 3-byte characters: every chat body is still whole UTF-8 */
	char *wide = malloc(3 * 3000 + 1);
	assert_non_null(wide);
	for (int i = 0; i < 3000; i++)
		memcpy(wide + 3 * i, "\xe2\x82\xac", 3); /* U+20AC */
	wide[9000] = '\0';
	json_object_object_add(json_object_array_get_idx(panics, 1), "message", json_object_new_string(wide));
	d = data_for(&f);
	struct cw_http_request r;
	assert_int_equal(cw_format_slack(d, &r), 0);
	assert_int_equal(cw_utf8_prefix(r.body, r.body_len), r.body_len);
	cw_http_request_clear(&r);
	assert_int_equal(cw_format_discord(d, &r), 0);
	assert_int_equal(cw_utf8_prefix(r.body, r.body_len), r.body_len);
	struct json_object *body = json_tokener_parse(r.body);
	assert_non_null(body);
	assert_true(strlen(str_member(body, "content")) <= 2000);
	json_object_put(body);
	cw_http_request_clear(&r);
	json_object_put(d);
	free(wide);

	/* Events=new-fingerprint */
	f.up.events = CW_EVENTS_NEW_FINGERPRINT;
	assert_false(cw_payload_wanted(&f.report, &f.up));
	f.report.fingerprint_count = 1;
	assert_true(cw_payload_wanted(&f.report, &f.up));
	free(huge);
	json_object_put(a);
}

static const char *header_value(const struct cw_http_request *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->nheaders; i++)
		if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
			return r->headers[i] + n + 2;
	return NULL;
}

static void test_format_json(void **state)
{
	struct fixture f;
	fixture_init(&f, analysis_go, CW_UPLOAD_JSON);
	struct json_object *d = data_for(&f);
	struct cw_webhook_secret s;
	assert_int_equal(cw_webhook_secret_parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &s), 0);
	struct cw_http_request r1, r2;
	assert_int_equal(cw_format_json("0123456789abcdef0123456789abcdef", d, 1700000000, &s, &r1), 0);
	assert_int_equal(cw_format_json("0123456789abcdef0123456789abcdef", d, 1700000100, &s, &r2), 0);
	assert_string_equal(header_value(&r1, "webhook-id"), "msg_0123456789abcdef0123456789abcdef");
	assert_string_equal(header_value(&r1, "webhook-timestamp"), "1700000000");
	assert_string_equal(header_value(&r1, "Content-Type"), "application/json");
	/* same body on every attempt, signature over the attempt's timestamp */
	assert_int_equal(r1.body_len, r2.body_len);
	assert_memory_equal(r1.body, r2.body, r1.body_len);
	char sig[CW_WEBHOOK_SIGNATURE_MAX], expect[80];
	assert_int_equal(cw_webhook_sign(&s, "msg_0123456789abcdef0123456789abcdef", 1700000000,
					 r1.body, r1.body_len, sig), 0);
	snprintf(expect, sizeof(expect), "v1,%s", sig);
	assert_string_equal(header_value(&r1, "webhook-signature"), expect);
	assert_string_not_equal(header_value(&r1, "webhook-signature"), header_value(&r2, "webhook-signature"));

	struct json_object *body = json_tokener_parse(r1.body);
	assert_non_null(body);
	assert_string_equal(str_member(body, "type"), "crash.created");
	assert_string_equal(str_member(body, "timestamp"), "2025-11-25T01:02:03Z");
	assert_string_equal(str_member(member(body, "data"), "crash_id"), "42");
	json_object_put(body);
	cw_http_request_clear(&r1);
	cw_http_request_clear(&r2);

	/* no secret: no signature header */
	assert_int_equal(cw_format_json("0123456789abcdef0123456789abcdef", d, 1700000000, NULL, &r1), 0);
	assert_null(header_value(&r1, "webhook-signature"));
	cw_http_request_clear(&r1);
	json_object_put(d);
	json_object_put(f.analysis);
}

static void test_format_slack_discord(void **state)
{
	struct fixture f;
	fixture_init(&f, analysis_go, CW_UPLOAD_SLACK);
	struct json_object *d = data_for(&f);
	struct cw_http_request r;
	assert_int_equal(cw_format_slack(d, &r), 0);
	struct json_object *msg = json_tokener_parse(r.body);
	assert_non_null(msg);
	const char *text = str_member(msg, "text");
	assert_non_null(strstr(text, "api crashed on web-1"));
	/* Slack control characters escaped, backticks cannot close a code block */
	assert_non_null(strstr(text, "quota &lt;exceeded&gt; &amp; 'boom'"));
	assert_null(strstr(r.body, "<exceeded>"));
	struct json_object *blocks = member(msg, "blocks");
	assert_true(json_object_array_length(blocks) >= 4);
	assert_string_equal(str_member(json_object_array_get_idx(blocks, 0), "type"), "header");
	/* the frames block shows application frames with file:line */
	assert_non_null(strstr(r.body, "main.handler"));
	assert_non_null(strstr(r.body, "/src/main.go:25"));
	assert_null(strstr(r.body, "runtime.gopanic"));
	json_object_put(msg);
	cw_http_request_clear(&r);

	assert_int_equal(cw_format_discord(d, &r), 0);
	msg = json_tokener_parse(r.body);
	assert_non_null(msg);
	assert_int_equal(json_object_array_length(member(member(msg, "allowed_mentions"), "parse")), 0);
	assert_true(strlen(str_member(msg, "content")) <= 2000);
	struct json_object *embed = json_object_array_get_idx(member(msg, "embeds"), 0);
	assert_string_equal(str_member(embed, "title"), "api crashed on web-1");
	assert_string_equal(str_member(embed, "timestamp"), "2025-11-25T01:02:03Z");
	assert_null(strstr(str_member(embed, "description"), "`boom`"));
	json_object_put(msg);
	cw_http_request_clear(&r);
	json_object_put(d);
	json_object_put(f.analysis);
}

static void test_sentry_dsn(void **state)
{
	struct cw_sentry_dsn dsn;
	assert_int_equal(cw_sentry_dsn_parse("https://abc123@o1.ingest.sentry.io/42", &dsn), 0);
	assert_string_equal(dsn.envelope_url, "https://o1.ingest.sentry.io/api/42/envelope/");
	assert_string_equal(dsn.public_key, "abc123");
	assert_string_equal(dsn.project_id, "42");
	cw_sentry_dsn_clear(&dsn);
	assert_int_equal(cw_sentry_dsn_parse("http://key:secret@127.0.0.1:9000/sub/path/7/", &dsn), 0);
	assert_string_equal(dsn.envelope_url, "http://127.0.0.1:9000/sub/path/api/7/envelope/");
	assert_string_equal(dsn.public_key, "key");
	cw_sentry_dsn_clear(&dsn);
	assert_true(cw_sentry_dsn_parse("https://o1.ingest.sentry.io/42", &dsn) < 0);      /* no key */
	assert_true(cw_sentry_dsn_parse("https://k@o1.ingest.sentry.io/", &dsn) < 0);      /* no project */
	assert_true(cw_sentry_dsn_parse("https://k@o1.ingest.sentry.io/abc", &dsn) < 0);   /* not a project id */
	assert_true(cw_sentry_dsn_parse("ftp://k@host/1", &dsn) < 0);
	assert_true(cw_sentry_dsn_parse("https://k%0d%0aX:1@host/1", &dsn) < 0);          /* header injection */
	assert_true(cw_sentry_dsn_parse("not a url", &dsn) < 0);
}

static void test_sentry_envelope(void **state)
{
	struct fixture f;
	fixture_init(&f, analysis_go, CW_UPLOAD_SENTRY);
	struct json_object *d = data_for(&f);
	struct cw_sentry_dsn dsn;
	assert_int_equal(cw_sentry_dsn_parse("http://pub@127.0.0.1:1/5", &dsn), 0);
	struct cw_http_request r;
	const char *id = "0123456789abcdef0123456789abcdef";
	assert_int_equal(cw_format_sentry(id, d, 1700000000, &dsn, &r), 0);
	assert_string_equal(r.url, "http://127.0.0.1:1/api/5/envelope/");
	assert_string_equal(header_value(&r, "Content-Type"), "application/x-sentry-envelope");
	assert_non_null(strstr(header_value(&r, "X-Sentry-Auth"), "sentry_key=pub"));
	assert_non_null(strstr(header_value(&r, "X-Sentry-Auth"), "sentry_version=7"));

	/* three lines: envelope header, item header with the exact length, the event */
	char *nl1 = strchr(r.body, '\n');
	assert_non_null(nl1);
	char *nl2 = strchr(nl1 + 1, '\n');
	assert_non_null(nl2);
	*nl1 = *nl2 = '\0';
	struct json_object *eh = json_tokener_parse(r.body);
	struct json_object *ih = json_tokener_parse(nl1 + 1);
	assert_non_null(eh);
	assert_non_null(ih);
	assert_string_equal(str_member(eh, "event_id"), id);
	assert_string_equal(str_member(ih, "type"), "event");
	size_t len = (size_t)json_object_get_int64(member(ih, "length"));
	assert_int_equal(strlen(nl2 + 1), len + 1);
	assert_int_equal(nl2[1 + len], '\n');
	nl2[1 + len] = '\0';
	struct json_object *ev = json_tokener_parse(nl2 + 1);
	assert_non_null(ev);

	assert_string_equal(str_member(ev, "event_id"), id);
	assert_string_equal(str_member(ev, "platform"), "go");
	assert_string_equal(str_member(ev, "level"), "fatal");
	assert_string_equal(str_member(ev, "server_name"), "web-1");
	assert_string_equal(str_member(ev, "release"), "example.com/api@v1.2.3");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(member(ev, "fingerprint"), 0)),
			    "5e1f0c0ffee5e1f0c0ffee5e1f0c0ffee5e1f0c0ffee5e1f0c0ffee5e1f0c0ff");
	struct json_object *exc = json_object_array_get_idx(member(member(ev, "exception"), "values"), 0);
	assert_string_equal(str_member(exc, "type"), "*errors.errorString");
	assert_int_equal(json_object_get_int64(member(exc, "thread_id")), 7);
	assert_false(json_object_get_boolean(member(member(exc, "mechanism"), "handled")));
	struct json_object *frames = member(member(exc, "stacktrace"), "frames");
	assert_int_equal(json_object_array_length(frames), 5);
	/* oldest first: the innermost frame (runtime.gopanic) is last */
	struct json_object *last = json_object_array_get_idx(frames, 4);
	assert_string_equal(str_member(last, "module"), "runtime");
	assert_string_equal(str_member(last, "function"), "gopanic");
	assert_false(json_object_get_boolean(member(last, "in_app")));
	struct json_object *put = json_object_array_get_idx(frames, 3);
	assert_string_equal(str_member(put, "module"), "example.com/api/store");
	assert_string_equal(str_member(put, "function"), "(*DB).Put");
	assert_string_equal(str_member(put, "filename"), "db.go");
	assert_string_equal(str_member(put, "abs_path"), "/src/store/db.go");
	assert_int_equal(json_object_get_int64(member(put, "lineno")), 14);
	assert_true(json_object_get_boolean(member(put, "in_app")));

	struct json_object *threads = member(member(ev, "threads"), "values");
	assert_int_equal(json_object_array_length(threads), 2);
	int crashed = 0;
	for (size_t i = 0; i < 2; i++) {
		struct json_object *t = json_object_array_get_idx(threads, i);
		if (json_object_get_boolean(member(t, "crashed"))) {
			crashed++;
			assert_int_equal(json_object_get_int64(member(t, "id")), 7);
		} else {
			assert_string_equal(str_member(t, "name"), "goroutine 1");
			assert_int_equal(json_object_array_length(member(member(t, "stacktrace"), "frames")), 2);
		}
	}
	assert_int_equal(crashed, 1);
	struct json_object *ctx = member(ev, "contexts");
	assert_string_equal(str_member(member(ctx, "runtime"), "version"), "go1.24.1");
	assert_string_equal(str_member(member(ctx, "os"), "name"), "Linux");
	assert_string_equal(str_member(member(ctx, "device"), "arch"), "amd64");

	json_object_put(eh);
	json_object_put(ih);
	json_object_put(ev);
	cw_http_request_clear(&r);
	cw_sentry_dsn_clear(&dsn);
	json_object_put(d);
	json_object_put(f.analysis);
}

static void test_native_crash(void **state)
{
	struct fixture f;
	fixture_init(&f, analysis_native, CW_UPLOAD_SENTRY);
	struct json_object *d = data_for(&f);
	assert_string_equal(str_member(d, "runtime"), "native");
	assert_string_equal(str_member(d, "kind"), "fault");
	assert_string_equal(str_member(d, "error_type"), "SIGSEGV");
	assert_non_null(strstr(str_member(d, "message"), "addr=0x8"));
	assert_int_equal(json_object_get_int64(member(d, "crashed_thread")), 11);
	struct json_object *frames = member(d, "frames");
	assert_int_equal(json_object_array_length(frames), 2);
	assert_true(json_object_get_boolean(member(json_object_array_get_idx(frames, 0), "in_app")));
	assert_false(json_object_get_boolean(member(json_object_array_get_idx(frames, 1), "in_app")));
	struct json_object *ev = NULL;
	assert_int_equal(cw_sentry_event_new("00000000000000000000000000000001", d, &ev), 0);
	assert_string_equal(str_member(ev, "platform"), "native");
	struct json_object *v = NULL;
	assert_false(json_object_object_get_ex(ev, "release", &v));
	struct json_object *threads = member(member(ev, "threads"), "values");
	assert_int_equal(json_object_array_length(threads), 2);
	assert_int_equal(json_object_get_int64(member(json_object_array_get_idx(threads, 1), "id")), 11);
	assert_true(json_object_get_boolean(member(json_object_array_get_idx(threads, 1), "crashed")));
	assert_string_equal(str_member(json_object_array_get_idx(member(member(json_object_array_get_idx(threads, 0),
		"stacktrace"), "frames"), 0), "package"), "libc.so.6");
	json_object_put(ev);

	/* no frames at all (the analysis failed): no empty stacktrace */
	json_object_object_add(d, "frames", json_object_new_array());
	json_object_object_add(d, "stacks", json_object_new_array());
	assert_int_equal(cw_sentry_event_new("00000000000000000000000000000002", d, &ev), 0);
	struct json_object *e0 = json_object_array_get_idx(member(member(ev, "exception"), "values"), 0);
	assert_false(json_object_object_get_ex(e0, "stacktrace", &v));
	assert_string_equal(str_member(e0, "type"), "SIGSEGV");
	json_object_put(ev);
	json_object_put(d);
	json_object_put(f.analysis);
}

static void test_retry_policy(void **state)
{
	/* doubling from the initial delay, capped, jittered into the upper half */
	for (uint32_t rnd = 0; rnd < 1000; rnd += 37) {
		int64_t d1 = cw_upload_backoff(10, 3600, 1, rnd);
		int64_t d3 = cw_upload_backoff(10, 3600, 3, rnd);
		int64_t d20 = cw_upload_backoff(10, 3600, 20, rnd);
		assert_true(d1 >= 5 && d1 <= 10);
		assert_true(d3 >= 20 && d3 <= 40);
		assert_true(d20 >= 1800 && d20 <= 3600);
		assert_true(cw_upload_backoff(1, 1, 1, rnd) >= 1);
	}
	assert_true(cw_upload_backoff(10, 3600, 1, 0) != cw_upload_backoff(10, 3600, 1, 5));
	assert_true(cw_upload_backoff(5, UINT64_MAX, 200, 7) > 0);
	assert_true(cw_upload_status_retryable(0));
	assert_true(cw_upload_status_retryable(429));
	assert_true(cw_upload_status_retryable(500));
	assert_true(cw_upload_status_retryable(503));
	assert_true(cw_upload_status_retryable(408));
	assert_false(cw_upload_status_retryable(400));
	assert_false(cw_upload_status_retryable(401));
	assert_false(cw_upload_status_retryable(404));
	assert_false(cw_upload_status_retryable(301));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_and_signature_vector),
		cmocka_unit_test(test_data_object),
		cmocka_unit_test(test_data_bounds_and_events),
		cmocka_unit_test(test_format_json),
		cmocka_unit_test(test_format_slack_discord),
		cmocka_unit_test(test_sentry_dsn),
		cmocka_unit_test(test_sentry_envelope),
		cmocka_unit_test(test_native_crash),
		cmocka_unit_test(test_retry_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
