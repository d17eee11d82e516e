/* Unit tests for the Go pclntab reader and the moduledata layouts, on a
 * real Go binary (tests/go/pclnprobe built with the installed go into
 * $top_builddir/tests/work/) and on corrupted copies of its table. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "analyzer/exe.h"
#include "analyzer/go_moduledata.h"
#include "analyzer/go_pclntab.h"
#include "common/cleanup.h"

CW_DEFINE_CLEANUP(struct cw_exe *, cw_exe_free)
CW_DEFINE_CLEANUP(struct cw_pcln *, cw_pcln_free)

static char probe_path[4096];
static bool have_probe;   /* false when no go toolchain is installed: tests on it are skipped */

/* Builds the probe once (cached across runs). */
static int build_probe(void)
{
	const char *src = getenv("top_srcdir"), *bld = getenv("top_builddir");
	if (!src)
		src = "..";
	if (!bld)
		bld = ".";
	snprintf(probe_path, sizeof(probe_path), "%s/tests/work/pclnprobe-unit", bld);
	if (access(probe_path, R_OK) == 0)
		return 0;
	if (system("command -v go >/dev/null 2>&1") != 0)
		return 1;
	char cmd[12288];
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s/tests/work' && cd '%s/tests/go/pclnprobe' && "
		 "GOTOOLCHAIN=local GOFLAGS= go build -o '%s' . >&2", bld, src, probe_path);
	return system(cmd) == 0 ? 0 : -1;
}

/* .gopclntab bytes (malloc'd) and the .text address, read with libelf. */
static uint8_t *read_pclntab(const char *path, size_t *len, uint64_t *text)
{
	elf_version(EV_CURRENT);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	size_t shstrndx;
	assert_int_equal(elf_getshdrstrndx(e, &shstrndx), 0);
	uint8_t *out = NULL;
	for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s));) {
		GElf_Shdr sh;
		gelf_getshdr(s, &sh);
		const char *name = elf_strptr(e, shstrndx, sh.sh_name);
		if (name && strcmp(name, ".text") == 0)
			*text = sh.sh_addr;
		if (name && strcmp(name, ".gopclntab") == 0) {
			Elf_Data *d = elf_getdata(s, NULL);
			out = malloc(d->d_size);
			memcpy(out, d->d_buf, d->d_size);
			*len = d->d_size;
		}
	}
	elf_end(e);
	close(fd);
	return out;
}

static int setup(void **state)
{
	int r = build_probe();
	have_probe = r == 0;
	return r < 0 ? -1 : 0;   /* a failed build fails; no go at all skips */
}

static void test_func_name_for_print(void **state)
{
	/* raw name, before Go 1.27, from 1.27 (two groups kept) */
	static const char *cases[][3] = {
		{ "main.main", "main.main", "main.main" },
		{ "main.Sum[go.shape.float64]", "main.Sum[...]", "main.Sum[...]" },
		{ "main.Apply[go.shape.int,go.shape.string].func1", "main.Apply[...].func1", "main.Apply[...].func1" },
		{ "main.(*T[go.shape.int]).m", "main.(*T[...]).m", "main.(*T[...]).m" },
		{ "main.Sum[...]", "main.Sum[...]", "main.Sum[...]" },   /* 1.18-1.20 store it shortened */
		{ "weird]name[", "weird]name[", "weird]name[" },
		{ "", "", "" },
		/* nested brackets inside one group */
		{ "main.F[[4]int]", "main.F[...]", "main.F[...]" },
		{ "main.G[go.shape.[]int,go.shape.map[string]int].func2", "main.G[...].func2", "main.G[...].func2" },
		/* two groups: a closure of a generic function calling a method of
		 * a generic type (any release; real-generics), a generic method of
		 * a generic type (1.27) */
		{ "main.newIndex[go.shape.int].func2.(*index[go.shape.int]).evicted.func1.1",
		  "main.newIndex[...]).evicted.func1.1", "main.newIndex[...].func2.(*index[...]).evicted.func1.1" },
		{ "main.(*T[go.shape.int]).M[go.shape.string]", "main.(*T[...]", "main.(*T[...]).M[...]" },
		{ "main.T[go.shape.int].M[go.shape.string].func1", "main.T[...].func1", "main.T[...].M[...].func1" },
		{ "main.(*T[[2]int]).M[go.shape.[]uint8]", "main.(*T[...]", "main.(*T[...]).M[...]" },
		/* unbalanced: printed whole by 1.27 */
		{ "main.A[x]]]y[z]", "main.A[...]", "main.A[x]]]y[z]" },
		{ "main.A[[x]", "main.A[...]", "main.A[[x]" },
	};
	for (size_t i = 0; i < CW_ARRAY_SIZE(cases); i++) {
		for (int two = 0; two < 2; two++) {
			char *s = cw_go_func_name_for_print(cases[i][0], two);
			assert_string_equal(s, cases[i][1 + two]);
			free(s);
		}
	}
}

/* The generated moduledata offsets against the ones worked out by hand
 * from runtime/symtab.go of each release. */
static void test_moduledata_layout(void **state)
{
	const struct cw_go_layout *l = cw_go_layout_exact(18);
	assert_int_equal(l->md_text.off, 176);
	assert_int_equal(l->md_types.off, 280);
	assert_int_equal(l->md_gofunc.off, 304);
	assert_int_equal(l->md_typelinks.off, 336);
	assert_int_equal(l->md_next.off, 544);
	assert_false(cw_go_has(l->md_covctrs));
	l = cw_go_layout_exact(20);
	assert_int_equal(l->md_gofunc.off, 320);
	assert_int_equal(l->md_modulename.off, 464);
	assert_int_equal(l->md_next.off, 560);
	l = cw_go_layout_exact(21);
	assert_int_equal(l->md_inittasks.off, 464);
	assert_int_equal(l->md_next.off, 584);
	l = cw_go_layout_exact(23);
	assert_int_equal(l->md_bad.off, 529);
	assert_int_equal(l->md_next.off, 576);
	l = cw_go_layout_exact(26);
	assert_int_equal(l->md_epclntab.off, 328);
	assert_int_equal(l->md_textsectmap.off, 336);
	assert_int_equal(l->md_next.off, 584);
	assert_int_equal(l->md_pluginpath.size, 16);
	assert_int_equal(l->md_hasmain.size, 1);
}

static void test_open_bytes_lookup(void **state)
{
	if (!have_probe)
		skip();
	size_t len = 0;
	uint64_t text = 0;
	_cleanup_free_ uint8_t *tab = read_pclntab(probe_path, &len, &text);
	assert_non_null(tab);
	CW_CLEANUP(cw_pcln_freep) struct cw_pcln *p = NULL;
	/* 1.26 no longer stores textStart: supply the .text address */
	assert_int_equal(cw_pcln_open_bytes(tab, len, text, &p), 0);
	assert_string_equal(cw_pcln_layout(p), "1.20");
	assert_true(cw_pcln_nfuncs(p) > 500);
	assert_true(cw_pcln_min_pc(p) >= text);

	/* every function: its entry and last pc resolve to it, in O(log n) */
	struct cw_func f, g;
	for (size_t i = 0; i < cw_pcln_nfuncs(p); i++) {
		assert_int_equal(cw_pcln_func_at(p, i, &f), 0);
		if (f.end == f.entry)
			continue;
		assert_int_equal(cw_pcln_func(p, f.entry, &g), 0);
		assert_int_equal(g.func_off, f.func_off);
		assert_int_equal(cw_pcln_func(p, f.end - 1, &g), 0);
		assert_int_equal(g.func_off, f.func_off);
	}
	assert_int_equal(cw_pcln_func(p, cw_pcln_max_pc(p), &f), -ENOENT);
	assert_int_equal(cw_pcln_func(p, cw_pcln_min_pc(p) - 1, &f), -ENOENT);

	assert_int_equal(cw_pcln_func_by_name(p, "main.main", &f), 0);
	assert_string_equal(f.name, "main.main");
	assert_true(f.start_line > 0);
	const char *file;
	int32_t line;
	assert_int_equal(cw_pcln_fileline(p, &f, f.entry, &file, &line), 0);
	assert_non_null(strstr(file, "tests/go/pclnprobe/main.go"));
	assert_int_equal(line, (int32_t)f.start_line);
	int32_t sp;
	assert_int_equal(cw_pcln_spdelta(p, &f, f.entry, &sp), 0);
	assert_int_equal(sp, 0);
	assert_int_equal(cw_pcln_func_by_name(p, "main.main", &g), 0);   /* cached path */
	assert_int_equal(g.func_off, f.func_off);
	assert_int_equal(cw_pcln_func_by_name(p, "no.such.func", &g), -ENOENT);

	/* funcIDs normalised for this release */
	static const struct { const char *name; uint8_t id; } ids[] = {
		{ "runtime.goexit", CW_FUNCID_GOEXIT }, { "runtime.sigpanic", CW_FUNCID_SIGPANIC },
		{ "runtime.gopanic", CW_FUNCID_GOPANIC }, { "runtime.mstart", CW_FUNCID_MSTART },
		{ "runtime.main", CW_FUNCID_RUNTIME_MAIN }, { "runtime.systemstack", CW_FUNCID_SYSTEMSTACK },
		{ "runtime.mcall", CW_FUNCID_MCALL }, { "runtime.morestack", CW_FUNCID_MORESTACK },
		{ "main.main", CW_FUNCID_NORMAL },
	};
	for (size_t i = 0; i < CW_ARRAY_SIZE(ids); i++) {
		assert_int_equal(cw_pcln_func_by_name(p, ids[i].name, &f), 0);
		assert_int_equal(f.funcid, ids[i].id);
	}
	assert_int_equal(cw_pcln_func_by_name(p, "runtime.goexit", &f), 0);
	assert_true(f.flag & CW_FUNCFLAG_TOPFRAME);

	/* without go:func.* there is no inline tree: one physical frame */
	assert_int_equal(cw_pcln_func_by_name(p, "main.notInlined", &f), 0);
	struct cw_pcframe fr[8];
	size_t n;
	assert_int_equal(cw_pcln_frames(p, NULL, f.entry, fr, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(fr[0].name, "main.notInlined");
	assert_false(fr[0].inlined);
	cw_pcframes_free(fr, n);
}

/* Finds the pc in main.notInlined where leaf, mid and outer are inlined. */
static void test_inline_frames(void **state)
{
	if (!have_probe)
		skip();
	CW_CLEANUP(cw_exe_freep) struct cw_exe *exe = NULL;
	CW_CLEANUP(cw_pcln_freep) struct cw_pcln *p = NULL;
	assert_int_equal(cw_exe_open(probe_path, &exe), 0);
	assert_int_equal(cw_pcln_open(exe, NULL, &p), 0);
	assert_true(cw_pcln_gofunc(p) != 0);
	assert_true(cw_pcln_moduledata_addr(p) != 0);
	uint64_t sym;
	assert_int_equal(cw_exe_symbol(exe, "runtime.firstmoduledata", &sym, NULL), 0);
	assert_int_equal(cw_pcln_moduledata_addr(p), sym);
	struct cw_func f;
	assert_int_equal(cw_pcln_func_by_name(p, "main.notInlined", &f), 0);
	bool found = false;
	for (uint64_t pc = f.entry; pc < f.end && !found; pc++) {
		struct cw_pcframe fr[8];
		size_t n;
		assert_int_equal(cw_pcln_frames(p, exe, pc, fr, 8, &n), 0);
		if (n == 4 && strcmp(fr[0].name, "main.leaf") == 0) {
			assert_string_equal(fr[1].name, "main.mid");
			assert_string_equal(fr[2].name, "main.outer");
			assert_string_equal(fr[3].name, "main.notInlined");
			assert_true(fr[0].inlined && fr[1].inlined && fr[2].inlined && !fr[3].inlined);
			assert_int_equal(fr[3].line, 58);   /* `return outer(x) + 7` */
			assert_int_equal(fr[2].line, 44);
			assert_int_equal(fr[1].line, 42);
			found = true;
		}
		/* a second lookup (from the cache) gives the same frames */
		struct cw_pcframe again[8];
		size_t n2;
		assert_int_equal(cw_pcln_frames(p, exe, pc, again, 8, &n2), 0);
		assert_int_equal(n2, n);
		for (size_t i = 0; i < n; i++) {
			assert_string_equal(again[i].name, fr[i].name);
			assert_ptr_equal(again[i].file, fr[i].file);
			assert_int_equal(again[i].line, fr[i].line);
			assert_int_equal(again[i].inlined, fr[i].inlined);
			assert_int_equal(again[i].funcid, fr[i].funcid);
		}
		cw_pcframes_free(again, n2);
		/* too small a buffer is reported */
		size_t m;
		if (n > 1) {
			assert_int_equal(cw_pcln_frames(p, exe, pc, fr + n, 1, &m), -ENOBUFS);
			cw_pcframes_free(fr + n, m);
		}
		cw_pcframes_free(fr, n);
	}
	assert_true(found);
}

static void test_corrupt_tables(void **state)
{
	if (!have_probe)
		skip();
	size_t len = 0;
	uint64_t text = 0;
	_cleanup_free_ uint8_t *tab = read_pclntab(probe_path, &len, &text);
	assert_non_null(tab);
	struct cw_pcln *p = NULL;
	assert_int_equal(cw_pcln_open_bytes(tab, 7, 0, &p), -EBADMSG);
	assert_int_equal(cw_pcln_open_bytes(tab, 40, 0, &p), -EBADMSG);
	_cleanup_free_ uint8_t *copy = malloc(len);
	memcpy(copy, tab, len);
	copy[0] = 0xfa;   /* Go 1.16 magic */
	assert_int_equal(cw_pcln_open_bytes(copy, len, 0, &p), -ENOTSUP);
	memcpy(copy, tab, len);
	copy[7] = 3;      /* ptrSize */
	assert_int_equal(cw_pcln_open_bytes(copy, len, 0, &p), -EBADMSG);
	/* deterministic byte flips: whatever opens must answer lookups safely */
	uint32_t seed = 12345;
	for (int round = 0; round < 200; round++) {
		memcpy(copy, tab, len);
		for (int k = 0; k < 16; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % (round < 100 ? 4096 : len);
			copy[at] ^= (uint8_t)(seed >> 24) | 1;
		}
		if (cw_pcln_open_bytes(copy, len, text, &p) < 0)
			continue;
		for (uint64_t pc = cw_pcln_min_pc(p); pc < cw_pcln_min_pc(p) + 20000; pc += 97) {
			struct cw_pcframe fr[4];
			size_t n;
			if (cw_pcln_frames(p, NULL, pc, fr, 4, &n) == 0 || n)
				cw_pcframes_free(fr, n);
		}
		cw_pcln_free(p);
	}
}

/* A C executable (this test) has no pclntab anywhere. */
static void test_not_go(void **state)
{
	CW_CLEANUP(cw_exe_freep) struct cw_exe *exe = NULL;
	struct cw_pcln *p = NULL;
	assert_int_equal(cw_exe_open("/proc/self/exe", &exe), 0);
	assert_int_equal(cw_pcln_open(exe, NULL, &p), -ENOENT);
	assert_null(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_func_name_for_print),
		cmocka_unit_test(test_moduledata_layout),
		cmocka_unit_test(test_open_bytes_lookup),
		cmocka_unit_test(test_inline_frames),
		cmocka_unit_test(test_corrupt_tables),
		cmocka_unit_test(test_not_go),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
