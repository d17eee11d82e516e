/* libcwcollect: the kernel's argument parser, ForwardTo= expansion, and the
 * daemon's @socket entry point (a pidfd from SO_PEERPIDFD instead of the
 * %-arguments) collecting into a spool. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <elf.h>
#include <json-c/json.h>

#include "collector/collect.h"
#include "collector/forward.h"
#include "collector/owncrash.h"
#include "collector/procinfo.h"
#include "collector/reader.h"
#include "common/cwconfig.h"

static void test_args(void **state)
{
	char *argv[] = { "42", "43", "1000", "100", "11", "1700000000", "18446744073709551615", "host",
			 "2", "5", "my", "prog" };
	struct cw_crash_info c;

	assert_int_equal(cw_crash_from_args(12, argv, &c), 0);
	assert_int_equal(c.pid, 42);
	assert_int_equal(c.tid, 43);
	assert_int_equal(c.uid, 1000);
	assert_int_equal(c.gid, 100);
	assert_int_equal(c.signal, 11);
	assert_int_equal(c.crash_time, 1700000000);
	assert_true(c.core_rlimit == UINT64_MAX);
	assert_string_equal(c.hostname, "host");
	assert_int_equal(c.dump_mode, 2);
	assert_int_equal(c.pidfd, 5);
	assert_string_equal(c.comm, "my prog"); /* a comm split by an old kernel is joined */
}

static void test_args_missing_specifiers(void **state)
{
	/* A kernel without %d and %F expands them to nothing. */
	char *argv[] = { "42", "42", "0", "0", "6", "1", "0", "h", "", "", "x" };
	struct cw_crash_info c;

	assert_int_equal(cw_crash_from_args(11, argv, &c), 0);
	assert_int_equal(c.dump_mode, -1);
	assert_int_equal(c.pidfd, -1);
}

static void test_args_bad(void **state)
{
	char *zero_pid[] = { "0", "1", "0", "0", "6", "1", "0", "h", "1", "", "x" };
	char *bad_num[] = { "12x", "1", "0", "0", "6", "1", "0", "h", "1", "", "x" };
	char *bad_mode[] = { "12", "1", "0", "0", "6", "1", "0", "h", "7", "", "x" };
	char *neg_uid[] = { "12", "1", "-1", "0", "6", "1", "0", "h", "1", "", "x" };
	struct cw_crash_info c;

	assert_int_equal(cw_crash_from_args(11, zero_pid, &c), -EINVAL);
	assert_int_equal(cw_crash_from_args(11, bad_num, &c), -EINVAL);
	assert_int_equal(cw_crash_from_args(11, bad_mode, &c), -EINVAL);
	assert_int_equal(cw_crash_from_args(11, neg_uid, &c), -EINVAL);
	assert_int_equal(cw_crash_from_args(10, zero_pid, &c), -EINVAL);
}

static void test_forward_expand(void **state)
{
	struct cw_crash_info c = { .pid = 7, .tid = 8, .uid = 1000, .gid = 1001, .signal = 6,
				   .crash_time = 99, .core_rlimit = 0, .dump_mode = 1, .pidfd = -1 };
	char out[128];

	strcpy(c.hostname, "box");
	strcpy(c.comm, "api");
	assert_int_equal(cw_forward_expand("%P-%i:%u/%g %s %t %c %h %e %d %F %% %z", &c, "/srv/api", 9, out, sizeof(out)), 0);
	assert_string_equal(out, "7-8:1000/1001 6 99 0 box api 1 9 % ");
	assert_int_equal(cw_forward_expand("%E", &c, "/srv/api", -1, out, sizeof(out)), 0);
	assert_string_equal(out, "!srv!api");
	assert_int_equal(cw_forward_expand("%h%h%h", &c, NULL, -1, out, 6), -ENAMETOOLONG);
}

static char *slurp_path(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = calloc(1, 1 << 20);
	assert_non_null(f);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* A minimal ELF core: header, one PT_NOTE with NT_SIGINFO (SIGSEGV), then
 * filler up to len. */
static void make_core(unsigned char *buf, size_t len)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };
	unsigned char note[12 + 8 + 128] = { 0 };

	memset(buf, 0x5a, len);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_NOTE;
	ph.p_offset = sizeof(eh) + sizeof(ph);
	ph.p_filesz = sizeof(note);
	note[0] = 5;                      /* namesz "CORE\0" */
	note[4] = 128;                    /* descsz */
	for (int b = 0; b < 4; b++)
		note[8 + b] = (unsigned char)((uint32_t)NT_SIGINFO >> (8 * b));
	memcpy(note + 12, "CORE", 5);
	note[20] = 11;                    /* si_signo */
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	memcpy(buf + ph.p_offset, note, sizeof(note));
}

/* The @socket entry: identify the crash from a pidfd, then collect. */
static void test_socket_entry(void **state)
{
	char dir[] = "/tmp/test-collect.XXXXXX";
	struct cw_config cfg;
	struct cw_crash_info c;
	struct cw_collect_result res;
	unsigned char data[200000];
	char path[512];

	assert_non_null(mkdtemp(dir));
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* Another program: a process running our own executable is "our own crash". */
		execl("/bin/sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	for (int i = 0; i < 200; i++) { /* wait for the exec */
		char exe[64], link[256];
		snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)child);
		ssize_t n = readlink(exe, link, sizeof(link) - 1);
		if (n > 0 && (link[n] = 0, strstr(link, "sleep")))
			break;
		usleep(5000);
	}
	assert_true(pidfd >= 0);
	assert_int_equal(cw_crash_from_pidfd(pidfd, &c), 0);
	assert_int_equal(c.pid, child);
	assert_int_equal(c.uid, (int64_t)getuid());
	assert_int_equal(c.signal, -1);

	make_core(data, sizeof(data));
	int fd = memfd_create("core", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);

	cw_config_defaults(&cfg);
	free(cfg.storage_dir);
	cfg.storage_dir = strdup(dir);
	assert_int_equal(cw_collect(&cfg, &c, CW_COLLECT_SOCKET, fd, &res), 0);
	assert_true(res.record_written);
	assert_true(res.core_stored);
	assert_int_equal(res.size, sizeof(data));
	assert_int_equal(res.stored_size, sizeof(data));

	snprintf(path, sizeof(path), "%s/spool/%s.meta", dir, res.id);
	char *text = slurp_path(path);
	json_object *o = json_tokener_parse(text);
	json_object *v;
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "collector", &v));
	assert_string_equal(json_object_get_string(json_object_object_get(v, "entry")), "socket");
	assert_string_equal(json_object_get_string(json_object_object_get(o, "pidfd")), "kernel");
	assert_string_equal(json_object_get_string(json_object_object_get(o, "metadata_source")), "proc");
	assert_int_equal(json_object_get_int(json_object_object_get(o, "pid")), child);
	/* No %s in socket mode: the signal comes from the core's NT_SIGINFO. */
	assert_string_equal(json_object_get_string(json_object_object_get(o, "signal_name")), "SIGSEGV");
	json_object_put(o);
	free(text);

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	/* The process is gone now: its pidfd no longer identifies a crash. */
	assert_int_equal(cw_crash_from_pidfd(pidfd, &c), -ESRCH);
	close(pidfd);
	cw_config_free(&cfg);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The collector's own crash is proven by the executable and root's ids;
 * a name proves nothing. This test program reads itself: it is "the
 * collector" for cw_is_own_crash() only while running as root. */
/* A core socket that stops sending (SO_RCVTIMEO runs out inside a chunk):
 * the bytes before are delivered, then the error, never a silent end. */
static void test_reader_timeout(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct timeval tv = { .tv_usec = 100000 };
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	char data[100];
	memset(data, 'x', sizeof(data));
	assert_int_equal(write(sv[1], data, sizeof(data)), (ssize_t)sizeof(data));
	struct cw_reader *r = NULL;
	assert_int_equal(cw_reader_new(sv[0], 4096, 2, &r), 0);
	const unsigned char *buf;
	size_t len = 0;
	assert_int_equal(cw_reader_next(r, &buf, &len), 1);
	assert_int_equal(len, sizeof(data));
	assert_int_equal(cw_reader_next(r, &buf, &len), -EAGAIN);
	cw_reader_free(r);
	close(sv[0]);
	close(sv[1]);
	/* the end of a stream stays an end */
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], data, 10), 10);
	close(p[1]);
	assert_int_equal(cw_reader_new(p[0], 4096, 2, &r), 0);
	assert_int_equal(cw_reader_next(r, &buf, &len), 1);
	assert_int_equal(len, 10);
	assert_int_equal(cw_reader_next(r, &buf, &len), 0);
	cw_reader_free(r);
	close(p[0]);
}

static void test_own_crash(void **state)
{
	(void)state;
	struct cw_crash_info c = { .pid = getpid(), .pidfd = -1, .core_rlimit = UINT64_MAX };
	struct cw_procinfo p;

	snprintf(c.comm, sizeof(c.comm), "test-collect");
	cw_procinfo_init(&p);
	assert_int_equal(cw_procinfo_read(&c, &p), 0);
	assert_false(cw_named_like_collector(&c, &p));
	assert_int_equal(cw_is_own_crash(&p), getuid() == 0 && geteuid() == 0 && getgid() == 0 && getegid() == 0);
	p.uid = 1000; /* the same executable under a user's ids is not the kernel's helper */
	assert_false(cw_is_own_crash(&p));
	p.uid = 0;
	p.from_proc = false; /* nothing proven without verified /proc */
	assert_false(cw_is_own_crash(&p));
	cw_procinfo_free(&p);

	/* Another executable under the collector's name: recorded. */
	struct cw_crash_info sh = c;
	cw_procinfo_init(&p);
	snprintf(sh.comm, sizeof(sh.comm), "%s", CW_COLLECTOR_COMM);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execl("/bin/sleep", "crashwatch-collect", "30", (char *)NULL);
		_exit(127);
	}
	sh.pid = child;
	/* The exec is done when both the exe link and the arguments are the new
	 * program's: execve switches the link before it lays out argv, so a
	 * reader between the two sees an empty cmdline. */
	for (int i = 0; i < 200; i++) {
		char path[64], link[256], args[64] = "";
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)child);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)child);
		FILE *f = fopen(path, "re");
		if (f) {
			if (!fgets(args, sizeof(args), f))
				args[0] = 0;
			fclose(f);
		}
		if (n > 0 && (link[n] = 0, strstr(link, "sleep")) && strcmp(args, "crashwatch-collect") == 0)
			break;
		usleep(10000);
	}
	assert_int_equal(cw_procinfo_read(&sh, &p), 0);
	assert_false(cw_is_own_crash(&p));
	assert_true(cw_named_like_collector(&sh, &p));
	snprintf(sh.comm, sizeof(sh.comm), "sleep"); /* argv[0] alone still counts */
	assert_true(cw_named_like_collector(&sh, &p));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	cw_procinfo_free(&p);

	c.core_rlimit = 1;
	assert_true(cw_is_recursion(&c));
	c.core_rlimit = 0;
	assert_false(cw_is_recursion(&c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_args_missing_specifiers),
		cmocka_unit_test(test_args_bad),
		cmocka_unit_test(test_forward_expand),
		cmocka_unit_test(test_socket_entry),
		cmocka_unit_test(test_own_crash),
		cmocka_unit_test(test_reader_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
