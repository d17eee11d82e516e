/* Every goroutine and the Go view of every thread, read from the runtime's
 * own structures in the core (allgs, allm, g, m), printed the way
 * runtime.tracebackothers and goroutineheader would (see go_ctx.h). */
#include "analyzer/go_runtime_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/go_labels.h"
#include "analyzer/go_layout.h"
#include "common/cleanup.h"

CW_DEFINE_CLEANUP(struct cw_go_unwinder *, cw_go_unwinder_free)

#define MAX_GOROUTINES (4u * 1024 * 1024)
#define MAX_MS 100000
#define MAX_STRUCT 8192
#define PTRS_PER_READ 4096

static uint64_t get_field(const uint8_t *buf, size_t len, struct cw_go_field f)
{
	if (!cw_go_has(f) || (size_t)f.off + (size_t)f.size > len)
		return 0;
	const uint8_t *p = buf + f.off;
	switch (f.size) {
	case 1: return p[0];
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	case 8: { uint64_t v; memcpy(&v, p, 8); return v; }
	default: return 0;
	}
}

static int read_struct(struct cw_mem *mem, uint64_t addr, struct cw_go_field sizeof_field, uint8_t *buf, size_t *len)
{
	if (!cw_go_has(sizeof_field) || sizeof_field.size <= 0 || sizeof_field.size > MAX_STRUCT)
		return -ENOTSUP;
	*len = (size_t)sizeof_field.size;
	return cw_mem_read(mem, addr, buf, *len);
}

static int read_g(struct collect *c, uint64_t addr, struct gview *g)
{
	const struct cw_go_layout *l = c->ctx->layout;
	uint8_t buf[MAX_STRUCT];
	size_t len;
	int r = read_struct(c->ctx->mem, addr, l->g_sizeof, buf, &len);
	if (r < 0)
		return r;
	*g = (struct gview){
		.addr = addr,
		.goid = get_field(buf, len, l->g_goid),
		.parent_goid = get_field(buf, len, l->g_parent_goid),
		.status = (uint32_t)get_field(buf, len, l->g_atomicstatus),
		.waitreason = (uint8_t)get_field(buf, len, l->g_waitreason),
		.waitsince = (int64_t)get_field(buf, len, l->g_waitsince),
		.m = get_field(buf, len, l->g_m),
		.lockedm = get_field(buf, len, l->g_lockedm),
		.sched_pc = get_field(buf, len, l->g_sched_pc),
		.sched_sp = get_field(buf, len, l->g_sched_sp),
		.syscallpc = get_field(buf, len, l->g_syscallpc),
		.syscallsp = get_field(buf, len, l->g_syscallsp),
		.stack_lo = get_field(buf, len, l->g_stack_lo),
		.stack_hi = get_field(buf, len, l->g_stack_hi),
		.gopc = get_field(buf, len, l->g_gopc),
		.startpc = get_field(buf, len, l->g_startpc),
		.labels = get_field(buf, len, l->g_labels),
	};
	return 0;
}

static int g_stack(struct collect *c, uint64_t gaddr, uint64_t *lo, uint64_t *hi)
{
	uint8_t buf[16];
	if (gaddr == 0 || cw_mem_read(c->ctx->mem, gaddr, buf, sizeof(buf)) < 0)
		return -EFAULT;
	memcpy(lo, buf, 8);
	memcpy(hi, buf + 8, 8);
	return *lo < *hi ? 0 : -EINVAL;
}

static const struct cw_core_thread *thread_by_tid(const struct cw_core *core, uint64_t tid)
{
	for (size_t i = 0; i < cw_core_nthreads(core); i++)
		if ((uint64_t)cw_core_thread(core, i)->tid == tid)
			return cw_core_thread(core, i);
	return NULL;
}

static int read_ms(struct collect *c)
{
	const struct cw_go_layout *l = c->ctx->layout;
	uint64_t m;
	if (!c->globals.allm || cw_mem_u64(c->ctx->mem, c->globals.allm, &m) < 0)
		return 0;
	for (size_t i = 0; m && i < MAX_MS; i++) {
		uint8_t buf[MAX_STRUCT];
		size_t len;
		if (read_struct(c->ctx->mem, m, l->m_sizeof, buf, &len) < 0)
			break;
		struct mview *ms = realloc(c->ms, (c->nms + 1) * sizeof(*ms));
		if (!ms)
			return -ENOMEM;
		c->ms = ms;
		struct mview *v = &c->ms[c->nms++];
		*v = (struct mview){
			.addr = m,
			.procid = get_field(buf, len, l->m_procid),
			.id = get_field(buf, len, l->m_id),
			.curg = get_field(buf, len, l->m_curg),
			.g0 = get_field(buf, len, l->m_g0),
			.gsignal = get_field(buf, len, l->m_gsignal),
			.vdso_sp = get_field(buf, len, l->m_vdso_sp),
			.vdso_pc = get_field(buf, len, l->m_vdso_pc),
			.dying = get_field(buf, len, l->m_dying),
			.incgo = get_field(buf, len, l->m_incgo) != 0,
		};
		if (g_stack(c, v->g0, &v->g0_lo, &v->g0_hi) < 0)
			v->g0_lo = v->g0_hi = 0;
		if (g_stack(c, v->gsignal, &v->gs_lo, &v->gs_hi) < 0)
			v->gs_lo = v->gs_hi = 0;
		v->thread = thread_by_tid(c->ctx->core, v->procid);
		uint64_t next = get_field(buf, len, l->m_alllink);
		if (next == m)
			break;
		m = next;
	}
	return 0;
}

static const struct mview *m_by_addr(const struct collect *c, uint64_t addr)
{
	for (size_t i = 0; addr && i < c->nms; i++)
		if (c->ms[i].addr == addr)
			return &c->ms[i];
	return NULL;
}

static bool is_dead(const struct collect *c, uint32_t status)
{
	uint32_t st = status & ~(uint32_t)CW_G_SCAN;
	return st == CW_G_DEAD || (cw_go_ctx_quirk(c->ctx, CW_GO_QUIRK_GDEADEXTRA) && st == CW_G_DEADEXTRA);
}

static int read_gs(struct collect *c)
{
	struct cw_mem *mem = c->ctx->mem;
	uint64_t ptr, len;
	if (cw_mem_u64(mem, c->globals.allgs, &ptr) < 0 || cw_mem_u64(mem, c->globals.allgs + 8, &len) < 0)
		return -EFAULT;
	if (len > MAX_GOROUTINES) {
		cw_analysis_warn(c->a, "allgs has %llu entries; reading the first %u", (unsigned long long)len,
				 MAX_GOROUTINES);
		len = MAX_GOROUTINES;
	}
	_cleanup_free_ uint64_t *ptrs = malloc(PTRS_PER_READ * sizeof(uint64_t));
	if (!ptrs)
		return -ENOMEM;
	size_t cap = 0;
	for (uint64_t base = 0; base < len; base += PTRS_PER_READ) {
		size_t n = len - base < PTRS_PER_READ ? (size_t)(len - base) : PTRS_PER_READ;
		if (cw_mem_read(mem, ptr + base * 8, ptrs, n * 8) < 0) {
			cw_analysis_warn(c->a, "allgs[%llu...] is not in the core", (unsigned long long)base);
			break;
		}
		for (size_t i = 0; i < n; i++) {
			struct gview g;
			if (ptrs[i] == 0 || read_g(c, ptrs[i], &g) < 0 || is_dead(c, g.status))
				continue;
			if (c->ngs == cap) {
				cap = cap ? cap * 2 : 256;
				struct gview *gs = realloc(c->gs, cap * sizeof(*gs));
				if (!gs)
					return -ENOMEM;
				c->gs = gs;
			}
			c->gs[c->ngs++] = g;
		}
	}
	return 0;
}

/* The runtime's nanotime() at the crash is not stored anywhere; the newest
 * monotonic timestamps the runtime left behind bound it from below. */
static int64_t estimate_now(const struct collect *c)
{
	const struct cw_go_layout *l = c->ctx->layout;
	int64_t now = 0;
	for (size_t i = 0; i < c->ngs; i++)
		if (c->gs[i].waitsince > now)
			now = c->gs[i].waitsince;
	uint64_t v;
	if (c->globals.sched && cw_go_has(l->sched_lastpoll) &&
	    cw_mem_u64(c->ctx->mem, c->globals.sched + (uint64_t)l->sched_lastpoll.off, &v) == 0 &&
	    (int64_t)v > now)
		now = (int64_t)v;
	if (c->globals.memstats && cw_go_has(l->memstats_last_gc_nanotime) &&
	    cw_mem_u64(c->ctx->mem, c->globals.memstats + (uint64_t)l->memstats_last_gc_nanotime.off, &v) == 0 &&
	    (int64_t)v > now)
		now = (int64_t)v;
	return now;
}

/* The thread that died: the one whose current signal is the core's
 * NT_SIGINFO signal, else the first thread (the kernel writes the dumping
 * thread first). */
static const struct cw_core_thread *find_crash_thread(const struct cw_core *core)
{
	const struct cw_core_siginfo *si = cw_core_siginfo(core);
	size_t n = cw_core_nthreads(core);
	if (n == 0)
		return NULL;
	if (si && si->present)
		for (size_t i = 0; i < n; i++)
			if (cw_core_thread(core, i)->cursig == si->signo)
				return cw_core_thread(core, i);
	return cw_core_thread(core, 0);
}

static int take_stack(struct cw_goroutine *out, struct cw_go_stack *s)
{
	out->frames = s->frames;
	out->nframes = s->nframes;
	out->frames_truncated = s->truncated;
	s->frames = NULL;
	s->nframes = 0;
	if (s->error && !out->unwind_error) {
		out->unwind_error = strdup(s->error);
		if (!out->unwind_error)
			return -ENOMEM;
	}
	return 0;
}

struct start {
	uint64_t pc, sp;
	unsigned flags;
};

/* Index of the frame that follows runtime.fatalpanic/fatalthrow near the
 * top of s, or 0 when there is none. */
static size_t after_fatal_frame(const struct cw_go_stack *s)
{
	for (size_t i = 0; i + 1 < s->nframes && i < FATAL_FRAME_DEPTH; i++)
		if (!s->frames[i].inlined && (strcmp(s->frames[i].function, "runtime.fatalpanic") == 0 ||
					      strcmp(s->frames[i].function, "runtime.fatalthrow") == 0))
			return i + 1;
	return 0;
}

/* The crashing goroutine as the runtime prints it first. dopanic_m starts
 * at the caller of fatalpanic/fatalthrow (their getcallerpc/getcallersp);
 * the goroutine's stack is reached from the crashing thread's registers
 * (crash() runs on the goroutine stack from 1.21), from the signal context
 * on the gsignal stack (dieFromSignal's first raise, or a fatal signal that
 * sighandler reports with tracebacktrap), or from the g.sched systemstack
 * saved. Without a fatalpanic/fatalthrow frame, the first start that
 * unwinds is used as is. */
static int crashed_frames(struct collect *c, const struct gview *g, struct cw_goroutine *out)
{
	const struct cw_arch *arch = c->ctx->arch;
	const struct cw_core_thread *t = c->print_thread;
	const struct mview *m = c->print_m;
	struct start starts[3];
	size_t nstarts = 0;

	/* traceback1 starts a goroutine in a system call (cgo calls too) at
	 * syscallpc/syscallsp whatever it was given */
	if ((g->status & ~(uint32_t)CW_G_SCAN) == CW_G_SYSCALL && g->syscallsp) {
		struct cw_go_stack s;
		int r = cw_go_unwind(c->u, g->syscallpc, g->syscallsp, g->stack_lo, g->stack_hi,
				     CW_GO_UNWIND_SYSCALL, 0, &s);
		if (r == 0)
			r = take_stack(out, &s);
		cw_go_stack_clear(&s);
		return r;
	}
	if (t) {
		uint64_t tpc = arch->pc(&t->regs), tsp = arch->sp(&t->regs), sigpc, sigsp;
		if (in_stack(tsp, g->stack_lo, g->stack_hi))
			starts[nstarts++] = (struct start){ tpc, tsp, 0 };
		else if (m && in_stack(tsp, m->gs_lo, m->gs_hi) &&
			 cw_go_signal_context(c->u, tpc, tsp, m->gs_lo, m->gs_hi, &sigpc, &sigsp, NULL) == 0 &&
			 in_stack(sigsp, g->stack_lo, g->stack_hi))
			starts[nstarts++] = (struct start){ sigpc, sigsp, CW_GO_UNWIND_TRAP };
	}
	if (g->sched_sp)
		starts[nstarts++] = (struct start){ g->sched_pc, g->sched_sp, 0 };

	struct cw_go_stack fallback = { 0 };
	int r = 0;
	for (size_t k = 0; k < nstarts; k++) {
		struct cw_go_stack s;
		r = cw_go_unwind(c->u, starts[k].pc, starts[k].sp, g->stack_lo, g->stack_hi, starts[k].flags, 0, &s);
		if (r < 0)
			goto out;
		size_t i = after_fatal_frame(&s);
		if (i > 0) {
			uint64_t pc = s.frames[i].pc, sp = s.frames[i].sp;
			cw_go_stack_clear(&s);
			r = cw_go_unwind(c->u, pc, sp, g->stack_lo, g->stack_hi, 0, 0, &s);
			if (r == 0)
				r = take_stack(out, &s);
			cw_go_stack_clear(&s);
			goto out;
		}
		if (fallback.nframes == 0) {
			cw_go_stack_clear(&fallback);
			fallback = s;
		} else {
			cw_go_stack_clear(&s);
		}
	}
	r = take_stack(out, &fallback);
out:
	cw_go_stack_clear(&fallback);
	return r;
}

/* Any other goroutine, as traceback1 starts it: vdso, syscall or g.sched;
 * a goroutine running on another thread from that thread's registers or
 * the signal context the runtime's SIGQUIT left on its gsignal stack. */
static int goroutine_frames(struct collect *c, const struct gview *g, struct cw_goroutine *out)
{
	const struct cw_arch *arch = c->ctx->arch;
	const struct mview *m = m_by_addr(c, g->m);
	uint32_t st = g->status & ~(uint32_t)CW_G_SCAN;
	uint64_t pc = g->sched_pc, sp = g->sched_sp;
	unsigned flags = 0;

	if (m && m->vdso_sp) {
		pc = m->vdso_pc;
		sp = m->vdso_sp;
	} else if (g->syscallsp) {
		pc = g->syscallpc;
		sp = g->syscallsp;
		flags = CW_GO_UNWIND_SYSCALL;
	} else if (st == CW_G_RUNNING && m && m->curg == g->addr && m->thread) {
		uint64_t tpc = arch->pc(&m->thread->regs), tsp = arch->sp(&m->thread->regs);
		uint64_t sigpc, sigsp;
		if (in_stack(tsp, g->stack_lo, g->stack_hi)) {
			pc = tpc;
			sp = tsp;
			flags = CW_GO_UNWIND_TRAP;
		} else if (in_stack(tsp, m->gs_lo, m->gs_hi) &&
			   cw_go_signal_context(c->u, tpc, tsp, m->gs_lo, m->gs_hi, &sigpc, &sigsp, NULL) == 0 &&
			   in_stack(sigsp, g->stack_lo, g->stack_hi)) {
			pc = sigpc;
			sp = sigsp;
			flags = CW_GO_UNWIND_TRAP;
		}
	}
	struct cw_go_stack s;
	int r = cw_go_unwind(c->u, pc, sp, g->stack_lo, g->stack_hi, flags, 0, &s);
	if (r < 0)
		return r;
	r = take_stack(out, &s);
	cw_go_stack_clear(&s);
	return r;
}

/* isSystemGoroutine: started in a runtime function other than runtime.main
 * (and the finalizer/cleanup goroutines while they run user code). */
static bool is_system(struct collect *c, const struct gview *g)
{
	const char *name = cw_go_func_name_at(c->u, g->startpc);
	if (!name || strncmp(name, "runtime.", 8) != 0)
		return false;
	return strcmp(name, "runtime.main") != 0 && strcmp(name, "runtime.handleAsyncEvent") != 0;
}

/* How far above an exitsyscall0 frame's sp its spilled gp may be: the
 * frame itself and the argument spill slot its mcall caller left. */
#define EXITSYSCALL_FRAME_MAX 512

static bool is_exitsyscall_noP(const char *fn)
{
	/* exitsyscall0 up to 1.25, exitsyscallNoP from 1.26 */
	return strcmp(fn, "runtime.exitsyscall0") == 0 || strcmp(fn, "runtime.exitsyscallNoP") == 0;
}

/* Whether the frame [lo, hi) on m's g0 stack holds gaddr. */
static bool frame_holds(struct collect *c, uint64_t lo, uint64_t hi, uint64_t gaddr)
{
	uint8_t buf[EXITSYSCALL_FRAME_MAX];
	if (hi <= lo || hi - lo > sizeof(buf) || cw_mem_read(c->ctx->mem, lo, buf, (size_t)(hi - lo)) < 0)
		return false;
	for (size_t off = 0; off + 8 <= (size_t)(hi - lo); off += 8) {
		uint64_t v;
		memcpy(&v, buf + off, 8);
		if (v == gaddr)
			return true;
	}
	return false;
}

/* The m whose thread is parked in stopm under exitsyscall0(g) (the m that
 * ran g's system call, left it with no P to take and handed g to the run
 * queue), or NULL. The g is found in that frame on the m's g0 stack: it is
 * live there across stopm, which returns to execute(g). */
static const struct mview *exitsyscall_m(struct collect *c, const struct gview *g)
{
	const struct cw_arch *arch = c->ctx->arch;
	for (size_t i = 0; i < c->nms; i++) {
		const struct mview *m = &c->ms[i];
		if (m->curg || !m->thread)
			continue;
		uint64_t pc = arch->pc(&m->thread->regs), sp = arch->sp(&m->thread->regs);
		if (!in_stack(sp, m->g0_lo, m->g0_hi))
			continue;
		struct cw_go_stack s;
		if (cw_go_unwind(c->u, pc, sp, m->g0_lo, m->g0_hi, 0, 0, &s) < 0)
			continue;
		bool found = false;
		for (size_t k = 0; k < s.nframes && !found; k++) {
			if (s.frames[k].inlined || !is_exitsyscall_noP(s.frames[k].function))
				continue;
			uint64_t lo = s.frames[k].sp, hi = m->g0_hi;
			if (hi - lo > EXITSYSCALL_FRAME_MAX)
				hi = lo + EXITSYSCALL_FRAME_MAX;
			found = frame_holds(c, lo, hi, g->addr);
			break;
		}
		cw_go_stack_clear(&s);
		if (found)
			return m;
	}
	return NULL;
}

/* The status the runtime printed when the core holds a later one. Only one
 * change is provable from the core: os/signal's goroutine, asleep in a
 * system call (notetsleepg in signal_recv) when the runtime printed it, is
 * woken by the SIGQUIT that the crash relay sends after the goroutine dump
 * when the program asked for SIGQUIT (signal.Notify: caddy). It leaves the
 * system call at once, finds no P in the frozen world and waits runnable on
 * the run queue: syscallsp still set (exitsyscall clears it only when the
 * goroutine runs again), g.m cleared, and the m that ran the system call
 * parked in stopm under exitsyscall0(g). A woken signal goroutine has not
 * run only when the world froze before it could: the printed status was
 * "syscall" on that m. Returns that m, else NULL. Goroutines that the
 * netpoller readies during the crash (IO wait printed, runnable in the
 * core) are not changed: the core cannot tell them from goroutines readied
 * before the runtime printed them "runnable" (docs/go-runtime.md). */
static const struct mview *woken_signal_goroutine(struct collect *c, const struct gview *g,
						  const struct cw_goroutine *out)
{
	if ((g->status & ~(uint32_t)CW_G_SCAN) != CW_G_RUNNABLE || (g->status & CW_G_SCAN) || !g->syscallsp ||
	    g->m || out->nframes < 2 || out->frames[0].inlined ||
	    strcmp(out->frames[0].function, "runtime.notetsleepg") != 0 ||
	    strcmp(out->frames[1].function, "os/signal.signal_recv") != 0)
		return NULL;
	return exitsyscall_m(c, g);
}

static int fill_goroutine(struct collect *c, const struct gview *g, bool crashed, struct cw_goroutine *out)
{
	char status[96];
	int64_t minutes = 0;
	int r = cw_go_format_status(c->strings, cw_go_ctx_quirk(c->ctx, CW_GO_QUIRK_GLEAKED), g->status, g->waitreason, g->waitsince, c->now,
				    status, sizeof(status), &minutes);
	if (r < 0)
		return r;
	out->id = (int64_t)g->goid;
	out->g_addr = g->addr;
	out->atomicstatus = g->status;
	out->status = strdup(status);
	if (!out->status)
		return -ENOMEM;
	out->wait_minutes = minutes;
	out->locked_to_thread = g->lockedm != 0;
	const struct mview *m = m_by_addr(c, g->m);
	if (m && m->curg == g->addr && m->thread)
		out->thread = m->thread->tid;
	out->system = is_system(c, g);
	r = cw_go_read_labels(c->ctx, g->labels, &out->labels, &out->nlabels);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		cw_analysis_warn(c->a, "goroutine %llu: labels unreadable: %s", (unsigned long long)g->goid, strerror(-r));
	/* after "panic during panic" the crashing goroutine is not printed by
	 * dopanic_m from fatalpanic's caller but by tracebackothers, from
	 * g.sched like any other (runtime.systemstack_switch first) */
	bool nested = c->print_m && c->print_m->dying == 2;
	r = crashed && !nested ? crashed_frames(c, g, out) : goroutine_frames(c, g, out);
	if (r < 0)
		return r;
	const struct mview *sysm = crashed ? NULL : woken_signal_goroutine(c, g, out);
	if (sysm) {
		char printed[96];
		r = cw_go_format_status(c->strings, cw_go_ctx_quirk(c->ctx, CW_GO_QUIRK_GLEAKED), CW_G_SYSCALL, 0, 0, c->now, printed, sizeof(printed), NULL);
		if (r < 0)
			return r;
		out->status_at_core = out->status;
		out->status = strdup(printed);
		if (!out->status)
			return -ENOMEM;
		if (sysm->thread)
			out->thread = sysm->thread->tid;
	}
	/* printcreatedby: not for goroutine 1 */
	if (g->gopc && g->goid != 1) {
		r = cw_go_describe_pc(c->u, g->gopc, false, &out->created_by);
		if (r == -ENOMEM)
			return r;
		if (r == 0) {
			out->has_created_by = true;
			out->created_by_goroutine = (int64_t)g->parent_goid;
		}
	}
	return 0;
}

static int fill_goroutines(struct collect *c, uint64_t crashed_g)
{
	struct cw_analysis *a = c->a;
	a->goroutines = calloc(c->ngs ? c->ngs : 1, sizeof(*a->goroutines));
	if (!a->goroutines)
		return -ENOMEM;
	/* the crashing goroutine first, then allgs order, like the runtime */
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->ngs; i++) {
			const struct gview *g = &c->gs[i];
			bool crashed = crashed_g && g->addr == crashed_g;
			if ((pass == 0) != crashed || g->addr == c->unprinted_g)
				continue;
			int r = fill_goroutine(c, g, crashed, &a->goroutines[a->ngoroutines]);
			a->ngoroutines++;
			if (r < 0)
				return r;
			if (crashed)
				a->crashed_goroutine = (int64_t)g->goid;
		}
	}
	return 0;
}

static int thread_frames(struct collect *c, uint64_t pc, uint64_t sp, uint64_t lo, uint64_t hi, unsigned flags,
			 struct cw_thread *out)
{
	struct cw_go_stack s;
	int r = cw_go_unwind(c->u, pc, sp, lo, hi, flags, 0, &s);
	if (r < 0)
		return r;
	out->frames = s.frames;
	out->nframes = s.nframes;
	s.frames = NULL;
	s.nframes = 0;
	return 0;
}

/* Which stack of m (or of its curg) sp is on: the kind, and the bounds of
 * a system stack (lo == hi for a goroutine stack or none). */
static const char *stack_of(const struct mview *m, const struct gview *curg, uint64_t sp, uint64_t *lo, uint64_t *hi)
{
	*lo = *hi = 0;
	if (curg && in_stack(sp, curg->stack_lo, curg->stack_hi))
		return "goroutine";
	if (in_stack(sp, m->gs_lo, m->gs_hi)) {
		*lo = m->gs_lo;
		*hi = m->gs_hi;
		return "gsignal";
	}
	if (in_stack(sp, m->g0_lo, m->g0_hi)) {
		*lo = m->g0_lo;
		*hi = m->g0_hi;
		return "g0";
	}
	return NULL;
}

/* One thread: its m, curg, and the system stack it is on. A thread stopped
 * in the runtime's signal handler (the crash relay, SIGQUIT dumps) is shown
 * at the context the signal interrupted, as the runtime's own dump of
 * that m prints it. */
static int fill_thread(struct collect *c, const struct cw_core_thread *t, struct cw_thread *out)
{
	const struct cw_arch *arch = c->ctx->arch;
	out->tid = t->tid;
	out->crashed = t == c->crash_thread;
	const struct mview *m = m_by_tid(c, t->tid);
	const char *kind = NULL;
	uint64_t pc = arch->pc(&t->regs), sp = arch->sp(&t->regs), lo = 0, hi = 0;
	unsigned flags = 0;
	if (m) {
		struct gview g;
		bool have_g = m->curg && read_g(c, m->curg, &g) == 0;
		if (have_g && m->curg != c->unprinted_g)
			out->goroutine = (int64_t)g.goid;
		kind = stack_of(m, have_g ? &g : NULL, sp, &lo, &hi);
		uint64_t sigpc, sigsp, slo, shi;
		const char *skind;
		if (kind && strcmp(kind, "gsignal") == 0 &&
		    cw_go_signal_context(c->u, pc, sp, lo, hi, &sigpc, &sigsp, NULL) == 0 &&
		    (skind = stack_of(m, have_g ? &g : NULL, sigsp, &slo, &shi)) != NULL) {
			kind = skind;
			pc = sigpc;
			sp = sigsp;
			lo = slo;
			hi = shi;
			flags = CW_GO_UNWIND_TRAP;
		}
	}
	out->stack_kind = strdup(kind ? kind : "native");
	if (!out->stack_kind)
		return -ENOMEM;
	if (lo < hi)
		return thread_frames(c, pc, sp, lo, hi, flags, out);
	return 0;
}

static int fill_threads(struct collect *c)
{
	struct cw_analysis *a = c->a;
	size_t n = cw_core_nthreads(c->ctx->core);
	if (n == 0)
		return 0;
	a->threads = calloc(n, sizeof(*a->threads));
	if (!a->threads)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int r = fill_thread(c, cw_core_thread(c->ctx->core, i), &a->threads[a->nthreads++]);
		if (r < 0)
			return r;
	}
	return 0;
}

static void collect_free(struct collect *c)
{
	/* the frames handed out point into the unwinder's strings: they live
	 * as long as the analysis */
	if (c->u && c->a && !c->a->strings)
		cw_go_unwinder_take_strings(c->u, &c->a->strings, &c->a->strings_free);
	free(c->ms);
	free(c->gs);
	cw_go_unwinder_free(c->u);
}

int cw_go_collect_goroutines(struct cw_go_ctx *ctx, struct cw_analysis *a)
{
	if (!ctx || !a || !ctx->mem || !ctx->pcln || !ctx->arch)
		return -EINVAL;
	if (!ctx->layout) {
		bool approx = false;
		ctx->layout = cw_go_layout_for_version(&ctx->version, &approx);
		if (!ctx->layout)
			return -ENOTSUP;
		if (approx)
			cw_analysis_warn(a, "no runtime layout for go1.%d: using %s's", ctx->go_minor,
					 ctx->layout->probe_version);
	}
	CW_CLEANUP(collect_free) struct collect c = {
		.ctx = ctx,
		.a = a,
		.strings = cw_go_strings_for(ctx->go_minor),
	};
	if (!c.strings)
		return -ENOTSUP;
	int r = cw_go_unwinder_new(ctx, &c.u);
	if (r < 0)
		return r;
	r = cw_go_find_globals(ctx, &c.globals);
	if (r < 0)
		return r;
	r = read_ms(&c);
	if (r < 0)
		return r;
	r = read_gs(&c);
	if (r < 0)
		return r;
	c.now = estimate_now(&c);
	a->traceback_labels = cw_go_traceback_labels(ctx);
	c.crash_thread = find_crash_thread(ctx->core);
	if (c.crash_thread) {
		a->crashed_tid = c.crash_thread->tid;
		c.crash_m = m_by_tid(&c, c.crash_thread->tid);
	}
	r = fill_goroutines(&c, cw_go_crashed_g(&c));
	if (r < 0)
		return r;
	if (a->nthreads == 0)
		return fill_threads(&c);
	return 0;
}
