/* collector/libraries.c on real processes: a child in its own mount
 * namespace maps files that exist only there (a tmpfs mounted inside it),
 * and the collector's reader keeps exactly those, bounded; the host's
 * very files (libc, this program's libraries) and the executable are not
 * kept. Needs root (a mount namespace and a tmpfs); skipped otherwise. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector/libraries.h"
#include "collector/procinfo.h"
#include "common/cleanup.h"

static char dir[64];

static int copy_self(const char *to)
{
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC),
	    out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char buf[65536];
	ssize_t n;
	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	close(out);
	return n < 0 ? -1 : 0;
}

/* The child: its own mount namespace, a tmpfs on dir (only there), n
 * copies of this program mapped executable (the first one then unlinked
 * when deleted), then it waits. Reports 'y' or 'n' on the pipe. */
static void child(int wfd, unsigned n, bool deleted)
{
	char ok = 'n';
	if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount("cwtest", dir, "tmpfs", 0, "size=256m") == 0) {
		ok = 'y';
		for (unsigned i = 0; i < n && ok == 'y'; i++) {
			char path[128];
			snprintf(path, sizeof(path), "%s/lib%u.so", dir, i);
			int fd = copy_self(path) == 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
			if (fd < 0 ||
			    mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) == MAP_FAILED)
				ok = 'n';
			if (fd >= 0)
				close(fd);
			if (i == 0 && deleted)
				unlink(path);
		}
	}
	(void)!write(wfd, &ok, 1);
	for (;;)
		pause();
}

struct run {
	pid_t pid;
	struct cw_procinfo p;
};

/* What the kernel would tell the collector of a SIGSEGV of pid. */
static struct cw_crash_info crash_of(pid_t pid)
{
	return (struct cw_crash_info){ .pid = pid, .tid = pid, .uid = -1, .gid = -1, .signal = 11,
				       .crash_time = -1, .dump_mode = 1, .pidfd = -1 };
}

static void run_child(unsigned n, bool deleted, struct run *r)
{
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid == 0) {
		close(pfd[0]);
		child(pfd[1], n, deleted);
	}
	close(pfd[1]);
	char ok = 0;
	assert_int_equal(read(pfd[0], &ok, 1), 1);
	close(pfd[0]);
	assert_int_equal(ok, 'y');
	struct cw_crash_info c = crash_of(r->pid);
	cw_procinfo_init(&r->p);
	assert_int_equal(cw_procinfo_read(&c, &r->p), 0);
}

static void end_child(struct run *r)
{
	cw_procinfo_free(&r->p);
	kill(r->pid, SIGKILL);
	waitpid(r->pid, NULL, 0);
}

static void test_same_namespace_reads_nothing(void **state)
{
	struct cw_crash_info c = crash_of(getpid());
	struct cw_procinfo p;
	cw_procinfo_init(&p);
	assert_int_equal(cw_procinfo_read(&c, &p), 0);
	assert_false(p.libs.checked);
	assert_int_equal(p.libs.n, 0);
	cw_procinfo_free(&p);
}

static void test_only_the_namespaces_files_kept(void **state)
{
	if (geteuid() != 0)
		skip();
	_cleanup_free_ char *self_id = NULL;
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(self >= 0);
	assert_int_equal(cw_elf_build_id(self, &self_id), 0);
	close(self);

	struct run r;
	run_child(3, true, &r);
	assert_true(r.p.libs.checked);
	assert_false(r.p.libs.truncated);
	/* the three copies; not libc, not this program's own libraries, not the executable */
	assert_int_equal(r.p.libs.n, 3);
	unsigned deleted = 0;
	for (size_t i = 0; i < r.p.libs.n; i++) {
		const struct cw_proc_lib *l = &r.p.libs.v[i];
		assert_int_equal(strncmp(l->path, dir, strlen(dir)), 0);
		assert_string_equal(l->build_id, self_id);
		assert_true(l->fd >= 0);
		struct stat st;
		assert_int_equal(fstat(l->fd, &st), 0);
		assert_int_equal((uint64_t)st.st_size, l->size);
		deleted += cw_proc_lib_path_deleted(l->path);
	}
	assert_int_equal(deleted, 1);
	end_child(&r);
}

static void test_bounded(void **state)
{
	if (geteuid() != 0)
		skip();
	struct run r;
	run_child(CW_LIBS_MAX + 2, false, &r);
	assert_true(r.p.libs.checked);
	assert_true(r.p.libs.truncated);
	assert_int_equal(r.p.libs.n, CW_LIBS_MAX);
	end_child(&r);
}

static void test_deleted_suffix(void **state)
{
	assert_true(cw_proc_lib_path_deleted("/usr/lib/libx.so (deleted)"));
	assert_false(cw_proc_lib_path_deleted("/usr/lib/libx.so"));
	assert_false(cw_proc_lib_path_deleted(" (deleted)"));
	assert_false(cw_proc_lib_path_deleted(""));
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/cw-libs-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deleted_suffix),
		cmocka_unit_test(test_same_namespace_reads_nothing),
		cmocka_unit_test(test_only_the_namespaces_files_kept),
		cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
