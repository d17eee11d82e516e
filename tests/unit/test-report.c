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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_fingerprint_groups),
		cmocka_unit_test(test_json_contract),
	};
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
