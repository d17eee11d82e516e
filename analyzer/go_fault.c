/* The fault the runtime reports in its "[signal SIGSEGV: segmentation
 * violation code=0x1 addr=0x8 pc=0x481304]" line: dopanic_m prints it
 * whenever the dying goroutine's g.sig is set, with g.sigcode0 as code,
 * g.sigcode1 as addr and g.sigpc as pc (sighandler stores them before it
 * injects sigpanic). Without one, a synchronous signal that killed the
 * process (NT_SIGINFO with a kernel si_code) is reported at the crashed
 * thread's pc. Either way the pc is resolved through the pclntab and its
 * instruction disassembled with a few of its neighbours. */
#include "config.h"
#include "analyzer/go_fault.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/disasm.h"
#include "analyzer/go_layout.h"
#include "analyzer/go_unwind.h"
#include "common/cleanup.h"
#include "common/signal_name.h"

#define CONTEXT_BEFORE 4
#define CONTEXT_AFTER 3
#define FAULT_INLINE_MAX 32

CW_DEFINE_CLEANUP(struct cw_disasm *, cw_disasm_free)

struct fault_src {
	int signo;
	uint64_t code, addr, pc;
};

/* g.sig, sigcode0, sigcode1 and sigpc of the runtime.g at g_addr */
static int from_g(struct cw_go_ctx *ctx, const struct cw_go_layout *l, uint64_t g_addr, struct fault_src *out)
{
	if (!cw_go_has(l->g_sig) || !cw_go_has(l->g_sigcode0) || !cw_go_has(l->g_sigcode1) ||
	    !cw_go_has(l->g_sigpc))
		return -ENOTSUP;
	uint32_t sig;
	if (cw_mem_u32(ctx->mem, g_addr + (uint64_t)l->g_sig.off, &sig) < 0 ||
	    cw_mem_ptr(ctx->mem, g_addr + (uint64_t)l->g_sigcode0.off, &out->code) < 0 ||
	    cw_mem_ptr(ctx->mem, g_addr + (uint64_t)l->g_sigcode1.off, &out->addr) < 0 ||
	    cw_mem_ptr(ctx->mem, g_addr + (uint64_t)l->g_sigpc.off, &out->pc) < 0)
		return -EFAULT;
	if (sig == 0)
		return -ENOENT;
	if (sig > 128)
		return -EBADMSG;
	out->signo = (int)sig;
	return 0;
}

static int from_goroutine(struct cw_go_ctx *ctx, const struct cw_go_layout *l, const struct cw_analysis *a,
			  struct fault_src *out)
{
	const struct cw_goroutine *g = cw_analysis_crashed_goroutine(a);
	if (!g || !g->g_addr)
		return -ENOENT;
	return from_g(ctx, l, g->g_addr, out);
}

/* A fault on a system stack ("unexpected signal during runtime execution"):
 * the runtime records it in the g the thread was running, g0 or gsignal,
 * which is in the thread's TLS slot. */
static int from_thread_g(struct cw_go_ctx *ctx, const struct cw_go_layout *l, const struct cw_analysis *a,
			 struct fault_src *out)
{
	if (!ctx->arch || !ctx->arch->tls_base)
		return -ENOENT;
	for (size_t i = 0; i < cw_core_nthreads(ctx->core); i++) {
		const struct cw_core_thread *t = cw_core_thread(ctx->core, i);
		if (t->tid != a->crashed_tid)
			continue;
		uint64_t tls = ctx->arch->tls_base(&t->regs), g;
		if (tls == 0 || cw_mem_ptr(ctx->mem, tls + (uint64_t)ctx->arch->tls_g_offset, &g) < 0 || g == 0)
			return -ENOENT;
		return from_g(ctx, l, g, out);
	}
	return -ENOENT;
}

static int from_siginfo(struct cw_go_ctx *ctx, const struct cw_analysis *a, struct fault_src *out)
{
	if (!a->signal.present || !a->signal.has_address || !ctx->arch)
		return -ENOENT;
	for (size_t i = 0; i < cw_core_nthreads(ctx->core); i++) {
		const struct cw_core_thread *t = cw_core_thread(ctx->core, i);
		if (t->tid != a->crashed_tid)
			continue;
		out->signo = a->signal.number;
		out->code = (uint64_t)a->signal.code;
		out->addr = a->signal.address;
		out->pc = ctx->arch->pc(&t->regs);
		return 0;
	}
	return -ENOENT;
}

/* The crashed thread may still be inside the runtime's signal handler on
 * its signal stack, called for a synchronous signal outside Go code (cgo C
 * code: the runtime prints "PC=... sigcode=... addr=..." and dies from its
 * own SIGABRT). The kernel's signal frame above runtime.sigtramp holds that
 * signal's siginfo and the interrupted pc. */
#define SIGSTACK_SEARCH (256 * 1024)
#define MAX_NESTED_SIGNALS 4

CW_DEFINE_CLEANUP(struct cw_go_unwinder *, cw_go_unwinder_free)

static bool synchronous(int signo)
{
	return signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL;
}

static int from_signal_frame(struct cw_go_ctx *ctx, const struct cw_analysis *a, struct fault_src *out)
{
	if (!ctx->arch || !ctx->pcln)
		return -ENOENT;
	/* the crashed thread first; a signal sent to the whole process may have
	 * killed another thread than the one whose handler reported the fault */
	size_t n = cw_core_nthreads(ctx->core);
	for (size_t k = 0; k <= n; k++) {
		const struct cw_core_thread *t = NULL;
		if (k == 0) {
			for (size_t i = 0; i < n && !t; i++)
				if (cw_core_thread(ctx->core, i)->tid == a->crashed_tid)
					t = cw_core_thread(ctx->core, i);
		} else if (cw_core_thread(ctx->core, k - 1)->tid != a->crashed_tid) {
			t = cw_core_thread(ctx->core, k - 1);
		}
		if (!t)
			continue;
		_cleanup_(cw_go_unwinder_freep) struct cw_go_unwinder *u = NULL;
		int r = cw_go_unwinder_new(ctx, &u);
		if (r < 0)
			return r;
		uint64_t pc = ctx->arch->pc(&t->regs), sp = ctx->arch->sp(&t->regs);
		if (sp > UINT64_MAX - SIGSTACK_SEARCH)
			continue;
		uint64_t lo = sp, hi = sp + SIGSTACK_SEARCH;
		/* the runtime's own SIGABRT (dieFromSignal) may sit on top of the
		 * handler of the signal it reports: look through nested frames */
		for (int depth = 0; depth < MAX_NESTED_SIGNALS; depth++) {
			struct cw_go_siginfo si;
			if (cw_go_innermost_signal(u, pc, sp, lo, hi, &si) < 0)
				break;
			/* only a signal the kernel raised for an instruction (si_code > 0) */
			if (synchronous(si.signo) && si.code > 0) {
				out->signo = si.signo;
				out->code = (uint64_t)(int64_t)si.code;
				out->addr = si.addr;
				out->pc = si.pc;
				return 0;
			}
			if (si.sp <= sp || si.sp >= hi)
				break;  /* must move up the same signal stack */
			pc = si.pc;
			sp = si.sp;
		}
	}
	return -ENOENT;
}

/* function, file, line of the innermost (inlined) frame at pc */
static int describe_pc(struct cw_go_ctx *ctx, struct cw_fault *f)
{
	if (f->pc < ctx->load_bias)
		return -ENOENT;
	struct cw_pcframe frames[FAULT_INLINE_MAX];
	size_t n = 0;
	int r = cw_pcln_frames(ctx->pcln, ctx->exe, f->pc - ctx->load_bias, frames, FAULT_INLINE_MAX, &n);
	if (r < 0 && r != -ENOBUFS) {
		cw_pcframes_free(frames, n);
		return r;
	}
	r = 0;
	if (n > 0) {
		f->function = frames[0].name ? strdup(frames[0].name) : NULL;
		f->file = frames[0].file ? strdup(frames[0].file) : NULL;
		f->line = frames[0].line;
		if ((frames[0].name && !f->function) || (frames[0].file && !f->file))
			r = -ENOMEM;
	}
	cw_pcframes_free(frames, n);
	if (n > 0)
		return r;
	/* not Go code (cgo C code linked into the executable): the ELF symbol */
	const char *name;
	uint64_t start;
	if (!ctx->exe || cw_exe_symbol_at(ctx->exe, f->pc - ctx->load_bias, &name, &start) < 0 || !name)
		return -ENOENT;
	f->function = strdup(name);
	return f->function ? 0 : -ENOMEM;
}

static int disassemble(struct cw_go_ctx *ctx, struct cw_fault *f)
{
	_cleanup_(cw_disasm_freep) struct cw_disasm *d = NULL;
	int r = cw_disasm_new(ctx->arch, &d);
	if (r < 0)
		return r;
	struct cw_insn one;
	r = cw_disasm_at(d, ctx->mem, f->pc, &one);
	if (r < 0)
		return r;
	f->instruction = strdup(one.text);
	if (!f->instruction)
		return -ENOMEM;

	uint64_t entry = 0;
	struct cw_func fn;
	if (f->pc >= ctx->load_bias && cw_pcln_func(ctx->pcln, f->pc - ctx->load_bias, &fn) == 0)
		entry = fn.entry + ctx->load_bias;
	struct cw_insn ctxt[CONTEXT_BEFORE + 1 + CONTEXT_AFTER];
	size_t n = 0, at = 0;
	if (cw_disasm_context(d, ctx->mem, entry, f->pc, CONTEXT_BEFORE, CONTEXT_AFTER, ctxt,
			      CW_ARRAY_SIZE(ctxt), &n, &at) < 0)
		return 0;   /* the instruction alone is still worth reporting */
	f->context = calloc(n, sizeof(*f->context));
	if (!f->context)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (asprintf(&f->context[i], "0x%" PRIx64 ": %s", ctxt[i].addr, ctxt[i].text) < 0) {
			f->context[i] = NULL;
			return -ENOMEM;
		}
		f->ncontext = i + 1;
	}
	f->context_pc_index = at;
	return 0;
}

int cw_go_collect_fault(struct cw_go_ctx *ctx, struct cw_analysis *a)
{
	const struct cw_go_layout *l = ctx->layout ? ctx->layout : cw_go_layout_for(ctx->go_minor, NULL);
	struct fault_src src;
	int r = l ? from_goroutine(ctx, l, a, &src) : -ENOTSUP;
	if (r == -ENOENT && l)
		r = from_thread_g(ctx, l, a, &src);
	if (r == -ENOENT || r == -ENOTSUP)
		r = from_siginfo(ctx, a, &src);
	if (r == -ENOENT)
		r = from_signal_frame(ctx, a, &src);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;

	struct cw_fault *f = &a->fault;
	f->present = true;
	f->signo = src.signo;
	f->signal = cw_signal_name_alloc(src.signo); /* what dopanic_m prints (signame) before the ':' */
	if (!f->signal)
		return -ENOMEM;
	f->code = (int64_t)src.code;
	f->address = src.addr;
	f->pc = src.pc;
	r = describe_pc(ctx, f);
	if (r == -ENOMEM)
		return r;
	r = disassemble(ctx, f);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		cw_analysis_warn(a, "faulting instruction at 0x%" PRIx64 " not disassembled: %s", f->pc,
				 strerror(-r));
	return 0;
}
