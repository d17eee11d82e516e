/* Unit tests for the fingerprint rule, the JSON writer and the text report. */
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

#include "analyzer/analysis.h"
#include "analyzer/fingerprint.h"

static void set_frame(struct cw_frame *f, const char *fn, const char *file, int line, uint64_t pc)
{
	memset(f, 0, sizeof(*f));
	f->function = strdup(fn);
	f->file = file ? strdup(file) : NULL;
	f->line = line;
	f->pc = pc;
}

/* A Go crash: panic MSG in main.handler called from main.serve, with
 * runtime frames on top, lines shifted by LINE_SHIFT. */
static struct cw_analysis *make_go_crash(const char *type, const char *msg, const char *fn, int line_shift)
{
	struct cw_analysis *a = calloc(1, sizeof(*a));
	a->is_go = true;
	a->go.version = strdup("go1.26.0");
	a->exe_path = strdup("/srv/api");
	a->signal.present = true;
	a->signal.number = 6;
	a->signal.name = strdup("SIGABRT");
	a->signal.code = -6;
	a->panics = calloc(1, sizeof(*a->panics));
	a->npanics = 1;
	a->panics[0].message = strdup(msg);
	a->panics[0].type = strdup(type);
	a->crashed_goroutine = 1;
	a->goroutines = calloc(2, sizeof(*a->goroutines));
	a->ngoroutines = 2;
	for (int g = 0; g < 2; g++) {
		struct cw_goroutine *gr = &a->goroutines[g];
		gr->id = g + 1;
		gr->status = strdup(g == 0 ? "running" : "chan receive");
		gr->frames = calloc(4, sizeof(struct cw_frame));
		gr->nframes = 4;
		set_frame(&gr->frames[0], g == 0 ? "runtime.gopanic" : "runtime.gopark", "/go/src/runtime/panic.go", 700, 0x401000);
		set_frame(&gr->frames[1], g == 0 ? fn : "main.worker", "/src/main.go", 14 + line_shift, 0x481304 + line_shift);
		set_frame(&gr->frames[2], "main.serve", "/src/main.go", 30 + line_shift, 0x481400);
		set_frame(&gr->frames[3], "runtime.goexit", "/go/src/runtime/asm_amd64.s", 1700, 0x460000);
	}
	a->goroutines[1].has_created_by = true;
	set_frame(&a->goroutines[1].created_by, "main.main", "/src/main.go", 40, 0x481500);
	a->goroutines[1].created_by_goroutine = 1;
	return a;
}

static void test_normalize(void **state)
{
	char *s = cw_fingerprint_normalize_message("runtime error: index out of range [5] with length 3");
	assert_string_equal(s, "runtime error: index out of range [N] with length N");
	free(s);
	s = cw_fingerprint_normalize_message("(main.T) 0xc000012345");
	assert_string_equal(s, "(main.T) N");
	free(s);
	s = cw_fingerprint_normalize_message("main.statusCode(503)");
	assert_string_equal(s, "main.statusCode(N)");
	free(s);
	assert_true(cw_fingerprint_frame_is_internal("runtime.gopanic"));
	assert_true(cw_fingerprint_frame_is_internal("__restore_rt"));
	assert_false(cw_fingerprint_frame_is_internal("main.main"));
	assert_false(cw_fingerprint_frame_is_internal("runtimex.foo"));
}

static void test_fingerprint_groups(void **state)
{
	char fa[65], fb[65], fc[65], fd[65];
	/* the same bug at another index and with lines moved: same */
	struct cw_analysis *a = make_go_crash("runtime.boundsError", "runtime error: index out of range [5] with length 3", "main.handler", 0);
	struct cw_analysis *b = make_go_crash("runtime.boundsError", "runtime error: index out of range [9] with length 4", "main.handler", 7);
	/* another bug (other function): different */
	struct cw_analysis *c = make_go_crash("runtime.boundsError", "runtime error: index out of range [5] with length 3", "main.other", 0);
	/* another message kind: different */
	struct cw_analysis *d = make_go_crash("*errors.errorString", "disk full", "main.handler", 0);
	assert_int_equal(cw_fingerprint(a, fa), 0);
	assert_int_equal(cw_fingerprint(b, fb), 0);
	assert_int_equal(cw_fingerprint(c, fc), 0);
	assert_int_equal(cw_fingerprint(d, fd), 0);
	assert_string_equal(fa, fb);
	assert_string_not_equal(fa, fc);
	assert_string_not_equal(fa, fd);
	assert_int_equal(strlen(fa), 64);

	char *text = NULL;
	assert_int_equal(cw_fingerprint_text(a, &text), 0);
	assert_string_equal(text, "runtime=go\nkind=panic:runtime.boundsError\n"
				  "message=runtime error: index out of range [N] with length N\n"
				  "frame=main.handler\nframe=main.serve\n");
	free(text);
	cw_analysis_free(a);
	cw_analysis_free(b);
	cw_analysis_free(c);
	cw_analysis_free(d);
}

static void test_json_contract(void **state)
{
	struct cw_analysis *a = make_go_crash("string", "disk full", "main.handler", 0);
	a->fingerprint = strdup("ab");
	struct json_object *j = cw_analysis_to_json(a);
	struct json_object *v, *g0, *f0, *cb;
	assert_true(json_object_object_get_ex(j, "schema", &v));
	assert_string_equal(json_object_get_string(v), "crashwatch.analysis.v1");
	assert_true(json_object_object_get_ex(j, "crashed_goroutine", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(j, "fatal_error", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(j, "goroutines", &v));
	assert_int_equal(json_object_array_length(v), 2);
	g0 = json_object_array_get_idx(v, 1);
	assert_true(json_object_object_get_ex(g0, "frames", &v));
	f0 = json_object_array_get_idx(v, 1);
	assert_true(json_object_object_get_ex(f0, "pc", &v));
	assert_string_equal(json_object_get_string(v), "0x481304");
	assert_true(json_object_object_get_ex(g0, "created_by", &cb));
	assert_true(json_object_object_get_ex(cb, "goroutine", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(j, "panics", &v));
	assert_true(json_object_object_get_ex(json_object_array_get_idx(v, 0), "message", &v));
	assert_string_equal(json_object_get_string(v), "disk full");

	/* the text report, rendered from the JSON */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct cw_text_opts o = { 0 };
	assert_int_equal(cw_report_text(j, f, &o), 0);
	fclose(f);
	assert_non_null(strstr(buf, "panic: disk full"));
	assert_non_null(strstr(buf, "goroutine 1 [running]"));
	assert_non_null(strstr(buf, "main.handler"));
	assert_non_null(strstr(buf, "/src/main.go:14"));
	assert_non_null(strstr(buf, "1 goroutine [chan receive]: 2"));
	assert_non_null(strstr(buf, "created by main.main in goroutine 1"));
	assert_null(strstr(buf, "\033["));
	free(buf);
	json_object_put(j);
	cw_analysis_free(a);
}

/* The streamed JSON of a (compact), in a malloc'd buffer. */
static char *json_text(const struct cw_analysis *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(cw_analysis_write_json(a, f, false), 0);
	fclose(f);
	return buf;
}

static char *text_report(struct json_object *j)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct cw_text_opts o = { 0 };
	assert_non_null(f);
	assert_int_equal(cw_report_text(j, f, &o), 0);
	fclose(f);
	return buf;
}

/* Go strings are bytes: a panic value, function and file names of a
 * hostile pclntab may hold anything. The JSON stays valid UTF-8: valid
 * sequences as they are, each other byte \ufffd (Go's encoding/json). */
static void test_json_invalid_utf8(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xa5", "\"plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xa5\"" },
		{ "bad \xff\xfe end", "\"bad \\ufffd\\ufffd end\"" },
		{ "cut \xe2\x82", "\"cut \\ufffd\\ufffd\"" },               /* a truncated sequence: one per byte */
		{ "overlong \xc0\xaf \xe0\x80\xaf", "\"overlong \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\"" },
		{ "surrogate \xed\xa0\x80", "\"surrogate \\ufffd\\ufffd\\ufffd\"" },
		{ "too big \xf4\x90\x80\x80", "\"too big \\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "stray \x80x", "\"stray \\ufffdx\"" },
		{ "max \xf4\x8f\xbf\xbf", "\"max \xf4\x8f\xbf\xbf\"" },
		{ "esc \x1b[2J del \x7f", "\"esc \\u001b[2J del \\u007f\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cw_analysis *a = make_go_crash("string", cases[i].in, cases[i].in, 0);
		free(a->goroutines[0].frames[1].file);
		a->goroutines[0].frames[1].file = strdup(cases[i].in);
		char *js = json_text(a);
		char msg[160], fn[160], file[160];
		snprintf(msg, sizeof(msg), "\"message\":%s", cases[i].out);
		snprintf(fn, sizeof(fn), "\"function\":%s", cases[i].out);
		snprintf(file, sizeof(file), "\"file\":%s", cases[i].out);
		if (!strstr(js, msg) || !strstr(js, fn) || !strstr(js, file))
			fail_msg("case %zu: expected %s in %s", i, cases[i].out, js);
		/* and json-c reads it back */
		struct json_object *j = json_tokener_parse(js);
		assert_non_null(j);
		json_object_put(j);
		free(js);
		cw_analysis_free(a);
	}
	(void)state;
}

/* An errors.Join value: message is the value ("\n" between its lines),
 * printed is the runtime's form (a tab after each newline from 1.23); the
 * text report shows the runtime's form. */
static void test_multiline_panic(void **state)
{
	struct cw_analysis *a = make_go_crash("*errors.joinError", "open a: denied\nopen b: gone", "main.handler", 0);
	a->panics[0].printed = strdup("open a: denied\n\topen b: gone");
	char *js = json_text(a);
	assert_non_null(strstr(js, "\"message\":\"open a: denied\\nopen b: gone\""));
	assert_non_null(strstr(js, "\"printed\":\"open a: denied\\n\\topen b: gone\""));
	struct json_object *j = json_tokener_parse(js);
	assert_non_null(j);
	char *txt = text_report(j);
	assert_non_null(strstr(txt, "panic: open a: denied\n\topen b: gone (*errors.joinError)\n"));
	free(txt);
	json_object_put(j);
	free(js);
	/* the fingerprint takes the value: the same from every release */
	char fp1[65], fp2[65];
	assert_int_equal(cw_fingerprint(a, fp1), 0);
	free(a->panics[0].printed);
	a->panics[0].printed = strdup("open a: denied\nopen b: gone");
	assert_int_equal(cw_fingerprint(a, fp2), 0);
	assert_string_equal(fp1, fp2);
	cw_analysis_free(a);
	(void)state;
}

/* Control characters from the core never reach the terminal raw. */
static void test_text_report_controls(void **state)
{
	struct cw_analysis *a = make_go_crash("string", "boom\x1b]0;owned\x07 \xc2\x9b" "31m", "main.h\x1b[2Jandler", 0);
	free(a->goroutines[0].frames[1].file);
	a->goroutines[0].frames[1].file = strdup("/src/\rmain.go");
	struct json_object *j = cw_analysis_to_json(a);
	assert_non_null(j);
	char *txt = text_report(j);
	assert_null(strchr(txt, '\033'));
	assert_null(strchr(txt, '\a'));
	assert_null(strchr(txt, '\r'));
	assert_null(strstr(txt, "\xc2\x9b"));
	assert_non_null(strstr(txt, "panic: boom\\x1b]0;owned\\x07 \\u009b31m"));
	assert_non_null(strstr(txt, "main.h\\x1b[2Jandler"));
	assert_non_null(strstr(txt, "/src/\\rmain.go") || strstr(txt, "/src/\\x0dmain.go"));
	free(txt);
	/* the caller's tree is left as it was */
	struct json_object *v;
	assert_true(json_object_object_get_ex(json_object_array_get_idx(json_object_object_get(j, "panics"), 0),
					      "message", &v));
	assert_string_equal(json_object_get_string(v), "boom\x1b]0;owned\x07 \xc2\x9b" "31m");
	json_object_put(j);
	cw_analysis_free(a);
	(void)state;
}

/* pprof labels: in the JSON as {key, value} (valid UTF-8), in the text
 * report's header as Go 1.27 prints them, quoted only where needed. */
static void test_labels(void **state)
{
	struct cw_analysis *a = make_go_crash("string", "boom", "main.handler", 0);
	a->traceback_labels = CW_LABELS_SHOWN;
	struct cw_goroutine *g = &a->goroutines[0];
	g->labels = calloc(2, sizeof(*g->labels));
	g->nlabels = 2;
	g->labels[0] = (struct cw_label){ strdup("odd key"), strdup("caf\xc3\xa9 \xff\"") };
	g->labels[1] = (struct cw_label){ strdup("request"), strdup("r_42/a.b") };
	char *js = json_text(a);
	assert_non_null(strstr(js, "\"traceback_labels\":true"));
	assert_non_null(strstr(js, "\"labels\":[{\"key\":\"odd key\",\"value\":\"caf\xc3\xa9 \\ufffd\\\"\"},"
				   "{\"key\":\"request\",\"value\":\"r_42/a.b\"}]"));
	/* goroutine 2 has none: no member */
	assert_null(strstr(strstr(js, "\"id\":2"), "\"labels\""));
	struct json_object *j = json_tokener_parse(js);
	assert_non_null(j);
	char *txt = text_report(j);
	assert_non_null(strstr(txt, "goroutine 1 [running] {\"odd key\": \"caf\xc3\xa9 \xef\xbf\xbd\\\"\", request: r_42/a.b}:"));
	free(txt);
	json_object_put(j);
	free(js);
	a->traceback_labels = CW_LABELS_UNKNOWN;
	js = json_text(a);
	assert_null(strstr(js, "traceback_labels"));
	free(js);
	cw_analysis_free(a);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_fingerprint_groups),
		cmocka_unit_test(test_json_contract),
		cmocka_unit_test(test_json_invalid_utf8),
		cmocka_unit_test(test_multiline_panic),
		cmocka_unit_test(test_text_report_controls),
		cmocka_unit_test(test_labels),
	};
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
