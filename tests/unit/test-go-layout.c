/* Go runtime layout tables (selection, sanity of generated offsets) and the
 * goroutine header status formatting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "analyzer/go_layout.h"
#include "analyzer/go_quirks.h"
#include "analyzer/go_runtime.h"

static void test_parse_version(void **state)
{
	struct cw_go_version v;
	assert_int_equal(cw_go_version_parse("go1.22.3", &v), 0);
	assert_int_equal(v.minor, 22);
	assert_int_equal(v.patch, 3);
	assert_int_equal(v.stage, CW_GO_RELEASE);
	assert_int_equal(cw_go_version_parse("go1.26rc1", &v), 0);
	assert_int_equal(v.minor, 26);
	assert_int_equal(v.stage, CW_GO_RC);
	assert_int_equal(v.stage_num, 1);
	assert_int_equal(cw_go_version_parse("go1.21beta2", &v), 0);
	assert_int_equal(v.stage, CW_GO_BETA);
	assert_int_equal(v.stage_num, 2);
	assert_int_equal(cw_go_version_parse("devel go1.27-abcdef Tue", &v), 0);
	assert_int_equal(v.minor, 27);
	assert_int_equal(v.stage, CW_GO_DEVEL);
	assert_int_equal(cw_go_version_parse("go1.18", &v), 0);
	assert_int_equal(v.minor, 18);
	assert_int_equal(v.patch, 0);
	assert_int_equal(cw_go_version_parse("go1.24.4 X:nocoverageredesign", &v), 0);
	assert_int_equal(v.patch, 4);
	assert_int_equal(cw_go_version_parse("go2", &v), -EINVAL);
	assert_int_equal(cw_go_version_parse("go1.x", &v), -EINVAL);
	assert_int_equal(cw_go_version_parse("go1.123456", &v), -EINVAL);
	assert_int_equal(cw_go_version_parse("go1.22.", &v), -EINVAL);
	assert_int_equal(cw_go_version_parse("go1.22.3x", &v), -EINVAL);
	assert_int_equal(cw_go_version_parse("go1.26rc", &v), -EINVAL);
	assert_int_equal(cw_go_version_parse(NULL, &v), -EINVAL);

	char buf[32];
	const char *names[] = { "go1.22.3", "go1.26rc1", "go1.21beta2", "devel go1.27", "go1.18.0" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(cw_go_version_parse(names[i], &v), 0);
		cw_go_version_format(&v, buf, sizeof(buf));
		assert_string_equal(buf, names[i]);
	}
}

static void test_version_order(void **state)
{
	/* oldest first */
	const char *order[] = { "go1.20.14", "devel go1.21-abc", "go1.21beta1", "go1.21rc2", "go1.21rc3",
				"go1.21.0", "go1.21.1", "go1.21.10", "go1.22.0" };
	size_t n = sizeof(order) / sizeof(order[0]);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			struct cw_go_version a, b;
			assert_int_equal(cw_go_version_parse(order[i], &a), 0);
			assert_int_equal(cw_go_version_parse(order[j], &b), 0);
			int c = cw_go_version_cmp(&a, &b);
			assert_int_equal(c < 0, i < j);
			assert_int_equal(c == 0, i == j);
		}
}

/* The newest minor the generated tables hold. */
#define NEWEST_MINOR 27

static const struct cw_go_layout *layout_of(const char *name, bool *approx)
{
	struct cw_go_version v;
	assert_int_equal(cw_go_version_parse(name, &v), 0);
	return cw_go_layout_for_version(&v, approx);
}

static void test_selection(void **state)
{
	bool approx = true;
	assert_int_equal(cw_go_layout_count(), 12);
	for (int minor = 18; minor <= NEWEST_MINOR; minor++) {
		const struct cw_go_layout *l = cw_go_layout_for(minor, &approx);
		assert_non_null(l);
		assert_false(approx);
		assert_int_equal(l->go_minor, minor);
		assert_ptr_equal(l, cw_go_layout_exact(minor));
		char want[16];
		snprintf(want, sizeof(want), "go1.%d", minor);
		assert_true(strncmp(l->probe_version, want, strlen(want)) == 0);
		assert_true(strncmp(l->since, want, strlen(want)) == 0);
	}
	const struct cw_go_layout *newer = cw_go_layout_for(30, &approx);
	assert_non_null(newer);
	assert_true(approx);
	assert_int_equal(newer->go_minor, NEWEST_MINOR);
	assert_null(cw_go_layout_for(17, &approx));
	assert_null(cw_go_layout_exact(NEWEST_MINOR + 1));
	assert_null(cw_go_layout_at(cw_go_layout_count()));

	/* patch releases that moved runtime.m's fields: 1.23.12 and 1.24.6
	 * added m.allpSnapshot after m.traceback */
	const struct cw_go_layout *a = layout_of("go1.24.5", &approx), *b = layout_of("go1.24.6", &approx);
	assert_false(approx);
	assert_string_equal(a->since, "go1.24.0");
	assert_string_equal(b->since, "go1.24.6");
	assert_int_equal(b->m_alllink.off, a->m_alllink.off + 24);
	assert_ptr_equal(layout_of("go1.24.0", NULL), a);
	assert_ptr_equal(layout_of("go1.24rc1", NULL), a);
	assert_ptr_equal(layout_of("go1.24.13", NULL), b);
	assert_ptr_equal(cw_go_layout_exact(24), b);
	assert_string_equal(layout_of("go1.23.11", NULL)->since, "go1.23.0");
	assert_string_equal(layout_of("go1.23.12", NULL)->since, "go1.23.12");
	assert_ptr_equal(layout_of("go1.22.0", NULL), layout_of("go1.22.12", NULL));
	assert_ptr_equal(layout_of("devel go1.28-abc", &approx), cw_go_layout_exact(NEWEST_MINOR));
	assert_true(approx);

	/* 1.27 dropped moduledata.typelinks/itablinks and added typedesclen,
	 * itaboffset and itabsize before rodata: gofunc moved by 24 bytes */
	const struct cw_go_layout *l26 = layout_of("go1.26.11", NULL), *l27 = layout_of("go1.27.0", NULL);
	assert_false(cw_go_has(l27->md_typelinks));
	assert_true(cw_go_has(l26->md_typelinks));
	assert_int_equal(l27->md_gofunc.off, l26->md_gofunc.off + 24);
	assert_ptr_equal(l27, layout_of("go1.27.4", NULL));
}

static bool quirk_of(const char *name, enum cw_go_quirk q)
{
	struct cw_go_version v;
	assert_int_equal(cw_go_version_parse(name, &v), 0);
	return cw_go_quirk(&v, q);
}

static void test_quirks(void **state)
{
	/* a range that starts at a minor takes its prereleases too */
	assert_false(quirk_of("go1.22.12", CW_GO_QUIRK_PRINT_INDENTED));
	assert_true(quirk_of("devel go1.23-abc", CW_GO_QUIRK_PRINT_INDENTED));
	assert_true(quirk_of("go1.23rc1", CW_GO_QUIRK_PRINT_INDENTED));
	assert_true(quirk_of("go1.23.0", CW_GO_QUIRK_PRINT_INDENTED));
	assert_true(quirk_of("go1.27.0", CW_GO_QUIRK_PRINT_INDENTED));
	/* a closed range */
	assert_true(quirk_of("go1.20.14", CW_GO_QUIRK_GENTRACEBACK));
	assert_true(quirk_of("go1.18", CW_GO_QUIRK_GENTRACEBACK));
	assert_false(quirk_of("go1.21rc2", CW_GO_QUIRK_GENTRACEBACK));
	assert_false(quirk_of("go1.21.0", CW_GO_QUIRK_GENTRACEBACK));
	assert_true(quirk_of("go1.25.14", CW_GO_QUIRK_REPANICKED_MARK_ALL));
	assert_false(quirk_of("go1.26.0", CW_GO_QUIRK_REPANICKED_MARK_ALL));
	assert_false(quirk_of("go1.24.13", CW_GO_QUIRK_REPANICKED_MARK_ALL));
	/* labels in the goroutine header (1.26+) */
	assert_false(quirk_of("go1.25.14", CW_GO_QUIRK_LABELS_PRINTED));
	assert_true(quirk_of("go1.26.0", CW_GO_QUIRK_LABELS_PRINTED));
	assert_true(quirk_of("go1.27.4", CW_GO_QUIRK_LABELS_PRINTED));
	/* every quirk is named and has a start that parses */
	for (int q = 0; q < CW_GO_QUIRK_COUNT; q++) {
		const char *since = NULL, *until = NULL;
		struct cw_go_version v;
		assert_non_null(cw_go_quirk_name((enum cw_go_quirk)q));
		assert_int_equal(cw_go_quirk_range((enum cw_go_quirk)q, &since, &until), 0);
		assert_int_equal(cw_go_version_parse(since, &v), 0);
		if (until)
			assert_int_equal(cw_go_version_parse(until, &v), 0);
	}
	assert_null(cw_go_quirk_name(CW_GO_QUIRK_COUNT));
	assert_false(cw_go_quirk(NULL, CW_GO_QUIRK_PRINT_INDENTED));
	/* a context that names only a minor is its newest release */
	struct cw_go_version m = cw_go_version_or_minor(NULL, 25);
	assert_true(cw_go_quirk(&m, CW_GO_QUIRK_REPANICKED_MARK_ALL));
}

/* Facts every release shares, checked against the generated tables. */
static void test_generated_offsets(void **state)
{
	for (size_t i = 0; i < cw_go_layout_count(); i++) {
		const struct cw_go_layout *l = cw_go_layout_at(i);
		assert_int_equal(l->g_stack_lo.off, 0);
		assert_int_equal(l->g_stack_hi.off, 8);
		assert_int_equal(l->g_goid.size, 8);
		assert_int_equal(l->g_atomicstatus.size, 4);
		assert_int_equal(l->g_waitreason.size, 1);
		assert_int_equal(l->g_sched_sp.off, l->g_sched.off + l->gobuf_sp.off);
		assert_int_equal(l->g_sched_pc.off, l->g_sched.off + l->gobuf_pc.off);
		assert_int_equal(l->g_sched.size, l->gobuf_sizeof.size);
		assert_true(l->g_sizeof.size > l->g_startpc.off);
		assert_true(cw_go_has(l->m_procid) && cw_go_has(l->m_curg) && cw_go_has(l->m_alllink));
		assert_true(cw_go_has(l->panic_link) && cw_go_has(l->panic_arg) && cw_go_has(l->panic_recovered));
		assert_int_equal(l->eface_data.off, 8);
		assert_int_equal(l->itab_type.off, 8);
		assert_int_equal(l->type_kind.size, 1);
		assert_int_equal(l->type_str.size, 4);
		/* parentGoid appeared in 1.21; _panic.aborted went away in 1.22,
		 * _panic.argp in 1.26 */
		assert_int_equal(cw_go_has(l->g_parent_goid), l->go_minor >= 21);
		assert_int_equal(cw_go_has(l->panic_aborted), l->go_minor <= 21);
		assert_int_equal(cw_go_has(l->panic_argp), l->go_minor <= 25);
		assert_int_equal(l->g_sched_ret.off >= 0, l->go_minor <= 24);
	}
}

static void test_field_names(void **state)
{
	const struct cw_go_layout *l = cw_go_layout_exact(22);
	struct cw_go_field f;
	const char *st = NULL, *fld = NULL;
	assert_int_equal(cw_go_layout_field(l, CW_GOF_g_goid, &f, &st, &fld), 0);
	assert_string_equal(st, "runtime.g");
	assert_string_equal(fld, "goid");
	assert_int_equal(f.off, l->g_goid.off);
	assert_int_equal(cw_go_layout_field(l, CW_GOF_itab_type, &f, &st, &fld), 0);
	assert_string_equal(fld, "_type|Type");
	assert_int_equal(cw_go_layout_field(l, CW_GOF_panic_aborted, &f, NULL, NULL), 0);
	assert_int_equal(f.off, -1);
	assert_false(cw_go_has(f));
	assert_int_equal(cw_go_layout_field(l, CW_GOF_COUNT, &f, NULL, NULL), -EINVAL);
}

static void check_status(int minor, uint32_t st, uint8_t wr, int64_t since, int64_t now,
			 const char *want, int64_t want_min)
{
	char buf[64];
	int64_t min = -1;
	struct cw_go_version v = { .major = 1, .minor = minor, .stage = CW_GO_RELEASE };
	assert_int_equal(cw_go_format_status(cw_go_strings_for(minor), cw_go_quirk(&v, CW_GO_QUIRK_GLEAKED), st, wr, since, now, buf, sizeof(buf), &min), 0);
	assert_string_equal(buf, want);
	assert_int_equal(min, want_min);
}

static void test_status(void **state)
{
	for (int minor = 18; minor <= NEWEST_MINOR; minor++) {
		check_status(minor, CW_G_RUNNING, 0, 0, 0, "running", 0);
		check_status(minor, CW_G_RUNNABLE, 0, 0, 0, "runnable", 0);
		check_status(minor, CW_G_WAITING, 0, 0, 0, "waiting", 0);
		check_status(minor, CW_G_SYSCALL, 0, 5, 120000000005LL, "syscall", 2);
		check_status(minor, CW_G_SYSCALL, 0, 5, 120000000004LL, "syscall", 1);
		check_status(minor, CW_G_SCAN | CW_G_WAITING, 0, 0, 0, "waiting (scan)", 0);
		check_status(minor, 0x77, 0, 0, 0, "???", 0);
		check_status(minor, CW_G_WAITING, 250, 0, 0, "unknown wait reason", 0);
		/* minutes only for waiting and syscall, and only when waitsince != 0 */
		check_status(minor, CW_G_RUNNABLE, 0, 1, 600000000000LL, "runnable", 0);
		check_status(minor, CW_G_WAITING, 0, 0, 600000000000LL, "waiting", 0);
	}
	/* waitReason values moved between releases: check a few against each
	 * release's runtime2.go */
	check_status(18, CW_G_WAITING, 14, 1, 120000000001LL, "chan receive", 2);
	check_status(20, CW_G_WAITING, 2, 0, 0, "IO wait", 0);
	check_status(22, CW_G_WAITING, 2, 0, 0, "IO wait", 0);
	check_status(26, CW_G_WAITING, 19, 0, 0, "chan receive", 0);
	check_status(26, CW_G_WAITING, 22, 0, 0, "sync.Mutex.Lock", 0);
	check_status(26, CW_G_LEAKED, 19, 0, 0, "chan receive (leaked)", 0);
	check_status(25, CW_G_LEAKED, 19, 0, 0, "???", 0);
	check_status(26, 11, 0, 0, 0, "waiting for cgo callback", 0);
	check_status(27, CW_G_WAITING, 46, 0, 0, "cleanup wait", 0);
	check_status(27, CW_G_LEAKED, 19, 0, 0, "chan receive (leaked)", 0);

	const struct cw_go_strings *s = cw_go_strings_for(30);
	assert_non_null(s);
	assert_int_equal(s->go_minor, NEWEST_MINOR);
	assert_null(cw_go_strings_for(17));
	char buf[4];
	assert_int_equal(cw_go_format_status(NULL, false, 0, 0, 0, 0, buf, sizeof(buf), NULL), -EINVAL);
	/* truncation keeps the string terminated */
	assert_int_equal(cw_go_format_status(cw_go_strings_for(22), false, CW_G_RUNNABLE, 0, 0, 0, buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, "run");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_version),
		cmocka_unit_test(test_version_order),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_quirks),
		cmocka_unit_test(test_generated_offsets),
		cmocka_unit_test(test_field_names),
		cmocka_unit_test(test_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
