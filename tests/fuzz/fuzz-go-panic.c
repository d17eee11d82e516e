/* libFuzzer harness for the panic-chain reader (go_panic.c: the _panic
 * chain of the crashed goroutine, go_panic_value.c: the values, go_types.c:
 * their type names) and what cw_go_collect_panics calls besides (go_fatal.c:
 * the fatal error text, go_fault.c: the fault). The fuzz input is the
 * crashed process's memory (mapped at MEM_BASE), read through stand-ins for
 * cw_mem, the core, the executable, the pclntab, the disassembler, the
 * unwinder and moduledata, so that every byte the reader reads is hostile.
 *
 * The first bytes of the input (part of that memory too) are a header:
 *   0      release: the layout table index (cw_go_layout_at), or, past
 *          the last table, go1.27 read with the newest one
 *   1      flags (F_*)
 *   2      frames of goroutine 1 (low nibble) and 2 (high nibble), each % 9
 *   3      frames of the crashed thread (low nibble % 9); atomicstatus
 *          selector of goroutine 2 (high nibble)
 *   4, 5   NT_SIGINFO signo, si_code
 *   8      g address of goroutine 1 (goid 1)
 *   16     g address of goroutine 2 (goid 2)
 *   24, 32 moduledata.types, etypes
 *   40     the runtime.allm variable's address
 *   48     frame function names of goroutine 1, 2, the thread (8 bytes each)
 *   72     sp of the innermost frame (others 0x40 apart), 80 its pc
 *   88, 96 crashed thread's pc and sp; 104 its TLS base; 112 si_addr
 * A g, a _panic record, a type descriptor, a name or a string is wherever
 * its pointer says, header included. tests/fuzz/seeds-panic/ has inputs
 * that reach the values (strings, a named int, floats, nil, an error
 * pointer, runtime errors), a repanicked chain, a fatal error and a fault;
 * FUZZ_GO_PANIC_PRINT=1 prints what an input recovered. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/disasm.h"
#include "analyzer/go_ctx.h"
#include "analyzer/go_layout.h"
#include "analyzer/go_moduledata.h"
#include "analyzer/go_panic.h"
#include "analyzer/go_runtime.h"
#include "analyzer/go_unwind.h"

#define MEM_BASE 0xc000000000ULL
#define TEXT_LO 0x400000ULL
#define TEXT_HI 0x500000ULL
#define MAX_FRAMES 8
#define CRASHED_TID 100

enum {
	F_CRASHED_KNOWN = 0x01,    /* a->crashed_goroutine = 1 (else found by only_running_panicking) */
	F_G1_RUNNING = 0x02,
	F_NO_MODULEDATA = 0x04,    /* moduledata unreadable */
	F_SIGINFO_ADDR = 0x08,     /* NT_SIGINFO with an address */
	F_TLS = 0x10,              /* the arch has a TLS base for g */
	F_EXE = 0x20,              /* an executable with ELF symbols */
	F_CLOSURES = 0x40,         /* the pclntab knows runtime.throw.func1 / runtime.fatal.func1 */
	F_SECOND_THREAD = 0x80,    /* a second core thread */
};

struct fuzz_state {
	const uint8_t *data;
	size_t len;
	uint8_t flags;
	struct cw_core_thread threads[2];
};

/* libFuzzer runs inputs one at a time; the stand-ins reach the current
 * input through this pointer (set per input, cleared after). */
static const struct fuzz_state *cur;

static uint64_t rd64(const uint8_t *d, size_t len, size_t off)
{
	uint64_t v = 0;
	if (off + 8 <= len)
		memcpy(&v, d + off, 8);
	return v;
}

static uint8_t rd8(const uint8_t *d, size_t len, size_t off)
{
	return off < len ? d[off] : 0;
}

/* ---- memory ---- */
#include "tests/fuzz/mem-standin.h"

/* ---- core ---- */
size_t cw_core_nthreads(const struct cw_core *c) { (void)c; return cur->flags & F_SECOND_THREAD ? 2 : 1; }
const struct cw_core_thread *cw_core_thread(const struct cw_core *c, size_t i)
{
	return i < cw_core_nthreads(c) ? &cur->threads[i] : NULL;
}

/* ---- executable ---- */
int cw_exe_symbol_at(const struct cw_exe *exe, uint64_t addr, const char **name, uint64_t *start)
{
	(void)exe;
	if (!(cur->flags & F_EXE) || addr < 0x1000 || addr >= TEXT_LO)
		return -ENOENT;
	*name = "cfunc";
	*start = addr & ~0xffULL;
	return 0;
}

/* ---- moduledata: types and etypes are the words at MEM_BASE + 24, 32 ---- */
int cw_go_moduledata_read(struct cw_mem *mem, const struct cw_pcln *p, uint64_t load_bias,
			  const struct cw_go_layout *l, struct cw_go_moduledata *out)
{
	(void)p; (void)load_bias; (void)l;
	if (cur->flags & F_NO_MODULEDATA)
		return -ENOENT;
	struct cw_go_moduledata m;
	memset(&m, 0, sizeof(m));
	m.addr = MEM_BASE;
	if (cw_mem_u64(mem, MEM_BASE + 24, &m.types) < 0 || cw_mem_u64(mem, MEM_BASE + 32, &m.etypes) < 0)
		return -EFAULT;
	*out = m;
	return 0;
}

/* ---- runtime globals: allm at the address in the word at MEM_BASE + 40 ---- */
int cw_go_find_globals(const struct cw_go_ctx *ctx, struct cw_go_globals *out)
{
	(void)ctx;
	memset(out, 0, sizeof(*out));
	out->allm = rd64(cur->data, cur->len, 40);
	return out->allm ? 0 : -ENOENT;
}

/* ---- disassembly: none (the disassembler has its own harness) ---- */
int cw_disasm_new(const struct cw_arch *arch, struct cw_disasm **out) { (void)arch; *out = NULL; return -ENOTSUP; }
void cw_disasm_free(struct cw_disasm *d) { (void)d; }
int cw_disasm_at(struct cw_disasm *d, struct cw_mem *mem, uint64_t addr, struct cw_insn *out)
{
	(void)d; (void)mem; (void)addr; (void)out;
	return -ENOTSUP;
}
int cw_disasm_context(struct cw_disasm *d, struct cw_mem *mem, uint64_t func_start, uint64_t pc,
		      size_t before, size_t after, struct cw_insn *out, size_t max, size_t *n, size_t *at)
{
	(void)d; (void)mem; (void)func_start; (void)pc; (void)before; (void)after; (void)out; (void)max;
	*n = 0;
	*at = 0;
	return -ENOTSUP;
}
const char *cw_disasm_reg_name(const struct cw_disasm *d, int reg) { (void)d; (void)reg; return NULL; }

/* ---- unwinder: the signal frame is a struct cw_go_siginfo at sp ---- */
struct cw_go_unwinder {
	int unused;
};
static struct cw_go_unwinder the_unwinder;
int cw_go_unwinder_new(struct cw_go_ctx *ctx, struct cw_go_unwinder **out)
{
	(void)ctx;
	*out = &the_unwinder;
	return 0;
}
void cw_go_unwinder_free(struct cw_go_unwinder *u) { (void)u; }
int cw_go_innermost_signal(struct cw_go_unwinder *u, uint64_t pc, uint64_t sp, uint64_t lo, uint64_t hi,
			   struct cw_go_siginfo *out)
{
	(void)u; (void)pc; (void)lo; (void)hi;
	if (cw_mem_read(NULL, sp, out, sizeof(*out)) < 0)
		return -ENOENT;
	return 0;
}

/* ---- synthetic pclntab: 64-byte functions over [TEXT_LO, TEXT_HI) ---- */
static const char *const fnames[] = {
	"main.main", "runtime.gopanic", "panic", "runtime.goPanicIndex",
	"runtime.panicSliceAlen", "runtime.panicdottypeE", "runtime.panicmemAddr", "runtime.panicmem",
	"runtime.throw", "runtime.fatal", "runtime.sigpanic", "main.f",
	"runtime.panicnildottype", "runtime.goexit", "sync.throw", "runtime.panicBounds64",
	"runtime.throw.func1", "runtime.fatal.func1", "??", "runtime.goPanicExtendIndex",
};
#define NFNAMES (sizeof(fnames) / sizeof(fnames[0]))

int cw_pcln_func(const struct cw_pcln *p, uint64_t pc, struct cw_func *f)
{
	(void)p;
	if (pc < TEXT_LO || pc >= TEXT_HI)
		return -ENOENT;
	uint64_t entry = pc & ~0x3fULL;
	memset(f, 0, sizeof(*f));
	f->entry = entry;
	f->end = entry + 0x40;
	f->name = fnames[(entry >> 6) % NFNAMES];
	return 0;
}
int cw_pcln_func_by_name(const struct cw_pcln *p, const char *name, struct cw_func *f)
{
	if (!(cur->flags & F_CLOSURES))
		return -ENOENT;
	for (size_t k = 0; k < NFNAMES; k++)
		if (strcmp(name, fnames[k]) == 0)
			return cw_pcln_func(p, TEXT_LO + 0x40 * k, f);
	return -ENOENT;
}
#include "tests/fuzz/pcln-frames-standin.h"

/* ---- arch ---- */
static uint64_t reg_pc(const struct cw_regs *r) { return r->r[16]; }
static uint64_t reg_sp(const struct cw_regs *r) { return r->r[19]; }
static uint64_t reg_tls(const struct cw_regs *r) { return r->r[21]; }

/* frames named by the bytes at names_off; function names are shared
 * (static), as the unwinder's interned names are */
static struct cw_frame *make_frames(const uint8_t *d, size_t len, size_t names_off, size_t n)
{
	if (n == 0)
		return NULL;
	struct cw_frame *f = calloc(n, sizeof(*f));
	if (!f)
		return NULL;
	uint64_t sp = rd64(d, len, 72), pc = rd64(d, len, 80);
	for (size_t i = 0; i < n; i++) {
		f[i].function = (char *)fnames[rd8(d, len, names_off + i) % NFNAMES];
		f[i].file = (char *)"/src/x.go";
		f[i].shared = true;
		f[i].line = (int32_t)i + 1;
		f[i].sp = sp + 0x40 * i;
		f[i].pc = pc + 0x40 * i;
	}
	return f;
}

static bool verbose(void)
{
	static int v = -1;
	if (v < 0)
		v = getenv("FUZZ_GO_PANIC_PRINT") != NULL;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	struct fuzz_state st = { .data = data, .len = size, .flags = data[1] };
	for (int i = 0; i < 2; i++) {
		st.threads[i].tid = CRASHED_TID + i;
		st.threads[i].cursig = i == 0 ? 6 : 0;
		st.threads[i].regs.n = 27;
		st.threads[i].regs.r[16] = rd64(data, size, 88) + 0x40 * (uint64_t)i;
		st.threads[i].regs.r[19] = rd64(data, size, 96) + 0x1000 * (uint64_t)i;
		st.threads[i].regs.r[21] = rd64(data, size, 104);
	}
	cur = &st;

	size_t nlayouts = cw_go_layout_count();
	size_t sel = data[0] % (nlayouts + 1);
	int minor = sel < nlayouts ? cw_go_layout_at(sel)->go_minor : 27;
	const struct cw_arch arch = {
		.name = "fuzz", .ptr_size = 8, .pc = reg_pc, .sp = reg_sp,
		.tls_base = st.flags & F_TLS ? reg_tls : NULL, .tls_g_offset = -8,
	};
	struct cw_go_ctx ctx = {
		.core = (struct cw_core *)&st,        /* opaque: never dereferenced by the stand-ins */
		.exe = st.flags & F_EXE ? (const struct cw_exe *)&st : NULL,
		.mem = (struct cw_mem *)&st,
		.pcln = (struct cw_pcln *)&st,
		.arch = &arch,
		.go_minor = minor,
		.layout = cw_go_layout_for(minor, NULL),
	};

	/* the analysis cw_go_collect_goroutines would have left */
	struct cw_analysis *a = calloc(1, sizeof(*a));
	if (!a)
		goto out;
	a->crashed_tid = CRASHED_TID;
	a->crashed_goroutine = st.flags & F_CRASHED_KNOWN ? 1 : 0;
	a->signal.present = data[4] != 0;
	a->signal.number = data[4] % 65;
	a->signal.code = (int8_t)data[5];
	a->signal.has_address = st.flags & F_SIGINFO_ADDR;
	a->signal.address = rd64(data, size, 112);
	a->goroutines = calloc(2, sizeof(*a->goroutines));
	a->threads = calloc(1, sizeof(*a->threads));
	if (!a->goroutines || !a->threads)
		goto out;
	static const uint32_t statuses[] = { CW_G_WAITING, CW_G_RUNNING, CW_G_RUNNING | CW_G_SCAN, CW_G_SYSCALL };
	a->ngoroutines = 2;
	for (size_t i = 0; i < 2; i++) {
		struct cw_goroutine *g = &a->goroutines[i];
		size_t nf = (i == 0 ? data[2] & 0xf : data[2] >> 4) % (MAX_FRAMES + 1);
		g->id = (int64_t)i + 1;
		g->g_addr = rd64(data, size, 8 + 8 * i);
		g->atomicstatus = i == 0 ? (st.flags & F_G1_RUNNING ? CW_G_RUNNING : CW_G_WAITING) :
			statuses[(data[3] >> 4) % 4];
		g->frames = make_frames(data, size, 48 + 8 * i, nf);
		if (nf && !g->frames)
			goto out;
		g->nframes = nf;
	}
	a->nthreads = 1;
	a->threads[0].tid = CRASHED_TID;
	a->threads[0].crashed = true;
	a->threads[0].goroutine = a->crashed_goroutine;
	size_t ntf = (data[3] & 0xf) % (MAX_FRAMES + 1);
	a->threads[0].frames = make_frames(data, size, 64, ntf);
	if (ntf && !a->threads[0].frames)
		goto out;
	a->threads[0].nframes = ntf;

	int r = cw_go_collect_panics(&ctx, a);
	if (verbose()) {   /* FUZZ_GO_PANIC_PRINT=1: what an input reached (for seeds) */
		printf("go1.%d: %d, %zu panics\n", minor, r, a->npanics);
		for (size_t i = 0; i < a->npanics; i++)
			printf("  panic: %s [%s]%s%s%s\n", a->panics[i].message, a->panics[i].type,
			       a->panics[i].recovered ? " recovered" : "", a->panics[i].repanicked ? " repanicked" : "",
			       a->panics[i].goexit ? " goexit" : "");
		printf("  fatal error: %s\n", a->fatal_error ? a->fatal_error : "-");
		if (a->fault.present)
			printf("  fault: %s code=%lld addr=0x%llx pc=0x%llx %s\n", a->fault.signal,
			       (long long)a->fault.code, (unsigned long long)a->fault.address,
			       (unsigned long long)a->fault.pc, a->fault.function ? a->fault.function : "?");
		for (size_t i = 0; i < a->nwarnings; i++)
			printf("  warning: %s\n", a->warnings[i]);
	}
out:
	cw_analysis_free(a);
	cur = NULL;
	return 0;
}
