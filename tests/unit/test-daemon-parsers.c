/* Unit tests for the daemon's parsers of hostile input: the spool record
 * (ID.meta) and the query socket's requests. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "common/query_proto.h"
#include "daemon/spool_record.h"

#define GOOD_ID "1732500000123456-4242-0a1b2c3d"

static void test_record_good(void **state)
{
	const char *j = "{\"schema\":\"crashwatch.record.v1\",\"id\":\"" GOOD_ID "\","
		"\"time_usec\":1732500000123456,\"pid\":4242,\"tid\":4243,\"uid\":1000,\"gid\":1000,"
		"\"signal\":11,\"comm\":\"api\",\"exe\":\"/srv/api\",\"restricted\":false,\"container\":true,"
		"\"cmdline\":[\"/srv/api\",\"-listen\",\":80\"],\"unit\":\"api.service\","
		"\"core\":{\"stored\":true,\"size\":10,\"stored_size\":9,\"truncated\":true,"
		"\"dropped_reason\":\"external-size-max\"},\"future_field\":{\"x\":1}}";
	struct cw_spool_record r;
	assert_int_equal(cw_spool_record_parse(j, strlen(j), &r), 0);
	assert_string_equal(r.id, GOOD_ID);
	assert_int_equal(r.pid, 4242);
	assert_int_equal(r.tid, 4243);
	assert_int_equal(r.uid, 1000);
	assert_int_equal(r.signal, 11);
	assert_string_equal(r.cmdline, "/srv/api -listen :80");
	assert_string_equal(r.container, "yes");
	assert_true(r.core_stored);
	assert_true(r.core_truncated);
	assert_int_equal(r.core_size, 9);
	assert_string_equal(r.dropped_reason, "external-size-max");
	cw_spool_record_clear(&r);
}

static void test_record_socket_mode(void **state)
{
	/* @socket entry: the kernel tells no signal; an unknown owner is root's only */
	const char *j = "{\"schema\":\"crashwatch.record.v1\",\"id\":\"" GOOD_ID "\","
		"\"time_usec\":1,\"pid\":7,\"tid\":null,\"uid\":null,\"gid\":null,\"signal\":null}";
	struct cw_spool_record r;
	assert_int_equal(cw_spool_record_parse(j, strlen(j), &r), 0);
	assert_int_equal(r.signal, 0);
	assert_int_equal(r.tid, 7);
	assert_int_equal(r.uid, 0);
	assert_true(r.restricted);
	cw_spool_record_clear(&r);
}

/* "libraries": only copies that are executables/HEX are passed on, at
 * most CW_SPOOL_LIBRARIES_MAX; a null or missing array is none */
static void test_record_libraries(void **state)
{
	char j[8192];
	int k = snprintf(j, sizeof(j), "{\"schema\":\"crashwatch.record.v1\",\"id\":\"" GOOD_ID "\","
			 "\"time_usec\":1,\"pid\":7,\"uid\":1,\"gid\":1,\"signal\":11,\"libraries\":["
			 "{\"path\":\"/opt/lib/liba.so\",\"build_id\":\"ab12\",\"copy\":\"executables/ab12\"},"
			 "{\"copy\":\"executables/../cores/x\"},{\"copy\":\"/etc/shadow\"},"
			 "{\"copy\":\"executables/AB12\"},{\"copy\":\"executables/\"},{\"copy\":7},\"executables/cd\","
			 "{\"copy\":\"executables/cd34/x\"},{\"copy\":\"executables/cd34\"}");
	for (int i = 0; i < 40; i++)
		k += snprintf(j + k, sizeof(j) - (size_t)k, ",{\"copy\":\"executables/%04x\"}", i);
	snprintf(j + k, sizeof(j) - (size_t)k, "]}");
	struct cw_spool_record r;
	assert_int_equal(cw_spool_record_parse(j, strlen(j), &r), 0);
	assert_int_equal(r.n_libraries, CW_SPOOL_LIBRARIES_MAX);
	assert_string_equal(r.library_copies[0], "executables/ab12");
	assert_string_equal(r.library_copies[1], "executables/cd34");
	assert_string_equal(r.library_copies[2], "executables/0000");
	/* the path and build id beside each copy; unusable ones dropped alone */
	assert_string_equal(r.library_paths[0], "/opt/lib/liba.so");
	assert_string_equal(r.library_build_ids[0], "ab12");
	assert_null(r.library_paths[1]);
	assert_null(r.library_build_ids[1]);
	assert_true(r.libraries_truncated); /* more than CW_SPOOL_LIBRARIES_MAX */
	cw_spool_record_clear(&r);

	const char *odd = "{\"schema\":\"crashwatch.record.v1\",\"id\":\"" GOOD_ID "\","
		"\"time_usec\":1,\"pid\":7,\"uid\":1,\"gid\":1,\"signal\":11,\"libraries\":["
		"{\"path\":\"lib/rel.so\",\"build_id\":\"AB\",\"copy\":\"executables/ab\"},"
		"{\"path\":\"/a\\u0000b\",\"build_id\":7,\"copy\":\"executables/cd\"},"
		"{\"path\":\"/lib/x.so (deleted)\",\"build_id\":\"ef01\",\"copy\":\"executables/ef01\"}],"
		"\"libraries_truncated\":true}";
	assert_int_equal(cw_spool_record_parse(odd, strlen(odd), &r), 0);
	assert_int_equal(r.n_libraries, 3);
	assert_null(r.library_paths[0]);      /* not absolute */
	assert_null(r.library_build_ids[0]);  /* not lower-case hex */
	assert_null(r.library_paths[1]);      /* a NUL inside */
	assert_null(r.library_build_ids[1]);
	assert_string_equal(r.library_paths[2], "/lib/x.so (deleted)");
	assert_string_equal(r.library_build_ids[2], "ef01");
	assert_true(r.libraries_truncated);   /* the collector's flag */
	cw_spool_record_clear(&r);

	const char *none = "{\"schema\":\"crashwatch.record.v1\",\"id\":\"" GOOD_ID "\","
		"\"time_usec\":1,\"pid\":7,\"uid\":1,\"gid\":1,\"signal\":11,\"libraries\":null}";
	assert_int_equal(cw_spool_record_parse(none, strlen(none), &r), 0);
	assert_int_equal(r.n_libraries, 0);
	assert_false(r.libraries_truncated);
	cw_spool_record_clear(&r);
}

static void test_record_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"schema\":\"crashwatch.record.v1\"}",
		"{\"schema\":\"other\",\"id\":\"" GOOD_ID "\",\"time_usec\":1,\"pid\":1,\"uid\":0,\"gid\":0,\"signal\":6}",
		"{\"schema\":\"crashwatch.record.v1\",\"id\":\"../x\",\"time_usec\":1,\"pid\":1,\"uid\":0,\"gid\":0,\"signal\":6}",
		"{\"schema\":\"crashwatch.record.v1\",\"id\":\"" GOOD_ID "\",\"time_usec\":1,\"pid\":-1,\"uid\":0,\"gid\":0,\"signal\":6}",
		"{\"schema\":\"crashwatch.record.v1\",\"id\":\"" GOOD_ID "\",\"time_usec\":1,\"pid\":1,\"uid\":\"0\",\"gid\":0,\"signal\":6}",
		"{\"schema\":\"crashwatch.record.v1\",\"id\":\"" GOOD_ID "\",\"time_usec\":1,\"pid\":1,\"uid\":0,\"gid\":0,\"signal\":999}",
		"{\"schema\":\"crashwatch.record.v1\",\"id\":\"" GOOD_ID "\",\"time_usec\":1,\"pid\":1,\"uid\":0,\"gid\":0,\"signal\":6} trailing",
		"{\"schema\":\"crashwatch.record.v1\",\"id\":\"" GOOD_ID "\",\"time_usec\":1,",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cw_spool_record r;
		int rc = cw_spool_record_parse(bad[i], strlen(bad[i]), &r);
		if (rc == 0)
			fail_msg("accepted bad record %zu: %s", i, bad[i]);
		assert_int_equal(rc, -EBADMSG);
	}
}

static void test_query_roundtrip(void **state)
{
	struct cw_crash_filter f = { .id = 7, .pid = 42, .match = "api", .fingerprint = "abcd",
				     .since_usec = 1000, .until_usec = 2000, .newest = 3 };
	char *text = NULL;
	assert_int_equal(cw_query_request_format(CW_QUERY_INFO, &f, &text), 0);
	struct cw_query_request q;
	assert_int_equal(cw_query_request_parse(text, strlen(text), &q), 0);
	free(text);
	assert_int_equal(q.verb, CW_QUERY_INFO);
	assert_int_equal(q.filter.id, 7);
	assert_int_equal(q.filter.pid, 42);
	assert_string_equal(q.filter.match, "api");
	assert_string_equal(q.filter.fingerprint, "abcd");
	assert_int_equal(q.filter.since_usec, 1000);
	assert_int_equal(q.filter.until_usec, 2000);
	assert_int_equal(q.filter.newest, 3);
	/* the client cannot widen what it is allowed to see */
	assert_false(q.filter.restrict_uid);
}

/* every verb a CLI sends parses back to itself; an unknown one (a newer
 * CLI's) is -EOPNOTSUPP, not malformed, so the daemon can say so */
static void test_query_verbs(void **state)
{
	static const char *const names[] = { "list", "info", "groups", "status", "dump", "summaries", "loops" };
	struct cw_crash_filter f = { 0 };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *text = NULL;
		struct cw_query_request q;
		assert_int_equal(cw_query_request_format((enum cw_query_verb)i, &f, &text), 0);
		assert_non_null(strstr(text, names[i]));
		assert_int_equal(cw_query_request_parse(text, strlen(text), &q), 0);
		free(text);
		assert_int_equal(q.verb, (enum cw_query_verb)i);
		assert_string_equal(cw_query_verb_name(q.verb), names[i]);
	}
	const char *loops = "{\"verb\":\"loops\"}\n";
	struct cw_query_request q;
	assert_int_equal(cw_query_request_parse(loops, strlen(loops), &q), 0);
	assert_int_equal(q.verb, CW_QUERY_LOOPS);
	const char *newer = "{\"verb\":\"frobnicate\",\"filter\":{}}\n";
	assert_int_equal(cw_query_request_parse(newer, strlen(newer), &q), -EOPNOTSUPP);
	const char *notverb = "{\"verb\":7}";
	assert_int_equal(cw_query_request_parse(notverb, strlen(notverb), &q), -EBADMSG);
}

static void test_query_bad(void **state)
{
	static const char *const bad[] = {
		"", "x", "{}", "{\"verb\":\"drop\"}", "{\"verb\":1}",
		"{\"verb\":\"list\",\"filter\":[]}",
		"{\"verb\":\"list\",\"filter\":{\"pid\":\"1\"}}",
		"{\"verb\":\"list\",\"filter\":{\"id\":-5}}",
		"{\"verb\":\"list\",\"filter\":{\"match\":\"\"}}",
		"{\"verb\":\"list\",\"filter\":{\"newest\":99999999}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cw_query_request q;
		if (cw_query_request_parse(bad[i], strlen(bad[i]), &q) == 0)
			fail_msg("accepted bad request %zu: %s", i, bad[i]);
	}
	/* uid restriction keys sent by a client are ignored */
	const char *sneaky = "{\"verb\":\"list\",\"filter\":{\"restrict_uid\":false,\"uid\":0}}";
	struct cw_query_request q;
	assert_int_equal(cw_query_request_parse(sneaky, strlen(sneaky), &q), 0);
	assert_false(q.filter.restrict_uid);
	assert_int_equal(q.filter.uid, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_good),
		cmocka_unit_test(test_record_socket_mode),
		cmocka_unit_test(test_record_libraries),
		cmocka_unit_test(test_record_bad),
		cmocka_unit_test(test_query_roundtrip),
		cmocka_unit_test(test_query_verbs),
		cmocka_unit_test(test_query_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
