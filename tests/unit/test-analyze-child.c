/* Unit tests for daemon/analyze_child.c: the privilege-separated analysis
 * child. The daemon side is real (fork, limits, privilege drop, exec); the
 * program it execs is tests/unit/fake-analyzer, the real crashwatch-analyze
 * main and sandbox linked with test doubles (tests/unit/fake-analysis.c)
 * picked by the executable's name ("ok", "sleep", "abort", "hog", "fail",
 * "check-limits", "check-privileges", "socket", "open-write", "exec") so
 * that a hang, a crash, a memory hog, a failure and a forbidden system
 * call can be produced on demand. */
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
#include <sys/syscall.h>
#include <unistd.h>
#include <json-c/json.h>
#include <cmocka.h>

#include <pwd.h>
#include <sys/stat.h>

#include "daemon/analyze_child.h"

static char dir[64];
static char core_path[96];

/* an empty file named NAME in the test directory: the "executable" */
static const char *exe_file(const char *name)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	chmod(path, 0644);
	return path;
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

static double run_job_sb(struct cw_sandbox *sb, const char *exe, const char *core, struct outcome *o)
{
	sd_event *ev = NULL;
	assert_int_equal(sd_event_new(&ev), 0);
	if (!sb->analyzer[0])
		snprintf(sb->analyzer, sizeof(sb->analyzer), "%s", CW_FAKE_ANALYZER);
	struct cw_analysis_job *job = NULL;
	memset(o, 0, sizeof(*o));
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(cw_analysis_job_start(ev, sb, exe, core, on_done, o, &job), 0);
	while (!o->called)
		assert_true(sd_event_run(ev, 10 * 1000000ULL) >= 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	cw_analysis_job_free(job);
	sd_event_unref(ev);
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

static double run_job(const char *exe, uint64_t timeout_sec, uint64_t memory_max, struct outcome *o)
{
	struct cw_sandbox sb = { .memory_max = memory_max, .timeout_sec = timeout_sec };
	return run_job_sb(&sb, exe_file(exe), core_path, o);
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
	char want[160];
	snprintf(want, sizeof(want), "%s: not an ELF core", core_path);
	assert_string_equal(o.error, want);
}

/* the child opens the core as the analysis user, before the exec */
static void test_missing_core(void **state)
{
	struct outcome o;
	struct cw_sandbox sb = { .timeout_sec = 10 };
	run_job_sb(&sb, exe_file("ok"), "/nonexistent/core", &o);
	assert_false(o.ok);
	assert_string_equal(o.error, "/nonexistent/core: no such file");
}

static void test_missing_analyzer(void **state)
{
	struct outcome o;
	struct cw_sandbox sb = { .timeout_sec = 10 };
	snprintf(sb.analyzer, sizeof(sb.analyzer), "/nonexistent/crashwatch-analyze");
	run_job_sb(&sb, exe_file("ok"), core_path, &o);
	assert_false(o.ok);
	assert_string_equal(o.error, "cannot run the analyzer /nonexistent/crashwatch-analyze: No such file or "
			    "directory (is crashwatch completely installed?)");
}

/* the installed analyzer is the one next to the daemon, or in libexecdir */
static void test_analyzer_located(void **state)
{
	struct cw_sandbox sb;
	bool missing;
	assert_int_equal(cw_sandbox_from_config(NULL, 0, 0, &sb, &missing), 0);
	assert_string_equal(sb.analyzer, CW_LIBEXECDIR "/crashwatch-analyze");
}

/* no capabilities, NO_NEW_PRIVS, a seccomp filter, only the descriptors
 * it was given; as root (no User=) */
static void test_privileges_dropped(void **state)
{
	struct outcome o;
	run_job("check-privileges", 10, 0, &o);
	assert_true(o.ok);
	assert_non_null(strstr(o.json, "fds=6 exe_fd=5 core_fd=4 "));
	assert_non_null(strstr(o.json, " CapEff=0000000000000000"));
	assert_non_null(strstr(o.json, " CapPrm=0000000000000000"));
	assert_non_null(strstr(o.json, " CapAmb=0000000000000000"));
	assert_non_null(strstr(o.json, " NoNewPrivs=1"));
	assert_non_null(strstr(o.json, " Seccomp=2"));
	if (geteuid() == 0) /* CAP_SETPCAP at the start: the bounding set is emptied too */
		assert_non_null(strstr(o.json, " CapBnd=0000000000000000"));
}

/* a crash's kept libraries arrive as descriptors 6.. and nothing else:
 * a missing one and one the analysis user cannot read are left out */
static void test_libraries_passed(void **state)
{
	char a[160], b[160], secret[160];
	snprintf(a, sizeof(a), "%s/lib-a", dir);
	snprintf(b, sizeof(b), "%s/lib-b", dir);
	snprintf(secret, sizeof(secret), "%s/lib-secret", dir);
	const char *const files[][2] = { { a, "AAAA\n" }, { b, "BBBB\n" }, { secret, "SSSS\n" } };
	for (size_t i = 0; i < 3; i++) {
		FILE *f = fopen(files[i][0], "w");
		assert_non_null(f);
		fputs(files[i][1], f);
		fclose(f);
		chmod(files[i][0], i == 2 ? 0600 : 0644);
	}
	struct passwd *pw = geteuid() == 0 ? getpwnam("nobody") : NULL;
	struct cw_sandbox sb = { .timeout_sec = 10 };
	if (pw) {
		sb.drop = true;
		sb.uid = pw->pw_uid;
		sb.gid = pw->pw_gid;
	}
	snprintf(sb.analyzer, sizeof(sb.analyzer), "%s", CW_FAKE_ANALYZER);
	const char *libs[] = { a, "/nonexistent/lib", b, secret };
	sd_event *ev = NULL;
	assert_int_equal(sd_event_new(&ev), 0);
	struct cw_analysis_job *job = NULL;
	struct outcome o;
	memset(&o, 0, sizeof(o));
	const char *exe = exe_file("check-libraries");
	assert_int_equal(cw_analysis_job_start_libs(ev, &sb, exe, core_path, libs, pw ? 4 : 3, on_done, &o, &job), 0);
	while (!o.called)
		assert_true(sd_event_run(ev, 10 * 1000000ULL) >= 0);
	cw_analysis_job_free(job);
	sd_event_unref(ev);
	assert_true(o.ok);
	/* 0-2, the pipe, the core, the exe, two libraries */
	assert_non_null(strstr(o.json, "libs=2 6:AAAA 7:BBBB fds=8"));
}

/* as the [Analyze] User= when the daemon runs as root */
static void test_runs_as_analysis_user(void **state)
{
	if (geteuid() != 0)
		skip();
	struct passwd *pw = getpwnam("nobody");
	if (!pw)
		skip();
	struct cw_sandbox sb = { .timeout_sec = 10, .drop = true, .uid = pw->pw_uid, .gid = pw->pw_gid };
	struct outcome o;
	run_job_sb(&sb, exe_file("check-privileges"), core_path, &o);
	assert_true(o.ok);
	char want[64];
	/* status_fields keeps the real uid (up to the first tab) */
	snprintf(want, sizeof(want), " Uid=%u ", (unsigned)pw->pw_uid);
	assert_non_null(strstr(o.json, want));
	assert_non_null(strstr(o.json, " CapEff=0000000000000000"));
	assert_non_null(strstr(o.json, " Seccomp=2"));
}

/* what a hostile core would make a compromised analyzer try */
static void test_socket_trapped(void **state)
{
	struct outcome o;
	run_job("socket", 10, 0, &o);
	assert_false(o.ok);
	char want[128];
	snprintf(want, sizeof(want), "analysis stopped by its sandbox: system call %d is not in the analyzer's "
		 "seccomp allow-list", (int)SYS_socket);
	assert_string_equal(o.error, want);
}

static void test_exec_trapped(void **state)
{
	struct outcome o;
	run_job("exec", 10, 0, &o);
	assert_false(o.ok);
	char want[128];
	snprintf(want, sizeof(want), "analysis stopped by its sandbox: system call %d is not in the analyzer's "
		 "seccomp allow-list", (int)SYS_execve);
	assert_string_equal(o.error, want);
}

static void test_open_for_writing_denied(void **state)
{
	struct outcome o;
	run_job("open-write", 10, 0, &o);
	assert_false(o.ok);
	assert_string_equal(o.error, "open for writing: Permission denied");
	struct stat st;
	assert_int_equal(stat(core_path, &st), 0);
	assert_int_equal(st.st_size, 0);
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
	snprintf(dir, sizeof(dir), "/tmp/cw-test-analyze-child.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	chmod(dir, 0755);
	snprintf(core_path, sizeof(core_path), "%s/core", dir);
	FILE *f = fopen(core_path, "w");
	if (!f)
		return 1;
	fclose(f);
	chmod(core_path, 0666); /* the open-write test shows the sandbox, not the mode, refuses */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_missing_core),
		cmocka_unit_test(test_missing_analyzer),
		cmocka_unit_test(test_analyzer_located),
		cmocka_unit_test(test_privileges_dropped),
		cmocka_unit_test(test_runs_as_analysis_user),
		cmocka_unit_test(test_libraries_passed),
		cmocka_unit_test(test_socket_trapped),
		cmocka_unit_test(test_exec_trapped),
		cmocka_unit_test(test_open_for_writing_denied),
		cmocka_unit_test(test_limits_applied),
		cmocka_unit_test(test_failure_reason),
		cmocka_unit_test(test_timeout_kills),
		cmocka_unit_test(test_crash_contained),
		cmocka_unit_test(test_memory_limit),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}
