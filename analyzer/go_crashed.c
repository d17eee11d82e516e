/* Which goroutine crashed: the one the runtime prints first, the crashing
 * m's curg (or the goroutine its signal interrupted), and which thread
 * printed the traceback.
 *
 * A fatal signal that sighandler reports (fatalsignal, GOTRACEBACK=crash)
 * is printed by the m that took it; that m then relays SIGQUIT to the
 * process (raiseproc), every other m dumps its own stack in its handler
 * for that SIGQUIT and relays it on, and each of them waits in its
 * handler. Up to 1.21 the last m of the relay calls crash()
 * (dieFromSignal(SIGABRT), so the core's signal is SIGABRT whatever the
 * first signal was) and the printer is another thread, still in its
 * handler for the signal it printed; from 1.22 the printer waits for the
 * relay and crashes itself (issue 63277), unless a relay m's 5-second
 * timeout expired first.
 *
 * So the thread the kernel dumped for is not always the one that printed.
 * The strategies below each recognise one such situation from the threads'
 * registers and stacks; cw_go_crashed_g tries them in the order of
 * strategies[] and the first that recognises its situation decides. */
#include "analyzer/go_runtime_internal.h"

#include <signal.h>
#include <string.h>

#include "analyzer/go_layout.h"
#include "common/cleanup.h"

#define SIGQUIT_NUMBER 3
#define SIGSTKFLT_NUMBER 16

/* What every strategy starts from. */
struct crash_in {
	const struct cw_core_siginfo *si;   /* the core's NT_SIGINFO, NULL when absent */
	uint64_t g;                         /* thread_g of the crashing thread */
};

/* The core's signal killed the process, and it was not the SIGQUIT that
 * the runtime relays from m to m. */
static bool fatal_signal(const struct crash_in *in)
{
	return in->si && in->si->signo != SIGQUIT_NUMBER;
}

static const struct gview *g_by_sp(const struct collect *c, uint64_t sp)
{
	for (size_t i = 0; i < c->ngs; i++)
		if (in_stack(sp, c->gs[i].stack_lo, c->gs[i].stack_hi))
			return &c->gs[i];
	return NULL;
}

static const struct gview *g_by_addr(const struct collect *c, uint64_t addr)
{
	for (size_t i = 0; addr && i < c->ngs; i++)
		if (c->gs[i].addr == addr)
			return &c->gs[i];
	return NULL;
}

/* The goroutine t's m was running, or the one its signal interrupted. */
static uint64_t thread_g(struct collect *c, const struct cw_core_thread *t, const struct mview *m, int32_t *signo)
{
	*signo = 0;
	if (m && m->curg)
		return m->curg;
	uint64_t pc = c->ctx->arch->pc(&t->regs), sp = c->ctx->arch->sp(&t->regs), sigpc, sigsp;
	const struct gview *g = g_by_sp(c, sp);
	if (!g && m && in_stack(sp, m->gs_lo, m->gs_hi) &&
	    cw_go_signal_context(c->u, pc, sp, m->gs_lo, m->gs_hi, &sigpc, &sigsp, signo) == 0)
		g = g_by_sp(c, sigsp);
	return g ? g->addr : 0;
}

/* thread_g without m's curg: the goroutine whose stack t is on or that
 * the signal t's handler runs for interrupted, with that signal. */
static uint64_t handler_g(struct collect *c, const struct cw_core_thread *t, const struct mview *m, int32_t *signo)
{
	struct mview nocurg = *m;
	nocurg.curg = 0;
	return thread_g(c, t, &nocurg, signo);
}

/* The next thread from *i on, other than the crashing one, whose m is on
 * its gsignal stack (in a signal handler), with that m; NULL after the
 * last. */
static const struct cw_core_thread *next_in_handler(struct collect *c, size_t *i, const struct mview **m)
{
	for (; *i < cw_core_nthreads(c->ctx->core); (*i)++) {
		const struct cw_core_thread *t = cw_core_thread(c->ctx->core, *i);
		const struct mview *tm = m_by_tid(c, t->tid);
		if (t == c->crash_thread || !tm || !in_stack(c->ctx->arch->sp(&t->regs), tm->gs_lo, tm->gs_hi))
			continue;
		(*i)++;
		*m = tm;
		return t;
	}
	return NULL;
}

/* A signal whose sighandler prints the fatal traceback itself (sigtable
 * _SigThrow, or _SigPanic when it cannot turn into a panic: a fault in C
 * code or on a system stack), apart from SIGQUIT, the one the runtime
 * relays to the other m's. */
static bool printing_signal(int32_t signo)
{
	return signo == SIGILL || signo == SIGTRAP || signo == SIGABRT || signo == SIGBUS || signo == SIGFPE ||
	       signo == SIGSEGV || signo == SIGSTKFLT_NUMBER || signo == SIGSYS;
}

/* m printed from its handler for a signal that interrupted its g0: the
 * runtime prints "goroutine 0 [idle]" (or, in cgo C code, m.incgo,
 * switches to curg: "signal arrived during cgo execution"), then
 * tracebackothers prints m's curg first. That curg is the crashed
 * goroutine when it is running (a systemstack call) or in the cgo call;
 * an m idle in the scheduler, just starting (minit), between two
 * goroutines (curg still set, but runnable or waiting) or on g0 for a
 * system call of its curg (exitsyscallfast's systemstack, say: curg in
 * "syscall", m not in C code) crashed none. */
static uint64_t g0_printed(const struct collect *c, const struct mview *m)
{
	const struct gview *g = g_by_addr(c, m->curg);
	if (!g)
		return 0;
	uint32_t st = g->status & ~(uint32_t)CW_G_SCAN;
	return st == CW_G_RUNNING || (st == CW_G_SYSCALL && m->incgo) ? g->addr : 0;
}

/* t died in crash() called from its signal handler (the innermost signal
 * frame, dieFromSignal's raise, interrupted the gsignal stack) and the
 * signal that handler took interrupted m's g0. Not for a crash() called by
 * dopanic_m/fatalthrow on g0 itself: its only signal frame interrupted g0. */
static bool handler_on_g0(struct collect *c, const struct cw_core_thread *t, const struct mview *m)
{
	const struct cw_arch *arch = c->ctx->arch;
	uint64_t pc = arch->pc(&t->regs), sp = arch->sp(&t->regs), sigpc, sigsp;
	struct cw_go_siginfo inner;
	if (!in_stack(sp, m->gs_lo, m->gs_hi) ||
	    cw_go_innermost_signal(c->u, pc, sp, m->gs_lo, m->gs_hi, &inner) < 0 ||
	    !in_stack(inner.sp, m->gs_lo, m->gs_hi))
		return false;
	return cw_go_signal_context(c->u, pc, sp, m->gs_lo, m->gs_hi, &sigpc, &sigsp, NULL) == 0 &&
	       in_stack(sigsp, m->g0_lo, m->g0_hi);
}

/* t, on m's g0, is inside function fn (one of its innermost frames). */
static bool g0_in(struct collect *c, const struct cw_core_thread *t, const struct mview *m, const char *fn)
{
	const struct cw_arch *arch = c->ctx->arch;
	uint64_t sp = arch->sp(&t->regs);
	if (!in_stack(sp, m->g0_lo, m->g0_hi))
		return false;
	struct cw_go_stack s;
	if (cw_go_unwind(c->u, arch->pc(&t->regs), sp, m->g0_lo, m->g0_hi, 0, 0, &s) < 0)
		return false;
	bool found = false;
	for (size_t k = 0; k < s.nframes && k < FATAL_FRAME_DEPTH && !found; k++)
		found = strcmp(s.frames[k].function, fn) == 0;
	cw_go_stack_clear(&s);
	return found;
}

/* Each strategy returns true when it recognises its situation, with the
 * crashed goroutine's address in *g (0: none crashed) and, when another
 * thread than the crashing one printed, that thread and m in
 * c->print_thread and c->print_m. */

/* Two m's died at once (every release; concurrent map writes, two
 * throws): the one that printed first waits forever in dopanic_m
 * (lock(&deadlock)) on its g0 while the other crashes the process, and
 * the waiting m's goroutine is the one printed first. */
static bool waiting_printer(struct collect *c, const struct crash_in *in, uint64_t *g)
{
	(void)in;
	const struct cw_arch *arch = c->ctx->arch;
	for (size_t i = 0; i < cw_core_nthreads(c->ctx->core); i++) {
		const struct cw_core_thread *t = cw_core_thread(c->ctx->core, i);
		const struct mview *m = m_by_tid(c, t->tid);
		if (t == c->crash_thread || !m || !m->curg || !in_stack(arch->sp(&t->regs), m->g0_lo, m->g0_hi))
			continue;
		struct cw_go_stack s;
		if (cw_go_unwind(c->u, arch->pc(&t->regs), arch->sp(&t->regs), m->g0_lo, m->g0_hi, 0, 0, &s) < 0)
			return false;
		bool waiting = false;
		for (size_t k = 0; k < s.nframes && k < FATAL_FRAME_DEPTH; k++)
			if (strcmp(s.frames[k].function, "runtime.dopanic_m") == 0)
				waiting = true;
		cw_go_stack_clear(&s);
		if (waiting) {
			c->print_thread = t;
			c->print_m = m;
			*g = m->curg;
			return true;
		}
	}
	return false;
}

/* The printer is another m, still in its handler for the signal it
 * printed. Either the signal was sent to the process and the m that took
 * it printed whatever it interrupted, relay or not (1.18 to 1.20: the
 * quirk CW_GO_QUIRK_SIGNAL_TAKER_PRINTS; before 1.21 also when the crash
 * thread is not known to be a relay m), or the dying thread only dumped
 * for the relayed SIGQUIT (its outermost signal frame is SIGQUIT's, and
 * SIGQUIT is not what killed the process: up to 1.21 in the normal
 * course, from 1.22 when a relay timed out), so its curg (a goroutine in
 * a system call, say) is not the crashed one. The printer's signal is the
 * core's own or, when the relay's crash() raised SIGABRT, any other
 * signal whose handler prints (a fault in cgo C code: SIGSEGV on m=3
 * while goroutine 1 is in runtime.cgocall). It printed the goroutine its
 * signal interrupted, else see g0_printed. */
static bool signal_taker(struct collect *c, const struct crash_in *in, uint64_t *g)
{
	if (!fatal_signal(in))
		return false;
	const struct cw_core_siginfo *si = in->si;
	bool relay_died = false;
	if (c->crash_m) {
		int32_t crash_handled = 0;
		(void)handler_g(c, c->crash_thread, c->crash_m, &crash_handled);
		relay_died = crash_handled == SIGQUIT_NUMBER;
	}
	if (!cw_go_ctx_quirk(c->ctx, CW_GO_QUIRK_SIGNAL_TAKER_PRINTS) && !relay_died)
		return false;
	const struct cw_core_thread *pt = NULL, *t;
	const struct mview *pm = NULL, *m;
	uint64_t pg = 0;
	int32_t psig = 0;
	size_t i = 0;
	while ((t = next_in_handler(c, &i, &m)) != NULL) {
		int32_t handled = 0;
		uint64_t hg = handler_g(c, t, m, &handled);
		bool exact = handled == si->signo;
		if (!exact && !(relay_died && printing_signal(handled)))
			continue;
		/* the core's own signal first, else the first such m */
		if (!pt || (exact && psig != si->signo)) {
			pt = t;
			pm = m;
			pg = hg;
			psig = handled;
		}
	}
	if (!pt)
		return false;
	c->print_thread = pt;
	c->print_m = pm;
	*g = pg ? pg : g0_printed(c, pm);
	return true;
}

/* The crashing thread printed from its handler and its signal interrupted
 * g0 (1.22+, where the printer crashes itself, or a program with a single
 * m): the crashed goroutine is m's curg only when g0_printed says so. */
static bool handler_interrupted_g0(struct collect *c, const struct crash_in *in, uint64_t *g)
{
	if (!in->g || !c->crash_m || in->g != c->crash_m->curg ||
	    !handler_on_g0(c, c->crash_thread, c->crash_m))
		return false;
	*g = g0_printed(c, c->crash_m);
	return true;
}

/* The common case of every release: the crashing thread printed, and
 * crashed its m's curg or the goroutine its signal interrupted. Also
 * final when that is none and the core's signal is no fatal one sent to
 * the process (no NT_SIGINFO, or the relayed SIGQUIT): no goroutine
 * crashed. */
static bool crashing_thread(struct collect *c, const struct crash_in *in, uint64_t *g)
{
	(void)c;
	if (!in->g && fatal_signal(in))
		return false;
	*g = in->g;
	return true;
}

/* Nothing on the crashing thread (every release): the fatal signal was
 * sent to the process (kill(2), the runtime's raiseproc) and the kernel
 * killed whichever thread took it; the runtime printed from the thread
 * whose handler is still running for that signal, or for a fault. */
static bool process_signal_taker(struct collect *c, const struct crash_in *in, uint64_t *g)
{
	if (!fatal_signal(in))
		return false;
	const struct cw_core_thread *t;
	const struct mview *m;
	size_t i = 0;
	while ((t = next_in_handler(c, &i, &m)) != NULL) {
		int32_t signo;
		uint64_t hg = handler_g(c, t, m, &signo);
		/* a fault whose handler was still running: in cgo C code (on the
		 * system stack, no goroutine's) it belongs to the m's curg */
		bool fault = signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL;
		if (!hg && fault)
			hg = m->curg;
		if (hg && (signo == in->si->signo || fault)) {
			c->print_thread = t;
			c->print_m = m;
			*g = hg;
			return true;
		}
	}
	return false;
}

/* A thread the runtime did not create (cgo: a pthread of C code) took
 * the signal that killed the process (every release): sigtrampgo found no
 * g, badsignal borrowed an extra m (needm, its g brought from dead to
 * syscall), nothing wanted the signal (sigsend) and raisebadsignal raised
 * it again with the default action. When that signal was the crash
 * relay's SIGQUIT, the printer is the m still in its handler for a signal
 * that prints, and it printed the goroutine its signal interrupted, else
 * see g0_printed; when it was the first signal (a SIGABRT sent to the
 * process or to that thread), nothing printed and nothing crashed. The
 * borrowed g was dead when the runtime printed (tracebackothers skips
 * it), if it printed at all. */
static bool foreign_thread(struct collect *c, const struct crash_in *in, uint64_t *g)
{
	(void)in;
	if (!c->crash_m || !g0_in(c, c->crash_thread, c->crash_m, "runtime.badsignal"))
		return false;
	c->unprinted_g = c->crash_m->curg;
	const struct cw_core_thread *t;
	const struct mview *m;
	size_t i = 0;
	*g = 0;
	while ((t = next_in_handler(c, &i, &m)) != NULL) {
		int32_t handled = 0;
		uint64_t hg = handler_g(c, t, m, &handled);
		if (!printing_signal(handled))
			continue;
		c->print_thread = t;
		c->print_m = m;
		*g = hg ? hg : g0_printed(c, m);
		break;
	}
	return true;
}

/* In this order: a situation that a later strategy would misread comes
 * first (a waiting printer or a signal taker leaves the crashing thread
 * with a goroutine that did not crash). */
static bool (*const strategies[])(struct collect *c, const struct crash_in *in, uint64_t *g) = {
	waiting_printer,
	foreign_thread,
	signal_taker,
	handler_interrupted_g0,
	crashing_thread,
	process_signal_taker,
};

uint64_t cw_go_crashed_g(struct collect *c)
{
	const struct cw_core_siginfo *si = cw_core_siginfo(c->ctx->core);
	c->print_thread = c->crash_thread;
	c->print_m = c->crash_m;
	if (!c->crash_thread)
		return 0;
	struct crash_in in = { .si = si && si->present ? si : NULL };
	int32_t signo;
	in.g = thread_g(c, c->crash_thread, c->crash_m, &signo);
	for (size_t i = 0; i < CW_ARRAY_SIZE(strategies); i++) {
		uint64_t g = 0;
		if (strategies[i](c, &in, &g))
			return g;
	}
	return 0;
}
