/* Unit tests for common/: value parsers, the configuration loader, the
 * spool ID, the UTF-8 validator and signal names. */
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cwconfig.h"
#include "common/parse.h"
#include "common/signal_name.h"
#include "common/spool_id.h"
#include "common/utf8.h"

static void test_signal_name(void **state)
{
	char buf[CW_SIGNAL_NAME_MAX];
	assert_string_equal(cw_signal_name(SIGSEGV, buf, sizeof(buf)), "SIGSEGV");
	assert_string_equal(cw_signal_name(SIGABRT, buf, sizeof(buf)), "SIGABRT");
	assert_string_equal(cw_signal_name(SIGSTKFLT, buf, sizeof(buf)), "SIGSTKFLT");
	assert_null(cw_signal_name(0, buf, sizeof(buf)));
	assert_null(cw_signal_name(-6, buf, sizeof(buf)));
	assert_null(cw_signal_name(SIGRTMIN + 1, buf, sizeof(buf)));  /* real-time: no name */
	assert_null(cw_signal_name(SIGSEGV, buf, 7));                 /* "SIGSEGV" needs 8 bytes */
	assert_string_equal(cw_signal_name(SIGSEGV, buf, 8), "SIGSEGV");

	char *s = cw_signal_name_alloc(SIGBUS);
	assert_string_equal(s, "SIGBUS");
	free(s);
	s = cw_signal_name_alloc(0);
	assert_string_equal(s, "signal 0");
	free(s);
	s = cw_signal_name_alloc(SIGRTMIN + 2);
	char want[32];
	snprintf(want, sizeof(want), "signal %d", SIGRTMIN + 2);
	assert_string_equal(s, want);
	free(s);

	assert_string_equal(cw_signal_description("SIGSEGV"), "segmentation violation");
	assert_string_equal(cw_signal_description("SIGTRAP"), "trace trap");
	assert_null(cw_signal_description("SIGABRT"));
	assert_null(cw_signal_description(NULL));
}

/* Byte sequences for cw_utf8_seq_len: the bytes (n of them) and the length it must find. */
#define SEQ(lit, want) { lit, sizeof(lit) - 1, want }
static const struct utf8_case {
	const char *bytes;
	size_t n, want;
} utf8_cases[] = {
	/* well formed, at the edges of each length */
	SEQ("A", 1), SEQ("\x7f", 1),
	SEQ("\xc2\x80", 2), SEQ("\xdf\xbf", 2),                   /* U+0080, U+07FF */
	SEQ("\xe0\xa0\x80", 3), SEQ("\xef\xbf\xbd", 3),           /* U+0800, U+FFFD */
	SEQ("\xed\x9f\xbf", 3), SEQ("\xee\x80\x80", 3),           /* U+D7FF, U+E000: around the surrogates */
	SEQ("\xf0\x90\x80\x80", 4), SEQ("\xf4\x8f\xbf\xbf", 4),   /* U+10000, U+10FFFF */
	SEQ("\xe2\x82\xac" "rest", 3),                            /* only the first character */
	/* overlong forms */
	SEQ("\xc0\x80", 0), SEQ("\xc1\xbf", 0), SEQ("\xe0\x80\x80", 0), SEQ("\xe0\x9f\xbf", 0),
	SEQ("\xf0\x80\x80\x80", 0), SEQ("\xf0\x8f\xbf\xbf", 0),
	/* surrogates U+D800, U+DFFF */
	SEQ("\xed\xa0\x80", 0), SEQ("\xed\xbf\xbf", 0),
	/* above U+10FFFF */
	SEQ("\xf4\x90\x80\x80", 0), SEQ("\xf5\x80\x80\x80", 0), SEQ("\xf7\xbf\xbf\xbf", 0),
	SEQ("\xf8\x88\x80\x80\x80", 0), SEQ("\xff", 0),
	/* truncated: too few bytes left, or a continuation byte missing */
	SEQ("\xc2", 0), SEQ("\xe2\x82", 0), SEQ("\xf0\x9f\x98", 0), { "\xe2\x82\xac", 2, 0 }, { "A", 0, 0 },
	SEQ("\xe2\x28\xa1", 0), SEQ("\xf0\x9f\x98\x41", 0), SEQ("\xe2\x82\xc0", 0),
	/* a lone continuation byte */
	SEQ("\x80", 0), SEQ("\xbf", 0),
};

static void test_utf8(void **state)
{
	for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		const struct utf8_case *c = &utf8_cases[i];
		size_t got = cw_utf8_seq_len((const unsigned char *)c->bytes, c->n);
		if (got != c->want)
			fail_msg("case %zu (first byte 0x%02x, %zu bytes): length %zu, want %zu", i,
				 (unsigned char)c->bytes[0], c->n, got, c->want);
	}
	/* the longest prefix of whole characters */
	assert_int_equal(cw_utf8_prefix("h\xc3\xa9llo", 64), 6);
	assert_int_equal(cw_utf8_prefix("h\xc3\xa9llo", 2), 1);            /* never inside the é */
	assert_int_equal(cw_utf8_prefix("h\xc3\xa9llo", 3), 3);
	assert_int_equal(cw_utf8_prefix("ab\xed\xa0\x80" "cd", 64), 2);   /* stops at a surrogate */
	assert_int_equal(cw_utf8_prefix("ab\xff" "cd", 64), 2);
	assert_int_equal(cw_utf8_prefix("ab\0cd", 64), 2);                 /* and at a NUL */
	assert_int_equal(cw_utf8_prefix("", 64), 0);
}

static void test_spool_id(void **state)
{
	static const char good[] = "1732500000123456-4242-0a1b2c3d";
	assert_true(cw_spool_id_valid(good, strlen(good)));
	assert_true(cw_spool_id_valid("1732500000123456-0-00000000", 27));
	assert_true(cw_spool_id_valid("1732500000123456-4294967295-ffffffff", 36));
	assert_false(cw_spool_id_valid(good, strlen(good) - 1));                 /* 7 random digits */
	assert_false(cw_spool_id_valid("1732500000123456-4242-0a1b2c3d0", 31));  /* 9 */
	assert_false(cw_spool_id_valid("1732500000123456-4242-0A1B2C3D", 30));   /* upper case */
	assert_false(cw_spool_id_valid("173250000012345x-4242-0a1b2c3d", 30));
	assert_false(cw_spool_id_valid("173250000012345-4242-0a1b2c3d", 29));    /* 15 time digits */
	assert_false(cw_spool_id_valid("1732500000123456--0a1b2c3d", 26));       /* no pid */
	assert_false(cw_spool_id_valid("1732500000123456-12345678901-0a1b2c3d", 37)); /* 11 pid digits */
	assert_false(cw_spool_id_valid("1732500000123456-4242-0a1b2c3d.meta", 35));
	assert_false(cw_spool_id_valid("../../../etc/passwd", 19));
	assert_false(cw_spool_id_valid("1732500000123456-42\x00-0a1b2c3d", 29));
	assert_false(cw_spool_id_valid("", 0));

	/* what the collector makes, the daemon takes; IDs sort by time */
	char a[CW_SPOOL_ID_MAX + 1], b[CW_SPOOL_ID_MAX + 1];
	assert_int_equal(cw_spool_new_id(1732500000123456ULL, 4242, a, sizeof(a)), 0);
	assert_true(cw_spool_id_valid(a, strlen(a)));
	assert_memory_equal(a, "1732500000123456-4242-", 22);
	assert_int_equal(cw_spool_new_id(12, 0, b, sizeof(b)), 0);
	assert_true(cw_spool_id_valid(b, strlen(b)));
	assert_memory_equal(b, "0000000000000012-0-", 19);
	assert_true(strcmp(b, a) < 0);
	assert_int_equal(cw_spool_new_id(1732500000123456ULL, 4242, a, 30), -ENAMETOOLONG);
}

static void test_parse_size(void **state)
{
	uint64_t v;
	assert_int_equal(cw_parse_size("1024", &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(cw_parse_size("64K", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(cw_parse_size("1.5G", &v), 0);
	assert_int_equal(v, 1610612736ULL);
	assert_int_equal(cw_parse_size("infinity", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_true(cw_parse_size("12Q", &v) < 0);
	assert_true(cw_parse_size("-1", &v) < 0);
	assert_true(cw_parse_size("", &v) < 0);
	assert_true(cw_parse_size("99999999999T", &v) < 0);
}

static void test_parse_timespan(void **state)
{
	uint64_t v;
	assert_int_equal(cw_parse_timespan("30", &v), 0);
	assert_int_equal(v, 30);
	assert_int_equal(cw_parse_timespan("5min", &v), 0);
	assert_int_equal(v, 300);
	assert_int_equal(cw_parse_timespan("7d", &v), 0);
	assert_int_equal(v, 7 * 86400);
	assert_true(cw_parse_timespan("soon", &v) < 0);
}

static void test_parse_bool_int(void **state)
{
	bool b;
	int i;
	uint64_t u;
	assert_int_equal(cw_parse_bool("yes", &b), 0);
	assert_true(b);
	assert_int_equal(cw_parse_bool("off", &b), 0);
	assert_false(b);
	assert_true(cw_parse_bool("maybe", &b) < 0);
	assert_int_equal(cw_parse_int("-3", -7, 19, &i), 0);
	assert_int_equal(i, -3);
	assert_true(cw_parse_int("20", -7, 19, &i) < 0);
	assert_true(cw_parse_u64("1x", 0, 10, &u) < 0);
	assert_true(cw_parse_u64("18446744073709551616", 0, UINT64_MAX, &u) < 0);
}

static void test_parse_time(void **state)
{
	int64_t t;
	assert_int_equal(cw_parse_time("1700000000", 0, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(cw_parse_time("-1h", 10000, &t), 0);
	assert_int_equal(t, 10000 - 3600);
	assert_int_equal(cw_parse_time("2024-01-02", 0, &t), 0);
	assert_true(cw_parse_time("someday", 0, &t) < 0);
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_config_load(void **state)
{
	char dir[] = "/tmp/cwtest.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = write_tmp(dir, "crashwatch.conf",
			       "[Storage]\nDirectory=/srv/cw\n[Collect]\nProcessSizeMax=1G\nRateLimitBurst=3\n"
			       "[Upload hook]\nURL=http://127.0.0.1:9/x\nFormat=slack\nEvents=new-fingerprint\n");
	char dropdir[512];
	snprintf(dropdir, sizeof(dropdir), "%s.d", path);
	assert_int_equal(mkdir(dropdir, 0755), 0);
	char *drop = write_tmp(dropdir, "10-size.conf", "[Collect]\nProcessSizeMax=2G\n");

	struct cw_config cfg;
	char err[512];
	assert_int_equal(cw_config_load(path, true, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.storage_dir, "/srv/cw");
	assert_int_equal(cfg.process_size_max, 2ULL << 30);
	assert_int_equal(cfg.rate_limit_burst, 3);
	assert_int_equal(cfg.n_uploads, 1);
	assert_int_equal(cfg.uploads[0].format, CW_UPLOAD_SLACK);
	assert_int_equal(cfg.uploads[0].events, CW_EVENTS_NEW_FINGERPRINT);
	char *db = cw_config_db_path(&cfg);
	assert_string_equal(db, "/srv/cw/crashwatch.db");
	free(db);
	cw_config_free(&cfg);

	/* a bad value names file, line, section and key */
	char *bad = write_tmp(dir, "bad.conf", "[Collect]\n\nMaxUse=lots\n");
	assert_int_equal(cw_config_load(bad, true, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad.conf:3: [Collect] MaxUse=:"));
	cw_config_free(&cfg);

	char *unk = write_tmp(dir, "unknown.conf", "[Collect]\nCompres=yes\n");
	assert_int_equal(cw_config_load(unk, true, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown key"));
	cw_config_free(&cfg);

	/* missing explicit file is an error, missing default is not */
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/none.conf", dir);
	assert_int_equal(cw_config_load(missing, true, &cfg, err, sizeof(err)), -ENOENT);
	cw_config_free(&cfg);
	assert_int_equal(cw_config_load(missing, false, &cfg, err, sizeof(err)), 0);
	cw_config_free(&cfg);

	unlink(drop);
	rmdir(dropdir);
	unlink(path);
	unlink(bad);
	unlink(unk);
	rmdir(dir);
	free(path);
	free(drop);
	free(bad);
	free(unk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_spool_id),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_signal_name),
		cmocka_unit_test(test_parse_timespan),
		cmocka_unit_test(test_parse_bool_int),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_config_load),
	};
	return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
