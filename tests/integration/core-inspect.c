/* core-inspect EXE CORE: prints what the core, executable and memory
 * readers find, one key=value per line, for core-go-matrix.sh to compare
 * with the Go toolchain's own view (go version -m, go tool buildid). */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core_file.h"
#include "analyzer/exe.h"
#include "analyzer/memory.h"
#include "analyzer/native_unwind.h"

static void print_buildinfo(const struct cw_exe *exe)
{
	struct cw_go_buildinfo *bi = NULL;
	int r = cw_exe_go_buildinfo(exe, &bi);
	if (r < 0) {
		printf("buildinfo_error=%d\n", r);
		return;
	}
	printf("go_version=%s\npath=%s\nmod=%s\n", bi->go_version, bi->path ? bi->path : "",
	       bi->main_module ? bi->main_module : "");
	for (size_t i = 0; i < bi->n_settings; i++)
		printf("setting.%s=%s\n", bi->settings[i].key, bi->settings[i].value);
	cw_go_buildinfo_free(bi);
}

/* first NT_FILE mapping of the executable at file offset 0 */
static uint64_t exe_mapping(struct cw_core *core, const char *exe_path)
{
	char *real = realpath(exe_path, NULL);
	uint64_t start = 0;
	for (size_t i = 0; real && i < cw_core_nfiles(core); i++) {
		const struct cw_core_file_mapping *f = cw_core_file(core, i);
		if (f->file_offset == 0 && strcmp(f->path, real) == 0 && (!start || f->start < start))
			start = f->start;
	}
	free(real);
	return start;
}

static void print_memory(struct cw_core *core, const struct cw_exe *exe, uint64_t bias)
{
	struct cw_mem *m = NULL;
	if (cw_mem_new(core, exe, bias, &m) < 0) {
		printf("mem_error=1\n");
		return;
	}
	uint64_t addr, ptr, len;
	char *s = NULL;
	if (cw_exe_symbol(exe, "runtime.buildVersion", &addr, NULL) == 0 &&
	    cw_mem_ptr(m, addr + bias, &ptr) == 0 && cw_mem_u64(m, addr + bias + 8, &len) == 0 &&
	    cw_mem_gostring(m, ptr, len, 64, &s) == 0) {
		printf("mem_build_version=%s\n", s);
		free(s);
	}
	const struct cw_arch *arch = cw_core_arch(core);
	unsigned gs = 0;
	for (size_t i = 0; i < cw_core_nthreads(core); i++) {
		const struct cw_regs *r = &cw_core_thread(core, i)->regs;
		uint64_t g = 0;
		if (cw_mem_ptr(m, arch->tls_base(r) + (uint64_t)arch->tls_g_offset, &g) == 0 && g && cw_mem_mapped(m, g))
			gs++;
	}
	printf("threads_with_tls_g=%u\n", gs);
	cw_mem_free(m);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: core-inspect EXE CORE\n");
		return 2;
	}
	struct cw_core *core = NULL;
	struct cw_exe *exe = NULL;
	int r = cw_core_open(argv[2], &core);
	if (r < 0) {
		printf("core_error=%d\n", r);
		return 1;
	}
	r = cw_exe_open(argv[1], &exe);
	if (r < 0) {
		printf("exe_error=%d\n", r);
		cw_core_free(core);
		return 1;
	}
	printf("threads=%zu\ncursig=%d\nsigno=%d\nfname=%s\ntruncated=%d\n", cw_core_nthreads(core),
	       cw_core_thread(core, 0) ? cw_core_thread(core, 0)->cursig : -1, cw_core_siginfo(core)->signo,
	       cw_core_prpsinfo(core)->fname, cw_core_truncated(core));
	printf("pie=%d\nsymtab=%d\ndwarf=%d\n", cw_exe_is_pie(exe), cw_exe_has_symtab(exe), cw_exe_has_dwarf(exe));
	printf("go_build_id=%s\n", cw_exe_go_build_id(exe) ? cw_exe_go_build_id(exe) : "");
	printf("gnu_build_id=%s\n", cw_exe_gnu_build_id(exe) ? cw_exe_gnu_build_id(exe) : "");
	print_buildinfo(exe);
	uint64_t bias = 0;
	r = cw_exe_load_bias(exe, core, &bias);
	printf("bias=%s0x%llx\n", r < 0 ? "error" : "", (unsigned long long)bias);
	uint64_t first = exe_mapping(core, argv[1]);
	if (first && cw_exe_nsegments(exe))
		printf("mapping_bias=0x%llx\n",
		       (unsigned long long)(first - (cw_exe_segment(exe, 0)->vaddr & ~0xfffULL)));
	char *hex = NULL;
	if (first && cw_core_build_id_at(core, first, &hex) == 0) {
		printf("core_build_id=%s\n", hex);
		free(hex);
	}
	print_memory(core, exe, bias);
	struct cw_thread *threads = NULL;
	size_t n = 0;
	r = cw_native_unwind(core, argv[1], &threads, &n);
	printf("native_threads=%zd\n", r < 0 ? (ssize_t)r : (ssize_t)n);
	if (r == 0)
		cw_native_threads_free(threads, n);
	cw_exe_free(exe);
	cw_core_free(core);
	return 0;
}
