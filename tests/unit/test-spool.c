/* Unit tests for the spool's atomic file creation (collector/spool.c),
 * both ways: O_TMPFILE + linkat, and the fallback for file systems without
 * O_TMPFILE (a .#tmp- name + renameat2), forced here by wrapping openat()
 * (linked with -Wl,--wrap=openat). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector/spool.h"

/* ---- openat() without O_TMPFILE on demand ---- */
static bool no_tmpfile;
static unsigned tmpfile_refused;

int __real_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (no_tmpfile && (flags & O_TMPFILE) == O_TMPFILE) {
		tmpfile_refused++;
		errno = EOPNOTSUPP; /* what a file system without O_TMPFILE says */
		return -1;
	}
	return __real_openat(dirfd, path, flags, mode);
}

struct fixture {
	char dir[64];
	int dirfd;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/cw-test-spool-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	fx->dirfd = open(fx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	no_tmpfile = false;
	tmpfile_refused = 0;
	*state = fx;
	return fx->dirfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	DIR *d = fdopendir(fx->dirfd);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* The names in the directory, sorted, space-separated. */
static void names(int dirfd, char *out, size_t len)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	char list[16][256];
	size_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) && n < 16)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			snprintf(list[n++], sizeof(list[0]), "%s", e->d_name);
	if (d)
		closedir(d);
	qsort(list, n, sizeof(list[0]), (int (*)(const void *, const void *))strcmp);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? " " : "", list[i]);
}

static void write_commit_check(struct fixture *fx, bool expect_named_tmp)
{
	struct cw_spool_file f;
	assert_int_equal(cw_spool_file_begin(fx->dirfd, &f), 0);
	assert_true(f.fd >= 0);
	char seen[512];
	names(fx->dirfd, seen, sizeof(seen));
	if (expect_named_tmp) {
		/* the fallback's file is visible, under a name the daemon skips */
		assert_int_equal(strncmp(f.tmp_name, ".#tmp-", 6), 0);
		assert_string_equal(seen, f.tmp_name);
	} else {
		assert_string_equal(f.tmp_name, "");
		assert_string_equal(seen, ""); /* nothing visible before the commit */
	}
	assert_int_equal(write(f.fd, "core bytes", 10), 10);
	bool granted = false;
	assert_int_equal(cw_spool_file_commit(fx->dirfd, &f, "a.core", 0640, -1, &granted), 0);
	assert_int_equal(f.fd, -1);
	names(fx->dirfd, seen, sizeof(seen));
	assert_string_equal(seen, "a.core");
	struct stat st;
	assert_int_equal(fstatat(fx->dirfd, "a.core", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, 10);

	/* a second file never replaces the first; the loser leaves nothing */
	assert_int_equal(cw_spool_file_begin(fx->dirfd, &f), 0);
	assert_int_equal(write(f.fd, "other", 5), 5);
	assert_int_equal(cw_spool_file_commit(fx->dirfd, &f, "a.core", 0640, -1, NULL), -EEXIST);
	names(fx->dirfd, seen, sizeof(seen));
	assert_string_equal(seen, "a.core");
	assert_int_equal(fstatat(fx->dirfd, "a.core", &st, 0), 0);
	assert_int_equal(st.st_size, 10);

	/* abort: nothing remains, twice is harmless */
	assert_int_equal(cw_spool_file_begin(fx->dirfd, &f), 0);
	cw_spool_file_abort(fx->dirfd, &f);
	cw_spool_file_abort(fx->dirfd, &f);
	names(fx->dirfd, seen, sizeof(seen));
	assert_string_equal(seen, "a.core");
}

static void test_tmpfile(void **state)
{
	write_commit_check(*state, false);
	assert_int_equal(tmpfile_refused, 0);
}

static void test_fallback_without_tmpfile(void **state)
{
	no_tmpfile = true;
	write_commit_check(*state, true);
	assert_int_equal(tmpfile_refused, 3);
}

static void test_other_errors_are_not_retried(void **state)
{
	struct fixture *fx = *state;
	struct cw_spool_file f;
	/* a directory fd that is not one: the error is the caller's, no fallback */
	int notdir = openat(fx->dirfd, "plain", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(notdir >= 0);
	assert_int_equal(cw_spool_file_begin(notdir, &f), -ENOTDIR);
	assert_int_equal(f.fd, -1);
	close(notdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tmpfile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_without_tmpfile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_errors_are_not_retried, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
