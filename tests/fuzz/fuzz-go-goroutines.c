/* libFuzzer harness for the goroutine walk (go_runtime.c, go_globals.c,
 * go_unwind.c): the fuzz input is the crashed process's memory (allgs,
 * allm, every g, m and stack), read through stand-ins for the core,
 * executable and pclntab so that every byte the walk reads is hostile.
 * The pclntab stand-in is a synthetic function table over text
 * [TEXT_LO, TEXT_HI): 64-byte functions with names, funcIDs, flags and
 * frame sizes derived from the address (the real pclntab parser has its own
 * harness, fuzz-pclntab). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/disasm.h"
#include "analyzer/go_ctx.h"
#include "analyzer/go_layout.h"
#include "analyzer/go_runtime.h"

#define MEM_BASE 0xc000000000ULL
#define TEXT_LO 0x400000ULL
#define TEXT_HI 0x500000ULL

struct fuzz_state {
	const uint8_t *data;
	size_t len;
	struct cw_core_thread threads[2];
	struct cw_core_siginfo si;
};

/* libFuzzer runs inputs one at a time; the stand-ins below reach the
 * current input through this pointer (set per input, cleared after). */
static const struct fuzz_state *cur;

/* ---- memory ---- */
#include "tests/fuzz/mem-standin.h"

/* ---- core ---- */
size_t cw_core_nthreads(const struct cw_core *c) { (void)c; return 2; }
const struct cw_core_thread *cw_core_thread(const struct cw_core *c, size_t i) { (void)c; return i < 2 ? &cur->threads[i] : NULL; }
const struct cw_core_siginfo *cw_core_siginfo(const struct cw_core *c) { (void)c; return &cur->si; }

/* ---- executable ---- */
int cw_exe_symbol(const struct cw_exe *exe, const char *name, uint64_t *addr, uint64_t *size)
{
	(void)exe;
	static const char *const names[] = { "runtime.allgs", "runtime.allm", "runtime.sched", "runtime.memstats" };
	for (size_t i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0) {
			*addr = MEM_BASE + 8 * (i == 0 ? 0 : 2 + i);
			*size = 8;
			return 0;
		}
	return -ENOENT;
}

/* ---- disassembly: not reached (no function names to look up) ---- */
int cw_disasm_new(const struct cw_arch *arch, struct cw_disasm **out) { (void)arch; (void)out; return -ENOTSUP; }
void cw_disasm_free(struct cw_disasm *d) { (void)d; }
int cw_disasm_refs(struct cw_disasm *d, struct cw_mem *mem, uint64_t start, uint64_t end,
		   struct cw_code_ref **refs, size_t *n)
{
	(void)d; (void)mem; (void)start; (void)end; *refs = NULL; *n = 0; return -ENOTSUP;
}

/* ---- synthetic pclntab ---- */
static const char *const fnames[] = {
	"main.main", "runtime.goexit", "runtime.fatalpanic", "runtime.fatalthrow", "runtime.sigtramp",
	"runtime.sigpanic", "runtime.gopanic", "main.(*T).m", "runtime.systemstack_switch", "runtime.main",
	"runtime.mstart", "main.f[...]",
};
static const uint8_t fids[] = {
	CW_FUNCID_NORMAL, CW_FUNCID_GOEXIT, CW_FUNCID_NORMAL, CW_FUNCID_NORMAL, CW_FUNCID_NORMAL,
	CW_FUNCID_SIGPANIC, CW_FUNCID_GOPANIC, CW_FUNCID_NORMAL, CW_FUNCID_SYSTEMSTACK_SWITCH,
	CW_FUNCID_RUNTIME_MAIN, CW_FUNCID_MSTART, CW_FUNCID_NORMAL,
};

int cw_pcln_func(const struct cw_pcln *p, uint64_t pc, struct cw_func *f)
{
	(void)p;
	if (pc < TEXT_LO || pc >= TEXT_HI)
		return -ENOENT;
	uint64_t entry = pc & ~0x3fULL;
	size_t k = (entry >> 6) % (sizeof(fnames) / sizeof(fnames[0]));
	memset(f, 0, sizeof(*f));
	f->entry = entry;
	f->end = entry + 0x40;
	f->name = fnames[k];
	f->funcid = fids[k];
	f->flag = (k == 1 || k == 10) ? CW_FUNCFLAG_TOPFRAME : ((entry >> 6) % 29 == 0 ? CW_FUNCFLAG_SPWRITE : 0);
	return 0;
}
int cw_pcln_func_by_name(const struct cw_pcln *p, const char *name, struct cw_func *f)
{
	(void)p; (void)name; (void)f;
	return -ENOENT;
}
int cw_pcln_spdelta(const struct cw_pcln *p, const struct cw_func *f, uint64_t pc, int32_t *delta)
{
	(void)p; (void)f;
	*delta = (int32_t)(((pc * 2654435761u) >> 7) & 0xf8);
	return 0;
}
int cw_pcln_fileline(const struct cw_pcln *p, const struct cw_func *f, uint64_t pc, const char **file, int32_t *line)
{
	(void)p; (void)f;
	*file = "/src/x.go";
	*line = (int32_t)(pc & 0xfff);
	return 0;
}
char *cw_go_func_name_for_print(const char *raw, bool two_groups) { (void)two_groups; return strdup(raw); }
bool cw_pcln_two_group_names(const struct cw_pcln *p) { (void)p; return false; }
#include "tests/fuzz/pcln-frames-standin.h"

/* ---- arch ---- */
static uint64_t reg_pc(const struct cw_regs *r) { return r->r[16]; }
static uint64_t reg_sp(const struct cw_regs *r) { return r->r[19]; }

static uint64_t rd64(const uint8_t *d, size_t len, size_t off)
{
	uint64_t v = 0;
	if (off + 8 <= len)
		memcpy(&v, d + off, 8);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cw_arch arch = { .name = "fuzz", .ptr_size = 8, .pc = reg_pc, .sp = reg_sp };
	struct fuzz_state st = { .data = data, .len = size };
	for (int i = 0; i < 2; i++) {
		st.threads[i].tid = 100 + i;
		st.threads[i].cursig = i == 0 ? 6 : 0;
		st.threads[i].regs.n = 27;
		st.threads[i].regs.r[16] = rd64(data, size, 48 + 16 * (size_t)i);
		st.threads[i].regs.r[19] = rd64(data, size, 56 + 16 * (size_t)i);
	}
	st.si.present = true;
	st.si.signo = size > 80 ? data[80] % 16 : 6;
	cur = &st;

	struct cw_go_ctx ctx = {
		.mem = (struct cw_mem *)&st,        /* opaque: never dereferenced by the stand-ins */
		.pcln = (struct cw_pcln *)&st,
		.arch = &arch,
		.go_minor = 18 + (size > 81 ? data[81] % 11 : 4),   /* 18 .. 28 (28: newer than the newest table) */
	};
	struct cw_analysis *a = calloc(1, sizeof(*a));
	if (a) {
		(void)cw_go_collect_goroutines(&ctx, a);
		cw_analysis_free(a);
	}
	cur = NULL;
	return 0;
}
