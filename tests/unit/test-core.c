/* Unit tests for the core, executable, memory, arch and native unwinding
 * parts of the analyzer, on real cores made here: a C program that
 * segfaults, and (when a Go toolchain is present) a Go program that
 * panics with GOTRACEBACK=crash. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>
#include <cmocka.h>

#include "analyzer/core_file.h"
#include "analyzer/exe.h"
#include "analyzer/memory.h"
#include "analyzer/native_unwind.h"
#include "common/zstd_seekable.h"

#define C_MAGIC 0x6372617368776174ULL

static const char crash_c[] =
	"#include <pthread.h>\n"
	"#include <unistd.h>\n"
	"volatile unsigned long long cw_magic = 0x6372617368776174ULL;\n"
	"const char cw_rodata[] = \"crashwatch-rodata-marker\";\n"
	"static void *idle(void *a) { (void)a; for (;;) pause(); return 0; }\n"
	"__attribute__((noinline)) void crash_here(volatile int *p) { *p = (int)cw_rodata[0]; }\n"
	"int main(void) {\n"
	"  pthread_t t; pthread_create(&t, 0, idle, 0); usleep(20000);\n"
	"  crash_here((volatile int *)0x10);\n"
	"  return 0;\n"
	"}\n";

static const char crash_go[] =
	"package main\n\n"
	"import (\n\t\"os\"\n\t\"time\"\n)\n\n"
	"var tag = \"dev\"\n\n"
	"func worker(c chan int) { <-c }\n\n"
	"func main() {\n"
	"\tc := make(chan int)\n"
	"\tfor i := 0; i < 3; i++ {\n\t\tgo worker(c)\n\t}\n"
	"\ttime.Sleep(20 * time.Millisecond)\n"
	"\tvar m map[string]int\n"
	"\tif len(os.Args) > 5 {\n\t\tm = map[string]int{}\n\t}\n"
	"\tm[tag] = 1\n"
	"}\n";

struct fixture {
	char dir[64];
	char c_exe[256], c_core[256];
	pid_t c_pid;
	char go_exe[256], go_core[256];
	char go_bin[512];
	bool have_go;
};

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	size_t n = fwrite(data, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

/* Output of a shell command (first max-1 bytes), trailing newline removed. */
static int run_capture(char *out, size_t max, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = fread(out, 1, max - 1, p);
	out[n] = 0;
	while (n > 0 && out[n - 1] == '\n')
		out[--n] = 0;
	return pclose(p) == 0 ? 0 : -1;
}

/* Runs exe in dir with unlimited core size; returns the pid and finds the core. */
static int run_crash(const char *dir, const char *exe, bool go, pid_t *pid_out, char *core, size_t core_len)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
		setrlimit(RLIMIT_CORE, &rl);
		if (chdir(dir) < 0)
			_exit(127);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		if (go)
			setenv("GOTRACEBACK", "crash", 1);
		execl(exe, exe, (char *)NULL);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st) || !WCOREDUMP(st))
		return -1;
	*pid_out = pid;
	snprintf(core, core_len, "%s/core", dir);
	if (access(core, R_OK) == 0)
		return 0;
	snprintf(core, core_len, "%s/core.%d", dir, (int)pid);
	return access(core, R_OK) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	static struct fixture fx;
	char path[256], out[1024];
	memset(&fx, 0, sizeof(fx));
	strcpy(fx.dir, "/tmp/cw-test-core-XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	snprintf(path, sizeof(path), "%s/crash.c", fx.dir);
	snprintf(fx.c_exe, sizeof(fx.c_exe), "%s/crash", fx.dir);
	if (write_file(path, crash_c, strlen(crash_c)) < 0)
		return -1;
	if (run_capture(out, sizeof(out), "cc -g -O0 -pthread -Wl,--build-id -o %s %s 2>&1", fx.c_exe, path) < 0)
		return -1;
	if (run_crash(fx.dir, fx.c_exe, false, &fx.c_pid, fx.c_core, sizeof(fx.c_core)) < 0)
		return -1;
	char core_go_dir[160];
	snprintf(core_go_dir, sizeof(core_go_dir), "%s/go", fx.dir);
	mkdir(core_go_dir, 0700);
	/* Go part: skipped when no toolchain */
	if (run_capture(fx.go_bin, sizeof(fx.go_bin), "%s/scripts/go-toolchain.sh 1.26 2>/dev/null",
			getenv("top_srcdir") ? getenv("top_srcdir") : "..") == 0 && fx.go_bin[0]) {
		snprintf(path, sizeof(path), "%s/main.go", core_go_dir);
		write_file(path, crash_go, strlen(crash_go));
		snprintf(path, sizeof(path), "%s/go.mod", core_go_dir);
		write_file(path, "module example.com/cwcrash\n\ngo 1.21\n", 36);
		snprintf(fx.go_exe, sizeof(fx.go_exe), "%s/gocrash", core_go_dir);
		if (run_capture(out, sizeof(out),
				"cd %s && GOTOOLCHAIN=local GOFLAGS=-buildvcs=false %s build "
				"-ldflags='-X main.tag=v1' -o gocrash . 2>&1", core_go_dir, fx.go_bin) == 0) {
			pid_t gp;
			if (run_crash(core_go_dir, fx.go_exe, true, &gp, fx.go_core, sizeof(fx.go_core)) == 0)
				fx.have_go = true;
		}
	}
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char out[64];
	if (fx && fx->dir[0])
		run_capture(out, sizeof(out), "rm -rf %s", fx->dir);
	return 0;
}

static void test_c_core_notes(void **state)
{
	struct fixture *fx = *state;
	struct cw_core *core = NULL;
	assert_int_equal(cw_core_open(fx->c_core, &core), 0);
	assert_false(cw_core_truncated(core));
	assert_string_equal(cw_core_arch(core)->name, "amd64");
	assert_int_equal(cw_core_nthreads(core), 2);
	const struct cw_core_thread *t = cw_core_thread(core, 0);
	assert_int_equal(t->cursig, 11);
	assert_int_equal(t->tid, fx->c_pid);
	assert_true(cw_core_thread(core, 1)->tid != fx->c_pid);
	const struct cw_core_siginfo *si = cw_core_siginfo(core);
	assert_true(si->present);
	assert_int_equal(si->signo, 11);
	assert_int_equal(si->code, 1);   /* SEGV_MAPERR */
	assert_int_equal(si->addr, 0x10);
	const struct cw_core_prpsinfo *ps = cw_core_prpsinfo(core);
	assert_true(ps->present);
	assert_int_equal(ps->pid, fx->c_pid);
	assert_string_equal(ps->fname, "crash");
	assert_int_equal((uint32_t)ps->uid, getuid());
	uint64_t v;
	assert_int_equal(cw_core_auxv(core, AT_PAGESZ, &v), 0);
	assert_int_equal(v, (uint64_t)sysconf(_SC_PAGESIZE));
	assert_int_equal(cw_core_auxv(core, 0x7777, &v), -ENOENT);
	bool exe_seen = false, libc_seen = false;
	for (size_t i = 0; i < cw_core_nfiles(core); i++) {
		const struct cw_core_file_mapping *f = cw_core_file(core, i);
		assert_true(f->end > f->start);
		if (strcmp(f->path, fx->c_exe) == 0)
			exe_seen = true;
		if (strstr(f->path, "libc"))
			libc_seen = true;
	}
	assert_true(exe_seen);
	assert_true(libc_seen);
	assert_true(cw_core_nsegments(core) > 5);
	for (size_t i = 1; i < cw_core_nsegments(core); i++)
		assert_true(cw_core_segment(core, i)->vaddr >= cw_core_segment(core, i - 1)->vaddr);
	cw_core_free(core);
}

/* Checks the exe, build ids, load bias and a memory read of the global
 * and of rodata (the latter comes from the executable). */
static void check_c_memory(struct fixture *fx, struct cw_core *core)
{
	struct cw_exe *exe = NULL;
	char out[256], *hex = NULL;
	assert_int_equal(cw_exe_open(fx->c_exe, &exe), 0);
	assert_true(cw_exe_has_symtab(exe));
	assert_true(cw_exe_has_dwarf(exe));
	assert_int_equal(run_capture(out, sizeof(out), "readelf -n %s | sed -n 's/.*Build ID: //p'", fx->c_exe), 0);
	assert_non_null(cw_exe_gnu_build_id(exe));
	assert_string_equal(cw_exe_gnu_build_id(exe), out);
	assert_null(cw_exe_go_build_id(exe));
	struct cw_go_buildinfo *bi = NULL;
	assert_int_equal(cw_exe_go_buildinfo(exe, &bi), -ENOENT);

	uint64_t bias = 1, entry;
	assert_int_equal(cw_exe_load_bias(exe, core, &bias), 0);
	assert_int_equal(cw_core_auxv(core, AT_ENTRY, &entry), 0);
	assert_int_equal(entry - bias, cw_exe_entry(exe));
	/* the core's copy of the executable's first page carries the same build id */
	uint64_t first = UINT64_MAX;
	for (size_t i = 0; i < cw_core_nfiles(core); i++) {
		const struct cw_core_file_mapping *f = cw_core_file(core, i);
		if (strcmp(f->path, fx->c_exe) == 0 && f->file_offset == 0 && f->start < first)
			first = f->start;
	}
	assert_true(first != UINT64_MAX);
	assert_int_equal(cw_core_build_id_at(core, first, &hex), 0);
	assert_string_equal(hex, out);
	free(hex);
	assert_int_equal(cw_core_build_id_at(core, 0x10, &hex), -ENOENT);

	struct cw_mem *m = NULL;
	uint64_t addr, size, val = 0;
	assert_int_equal(cw_mem_new(core, exe, bias, &m), 0);
	assert_int_equal(cw_exe_symbol(exe, "cw_magic", &addr, &size), 0);
	assert_int_equal(size, 8);
	assert_int_equal(cw_mem_u64(m, addr + bias, &val), 0);
	assert_true(val == C_MAGIC);
	assert_true(cw_mem_mapped(m, addr + bias));
	assert_int_equal(cw_exe_symbol(exe, "cw_rodata", &addr, &size), 0);
	char *s = NULL;
	assert_int_equal(cw_mem_gostring(m, addr + bias, 24, 64, &s), 0);
	assert_string_equal(s, "crashwatch-rodata-marker");
	free(s);
	assert_int_equal(cw_mem_gostring(m, addr + bias, 24, 8, &s), -E2BIG);
	assert_int_equal(cw_mem_u64(m, 0x10, &val), -EFAULT);
	assert_false(cw_mem_mapped(m, 0x10));
	/* the pc of the crashing thread is in crash_here */
	const struct cw_arch *arch = cw_core_arch(core);
	uint64_t pc = arch->pc(&cw_core_thread(core, 0)->regs);
	const char *name = NULL;
	uint64_t start;
	assert_int_equal(cw_exe_symbol_at(exe, pc - bias, &name, &start), 0);
	assert_string_equal(name, "crash_here");
	assert_int_equal(cw_exe_symbol(exe, "crash_here", &addr, &size), 0);
	assert_true(pc - bias >= addr && pc - bias < addr + size);
	assert_true(arch->sp(&cw_core_thread(core, 0)->regs) != 0);
	assert_true(arch->tls_base(&cw_core_thread(core, 0)->regs) != 0);
	cw_mem_free(m);
	cw_exe_free(exe);
}

static void test_c_memory(void **state)
{
	struct fixture *fx = *state;
	struct cw_core *core = NULL;
	assert_int_equal(cw_core_open(fx->c_core, &core), 0);
	check_c_memory(fx, core);

	/* libc's text is not in the core; opted in, it comes from the host's libc */
	const struct cw_core_file_mapping *text = NULL;
	for (size_t i = 0; i < cw_core_nfiles(core) && !text; i++) {
		const struct cw_core_file_mapping *f = cw_core_file(core, i);
		for (size_t k = 0; strstr(f->path, "libc.so") && k < cw_core_nsegments(core); k++) {
			const struct cw_core_segment *sg = cw_core_segment(core, k);
			if (sg->vaddr == f->start && (sg->flags & PF_X) && sg->filesz == 0)
				text = f;
		}
	}
	assert_non_null(text);
	struct cw_mem *m = NULL;
	uint8_t got[64], want[64];
	assert_int_equal(cw_mem_new(core, NULL, 0, &m), 0);
	assert_int_equal(cw_mem_read(m, text->start + 256, got, sizeof(got)), -EFAULT);
	assert_int_equal(cw_mem_use_mapped_files(m), 0);
	assert_int_equal(cw_mem_read(m, text->start + 256, got, sizeof(got)), 0);
	int fd = open(text->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, want, sizeof(want), (off_t)(text->file_offset + 256)), (ssize_t)sizeof(want));
	close(fd);
	assert_memory_equal(got, want, sizeof(want));
	cw_mem_free(m);
	cw_core_free(core);
}

static void test_c_zstd(void **state)
{
	struct fixture *fx = *state;
	char out[256], zpath[160];
	snprintf(zpath, sizeof(zpath), "%s/core.zst", fx->dir);
	assert_int_equal(run_capture(out, sizeof(out), "zstd -19 -q -f %s -o %s 2>&1", fx->c_core, zpath), 0);
	struct cw_core *core = NULL;
	assert_int_equal(cw_core_open(zpath, &core), 0);
	assert_int_equal(cw_core_nthreads(core), 2);
	assert_int_equal(cw_core_siginfo(core)->addr, 0x10);
	struct stat st;
	assert_int_equal(stat(fx->c_core, &st), 0);
	assert_int_equal(cw_core_size(core), (uint64_t)st.st_size);
	check_c_memory(fx, core);
	int fd;
	assert_int_equal(cw_core_raw_fd(core, &fd), 0);
	uint8_t magic[4];
	assert_int_equal(pread(fd, magic, 4, 0), 4);
	assert_memory_equal(magic, ELFMAG, 4);
	cw_core_free(core);

	/* a zstd file cut in the middle opens as a truncated core */
	char tpath[200];
	snprintf(tpath, sizeof(tpath), "%s.cut", zpath);
	assert_int_equal(stat(zpath, &st), 0);
	assert_int_equal(run_capture(out, sizeof(out), "head -c %lld %s > %s", (long long)st.st_size / 2, zpath, tpath), 0);
	assert_int_equal(cw_core_open(tpath, &core), 0);
	assert_true(cw_core_truncated(core));
	assert_int_equal(cw_core_nthreads(core), 2);
	assert_int_equal(cw_core_siginfo(core)->signo, 11);
	cw_core_free(core);
}

/* Writes the core in zstd's seekable format (frames of 64 KiB, seek table
 * with checksums omitted), as the collector does. */
static void write_seekable(const char *in, const char *outp, size_t frame)
{
	FILE *fi = fopen(in, "r"), *fo = fopen(outp, "w");
	assert_non_null(fi);
	assert_non_null(fo);
	uint8_t *buf = malloc(frame), *cbuf = malloc(ZSTD_compressBound(frame));
	uint32_t *sizes = NULL;
	size_t nframes = 0, n;
	while ((n = fread(buf, 1, frame, fi)) > 0) {
		size_t c = ZSTD_compress(cbuf, ZSTD_compressBound(frame), buf, n, 3);
		assert_false(ZSTD_isError(c));
		assert_int_equal(fwrite(cbuf, 1, c, fo), c);
		sizes = realloc(sizes, (nframes + 1) * 2 * sizeof(uint32_t));
		sizes[2 * nframes] = (uint32_t)c;
		sizes[2 * nframes + 1] = (uint32_t)n;
		nframes++;
	}
	uint32_t hdr[2] = { CW_ZSTD_SKIPPABLE_SEEKTABLE, (uint32_t)(nframes * 8 + 9) };
	fwrite(hdr, 4, 2, fo);
	fwrite(sizes, 8, nframes, fo);
	uint32_t nf = (uint32_t)nframes, magic = CW_ZSTD_SEEKABLE_MAGIC;
	uint8_t desc = 0;
	fwrite(&nf, 4, 1, fo);
	fwrite(&desc, 1, 1, fo);
	fwrite(&magic, 4, 1, fo);
	fclose(fi);
	fclose(fo);
	free(buf);
	free(cbuf);
	free(sizes);
}

static void test_c_seekable(void **state)
{
	struct fixture *fx = *state;
	char zpath[160], out[256];
	snprintf(zpath, sizeof(zpath), "%s/core.seek.zst", fx->dir);
	write_seekable(fx->c_core, zpath, 64 << 10);
	/* the zstd CLI reads it back to the same bytes */
	assert_int_equal(run_capture(out, sizeof(out), "zstd -dc %s | cmp - %s && echo same", zpath, fx->c_core), 0);
	assert_string_equal(out, "same");
	struct cw_core *core = NULL;
	assert_int_equal(cw_core_open(zpath, &core), 0);
	uint64_t size;
	assert_null(cw_core_data(core, &size));   /* random access, not materialised */
	assert_int_equal(cw_core_nthreads(core), 2);
	check_c_memory(fx, core);
	/* a read across frame boundaries equals the raw file */
	struct stat st;
	assert_int_equal(stat(fx->c_core, &st), 0);
	size_t len = 200000;
	uint64_t off = (uint64_t)st.st_size / 3;
	uint8_t *a = malloc(len), *b = malloc(len);
	int fd = open(fx->c_core, O_RDONLY);
	assert_int_equal(pread(fd, a, len, (off_t)off), (ssize_t)len);
	close(fd);
	assert_int_equal(cw_core_pread(core, b, len, off), 0);
	assert_memory_equal(a, b, len);
	assert_int_equal(cw_core_pread(core, b, 16, (uint64_t)st.st_size - 8), -EFAULT);
	free(a);
	free(b);
	cw_core_free(core);
}

static void test_c_truncated(void **state)
{
	struct fixture *fx = *state;
	char tpath[160];
	struct stat st;
	snprintf(tpath, sizeof(tpath), "%s/core.trunc", fx->dir);
	assert_int_equal(stat(fx->c_core, &st), 0);
	/* keep the headers, notes and the first segments only */
	struct cw_core *full = NULL;
	assert_int_equal(cw_core_open(fx->c_core, &full), 0);
	const struct cw_core_segment *last = NULL;
	for (size_t i = 0; i < cw_core_nsegments(full); i++)
		if (cw_core_segment(full, i)->filesz > 0)
			last = cw_core_segment(full, i);
	assert_non_null(last);
	uint64_t last_vaddr = last->vaddr, last_off = last->offset, cut = last->offset + last->filesz / 2;
	cw_core_free(full);
	int in = open(fx->c_core, O_RDONLY), out = open(tpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	uint8_t *buf = malloc(cut);
	assert_int_equal(pread(in, buf, cut, 0), (ssize_t)cut);
	assert_int_equal(write(out, buf, cut), (ssize_t)cut);
	close(in);
	close(out);
	free(buf);

	struct cw_core *core = NULL;
	assert_int_equal(cw_core_open(tpath, &core), 0);
	assert_true(cw_core_truncated(core));
	assert_int_equal(cw_core_nthreads(core), 2);
	struct cw_mem *m = NULL;
	uint64_t v;
	assert_int_equal(cw_mem_new(core, NULL, 0, &m), 0);
	assert_int_equal(cw_mem_u64(m, last_vaddr, &v), 0);
	assert_int_equal(cw_mem_u64(m, last_vaddr + (cut - last_off), &v), -EFAULT);
	cw_mem_free(m);
	uint8_t b[8];
	assert_int_equal(cw_core_pread(core, b, 8, cut - 4), -EFAULT);
	cw_core_free(core);
}

static void test_bad_input(void **state)
{
	struct fixture *fx = *state;
	struct cw_core *core = NULL;
	char path[160];
	assert_int_equal(cw_core_open(fx->c_exe, &core), -EBADMSG);   /* ELF, not a core */
	snprintf(path, sizeof(path), "%s/crash.c", fx->dir);
	assert_int_equal(cw_core_open(path, &core), -EBADMSG);
	assert_int_equal(cw_core_open("/nonexistent/core", &core), -ENOENT);
	/* an aarch64 core header */
	Elf64_Ehdr eh = { .e_type = ET_CORE, .e_machine = EM_AARCH64, .e_version = EV_CURRENT,
			  .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
			  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 1 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	uint8_t img[sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr)] = { 0 };
	memcpy(img, &eh, sizeof(eh));
	snprintf(path, sizeof(path), "%s/arm.core", fx->dir);
	assert_int_equal(write_file(path, img, sizeof(img)), 0);
	assert_int_equal(cw_core_open(path, &core), -ENOTSUP);
	/* corrupt zstd */
	snprintf(path, sizeof(path), "%s/bad.zst", fx->dir);
	assert_int_equal(write_file(path, "\x28\xb5\x2f\xfd garbage garbage", 20), 0);
	assert_true(cw_core_open(path, &core) < 0);
	struct cw_exe *exe = NULL;
	snprintf(path, sizeof(path), "%s/crash.c", fx->dir);
	assert_int_equal(cw_exe_open(path, &exe), -EBADMSG);
	/* files that are not regular are refused without blocking: a FIFO
	 * with no writer would otherwise wait in open() forever */
	snprintf(path, sizeof(path), "%s/fifo", fx->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(cw_core_open(path, &core), -ESPIPE);
	assert_int_equal(cw_exe_open(path, &exe), -ESPIPE);
	assert_int_equal(cw_core_open("/dev/null", &core), -ESPIPE);
	assert_int_equal(cw_exe_open("/dev/null", &exe), -ESPIPE);
	assert_int_equal(cw_core_open(fx->dir, &core), -EISDIR);
	assert_int_equal(cw_exe_open(fx->dir, &exe), -EISDIR);
	assert_null(core);
	assert_null(exe);
}

static void test_c_native_unwind(void **state)
{
	struct fixture *fx = *state;
	struct cw_core *core = NULL;
	struct cw_thread *threads = NULL;
	size_t n = 0;
	assert_int_equal(cw_core_open(fx->c_core, &core), 0);
	assert_int_equal(cw_native_unwind(core, fx->c_exe, &threads, &n), 0);
	assert_int_equal(n, 2);
	const struct cw_thread *crashed = NULL;
	for (size_t i = 0; i < n; i++)
		if (threads[i].crashed)
			crashed = &threads[i];
	assert_non_null(crashed);
	assert_int_equal(crashed->tid, fx->c_pid);
	assert_string_equal(crashed->stack_kind, "native");
	assert_true(crashed->nframes >= 2);
	assert_string_equal(crashed->frames[0].function, "crash_here");
	assert_string_equal(crashed->frames[0].module, "crash");
	assert_non_null(crashed->frames[0].file);
	assert_non_null(strstr(crashed->frames[0].file, "crash.c"));
	assert_int_equal(crashed->frames[0].line, 6);
	assert_string_equal(crashed->frames[1].function, "main");
	assert_int_equal(crashed->frames[1].line, 9);
	cw_native_threads_free(threads, n);
	cw_core_free(core);
}

static void test_go_core(void **state)
{
	struct fixture *fx = *state;
	if (!fx->have_go)
		skip();
	char out[4096];
	struct cw_core *core = NULL;
	struct cw_exe *exe = NULL;
	assert_int_equal(cw_core_open(fx->go_core, &core), 0);
	assert_true(cw_core_nthreads(core) >= 1);
	assert_int_equal(cw_core_thread(core, 0)->cursig, 6);   /* GOTRACEBACK=crash re-raises SIGABRT */
	assert_int_equal(cw_core_siginfo(core)->signo, 6);
	assert_string_equal(cw_core_prpsinfo(core)->fname, "gocrash");
	assert_int_equal(cw_exe_open(fx->go_exe, &exe), 0);
	assert_false(cw_exe_is_pie(exe));
	assert_int_equal(run_capture(out, sizeof(out), "GOTOOLCHAIN=local %s tool buildid %s", fx->go_bin, fx->go_exe), 0);
	assert_non_null(cw_exe_go_build_id(exe));
	assert_string_equal(cw_exe_go_build_id(exe), out);

	struct cw_go_buildinfo *bi = NULL;
	assert_int_equal(cw_exe_go_buildinfo(exe, &bi), 0);
	assert_int_equal(run_capture(out, sizeof(out), "GOTOOLCHAIN=local %s env GOVERSION", fx->go_bin), 0);
	assert_string_equal(bi->go_version, out);
	assert_string_equal(bi->path, "example.com/cwcrash");
	assert_string_equal(bi->main_module, "example.com/cwcrash");
	assert_non_null(bi->main_version);
	/* every unquoted "build key=value" line of go version -m is in the settings */
	assert_int_equal(run_capture(out, sizeof(out), "GOTOOLCHAIN=local %s version -m %s | "
				     "sed -n 's/^\\tbuild\\t//p' | grep -v '\"'", fx->go_bin, fx->go_exe), 0);
	size_t checked = 0;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char *eq = strchr(line, '=');
		assert_non_null(eq);
		*eq = 0;
		bool found = false;
		for (size_t i = 0; i < bi->n_settings; i++)
			if (strcmp(bi->settings[i].key, line) == 0 && strcmp(bi->settings[i].value, eq + 1) == 0)
				found = true;
		assert_true(found);
		checked++;
	}
	assert_true(checked >= 3);
	bool ldflags = false;
	for (size_t i = 0; i < bi->n_settings; i++)
		if (strcmp(bi->settings[i].key, "-ldflags") == 0)
			ldflags = strcmp(bi->settings[i].value, "-X main.tag=v1") == 0;
	assert_true(ldflags);
	cw_go_buildinfo_free(bi);

	/* runtime.buildVersion: the header is in .data (core), the bytes in rodata (executable) */
	uint64_t bias, addr, ptr, len;
	struct cw_mem *m = NULL;
	assert_int_equal(cw_exe_load_bias(exe, core, &bias), 0);
	assert_int_equal(bias, 0);
	assert_int_equal(cw_mem_new(core, exe, bias, &m), 0);
	assert_int_equal(cw_exe_symbol(exe, "runtime.buildVersion", &addr, NULL), 0);
	assert_int_equal(cw_mem_ptr(m, addr, &ptr), 0);
	assert_int_equal(cw_mem_u64(m, addr + 8, &len), 0);
	char *s = NULL;
	assert_int_equal(cw_mem_gostring(m, ptr, len, 64, &s), 0);
	assert_int_equal(run_capture(out, sizeof(out), "GOTOOLCHAIN=local %s env GOVERSION", fx->go_bin), 0);
	assert_string_equal(s, out);
	free(s);
	/* g in R14 or the TLS slot points into mapped memory for some thread */
	const struct cw_arch *arch = cw_core_arch(core);
	bool g_found = false;
	for (size_t i = 0; i < cw_core_nthreads(core); i++) {
		uint64_t g;
		const struct cw_regs *r = &cw_core_thread(core, i)->regs;
		if (cw_mem_ptr(m, arch->tls_base(r) + (uint64_t)arch->tls_g_offset, &g) == 0 && g && cw_mem_mapped(m, g))
			g_found = true;
	}
	assert_true(g_found);
	cw_mem_free(m);

	/* the core's copy of the first page carries the build id (outside PT_NOTE for Go) */
	char *hex = NULL;
	int r = cw_core_build_id_at(core, 0x400000, &hex);
	if (cw_exe_gnu_build_id(exe)) {
		assert_int_equal(r, 0);
		assert_string_equal(hex, cw_exe_gnu_build_id(exe));
		free(hex);
	} else {
		assert_int_equal(r, -ENOENT);
	}

	/* native unwinding does not fail on a Go core */
	struct cw_thread *threads = NULL;
	size_t n = 0;
	assert_int_equal(cw_native_unwind(core, fx->go_exe, &threads, &n), 0);
	assert_int_equal(n, cw_core_nthreads(core));
	cw_native_threads_free(threads, n);
	cw_exe_free(exe);
	cw_core_free(core);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c_core_notes),
		cmocka_unit_test(test_c_memory),
		cmocka_unit_test(test_c_zstd),
		cmocka_unit_test(test_c_seekable),
		cmocka_unit_test(test_c_truncated),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_c_native_unwind),
		cmocka_unit_test(test_go_core),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
