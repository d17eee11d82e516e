/* The fault the runtime reports in its "[signal SIGSEGV: segmentation
 * violation code=0x1 addr=0x8 pc=0x481304]" line: dopanic_m prints it
 * whenever the dying goroutine's g.sig is set, with g.sigcode0 as code,
 * g.sigcode1 as addr and g.sigpc as pc (sighandler stores them before it
 * injects sigpanic). Without one, a synchronous signal that killed the
 * process (NT_SIGINFO with a kernel si_code) is reported at the crashed
 * thread's pc. Either way the pc is resolved through the pclntab and its
 * instruction disassembled with a few of its neighbours. */
#include "config.h"
#include "analyzer/go_panic.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/disasm.h"
#include "analyzer/go_layout.h"
#include "common/cleanup.h"

#define CONTEXT_BEFORE 4
#define CONTEXT_AFTER 3
#define FAULT_INLINE_MAX 32

CW_DEFINE_CLEANUP(struct cw_disasm *, cw_disasm_free)

struct fault_src {
	int signo;
	uint64_t code, addr, pc;
};

static int from_goroutine(struct cw_go_ctx *ctx, const struct cw_go_layout *l, const struct cw_analysis *a,
			  struct fault_src *out)
{
	const struct cw_goroutine *g = cw_go_crashed_goroutine(a);
	if (!g || !g->g_addr)
		return -ENOENT;
	if (!cw_go_has(l->g_sig) || !cw_go_has(l->g_sigcode0) || !cw_go_has(l->g_sigcode1) ||
	    !cw_go_has(l->g_sigpc))
		return -ENOTSUP;
	uint32_t sig;
	if (cw_mem_u32(ctx->mem, g->g_addr + (uint64_t)l->g_sig.off, &sig) < 0 ||
	    cw_mem_ptr(ctx->mem, g->g_addr + (uint64_t)l->g_sigcode0.off, &out->code) < 0 ||
	    cw_mem_ptr(ctx->mem, g->g_addr + (uint64_t)l->g_sigcode1.off, &out->addr) < 0 ||
	    cw_mem_ptr(ctx->mem, g->g_addr + (uint64_t)l->g_sigpc.off, &out->pc) < 0)
		return -EFAULT;
	if (sig == 0)
		return -ENOENT;
	if (sig > 128)
		return -EBADMSG;
	out->signo = (int)sig;
	return 0;
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
	return n > 0 ? r : -ENOENT;
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

/* "SIGSEGV": the name dopanic_m prints (signame) before the ':'. */
static char *signal_name(int signo)
{
	const char *abbrev = sigabbrev_np(signo);
	char *s = NULL;
	int r = abbrev ? asprintf(&s, "SIG%s", abbrev) : asprintf(&s, "signal %d", signo);
	if (r < 0)
		return NULL;
	return s;
}

int cw_go_collect_fault(struct cw_go_ctx *ctx, struct cw_analysis *a)
{
	const struct cw_go_layout *l = ctx->layout ? ctx->layout : cw_go_layout_for(ctx->go_minor, NULL);
	struct fault_src src;
	int r = l ? from_goroutine(ctx, l, a, &src) : -ENOTSUP;
	if (r == -ENOENT || r == -ENOTSUP)
		r = from_siginfo(ctx, a, &src);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;

	struct cw_fault *f = &a->fault;
	f->present = true;
	f->signo = src.signo;
	f->signal = signal_name(src.signo);
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
