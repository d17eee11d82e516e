/* Unit tests for daemon/analyze_child.c: the sandboxed analysis child.
 * The analyzer is replaced by test doubles picked by the executable name
 * ("ok", "sleep", "abort", "hog", "fail", "check-limits") so that a hang,
 * a crash, a memory hog and a failure can be produced on demand. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <cmocka.h>

#include "analyzer/analysis.h"
#include "daemon/analyze_child.h"

/* --- test doubles for the analyzer (run in the child) --- */
int cw_analyze_files(const char *exe, const char *core, const struct cw_analyze_opts *o,
		     struct cw_analysis **out, char *err, size_t errlen)
{
	if (!exe || strcmp(exe, "fail") == 0) {
		snprintf(err, errlen, "%s: not an ELF core", core);
		return -EBADMSG;
	}
	if (strcmp(exe, "sleep") == 0)
		for (;;)
			pause();
	if (strcmp(exe, "abort") == 0)
		abort();
	if (strcmp(exe, "hog") == 0) {
		for (size_t i = 0; i < 4096; i++) {
			char *p = malloc(1 << 20);
			if (!p) {
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			memset(p, 1, 1 << 20);
		}
		return -E2BIG; /* never reached under a 64M limit */
	}
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	if (strcmp(exe, "check-limits") == 0) {
		struct rlimit core_l, as_l;
		getrlimit(RLIMIT_CORE, &core_l);
		getrlimit(RLIMIT_AS, &as_l);
		char buf[128];
		snprintf(buf, sizeof(buf), "core=%llu as=%llu", (unsigned long long)core_l.rlim_cur,
			 (unsigned long long)as_l.rlim_cur);
		(*out)->comm = strdup(buf);
	}
	return 0;
}

int cw_analysis_write_json(const struct cw_analysis *a, FILE *out, bool pretty)
{
	(void)pretty;
	fprintf(out, "{\"schema\":\"%s\"", CW_ANALYSIS_SCHEMA);
	if (a->comm)
		fprintf(out, ",\"limits\":\"%s\"", a->comm);
	fputc('}', out);
	return ferror(out) ? -EIO : 0;
}

void cw_analysis_free(struct cw_analysis *a)
{
	if (a)
		free(a->comm);
	free(a);
}

/* --- the tests --- */
struct outcome {
	bool called, ok;
	char json[256], error[256];
};

static void on_done(void *userdata, bool ok, const char *json, const char *error)
{
	struct outcome *o = userdata;
	o->called = true;
	o->ok = ok;
	snprintf(o->json, sizeof(o->json), "%s", json ? json : "");
	snprintf(o->error, sizeof(o->error), "%s", error ? error : "");
}

static double run_job(const char *exe, uint64_t timeout_sec, uint64_t memory_max, struct outcome *o)
{
	sd_event *ev = NULL;
	assert_int_equal(sd_event_new(&ev), 0);
	struct cw_sandbox sb = { .memory_max = memory_max, .timeout_sec = timeout_sec };
	struct cw_analysis_job *job = NULL;
	memset(o, 0, sizeof(*o));
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(cw_analysis_job_start(ev, &sb, exe, "/nonexistent/core", on_done, o, &job), 0);
	while (!o->called)
		assert_true(sd_event_run(ev, 10 * 1000000ULL) >= 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	cw_analysis_job_free(job);
	sd_event_unref(ev);
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

static void test_ok(void **state)
{
	struct outcome o;
	run_job("ok", 10, 0, &o);
	assert_true(o.ok);
	assert_string_equal(o.json, "{\"schema\":\"crashwatch.analysis.v1\"}");
}

static void test_limits_applied(void **state)
{
	struct outcome o;
	run_job("check-limits", 10, CW_SANDBOX_HAS_AS_LIMIT ? (256ULL << 20) : 0, &o);
	assert_true(o.ok);
	if (CW_SANDBOX_HAS_AS_LIMIT)
		assert_non_null(strstr(o.json, "core=0 as=268435456"));
	else
		assert_non_null(strstr(o.json, "core=0 "));
}

static void test_failure_reason(void **state)
{
	struct outcome o;
	run_job("fail", 10, 0, &o);
	assert_false(o.ok);
	assert_string_equal(o.error, "/nonexistent/core: not an ELF core");
}

static void test_timeout_kills(void **state)
{
	struct outcome o;
	double secs = run_job("sleep", 1, 0, &o);
	assert_false(o.ok);
	assert_string_equal(o.error, "analysis timed out after 1s");
	assert_true(secs < 5.0);
}

static void test_crash_contained(void **state)
{
	struct outcome o;
	run_job("abort", 10, 0, &o);
	assert_false(o.ok);
	assert_non_null(strstr(o.error, "killed by signal SIGABRT"));
}

static void test_memory_limit(void **state)
{
	if (!CW_SANDBOX_HAS_AS_LIMIT)
		skip();
	struct outcome o;
	run_job("hog", 10, 64ULL << 20, &o);
	assert_false(o.ok);
	assert_string_equal(o.error, "out of memory");
}

int main(void)
{
	/* sd-event child sources need SIGCHLD blocked */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_limits_applied),
		cmocka_unit_test(test_failure_reason),
		cmocka_unit_test(test_timeout_kills),
		cmocka_unit_test(test_crash_contained),
		cmocka_unit_test(test_memory_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
