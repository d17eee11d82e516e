/* Internals of the goroutine collection shared by go_runtime.c (reading
 * allgs/allm, filling goroutines and threads) and go_crashed.c (which
 * goroutine crashed, and which thread printed it). The entry point is
 * cw_go_collect_goroutines in analyzer/go_ctx.h. */
#ifndef CW_ANALYZER_GO_RUNTIME_INTERNAL_H
#define CW_ANALYZER_GO_RUNTIME_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/go_ctx.h"
#include "analyzer/go_runtime.h"
#include "analyzer/go_unwind.h"

/* how far into a crashed goroutine's stack fatalpanic/fatalthrow may be */
#define FATAL_FRAME_DEPTH 16

struct gview {
	uint64_t addr, goid, parent_goid;
	uint32_t status;
	uint8_t waitreason;
	int64_t waitsince;
	uint64_t m, lockedm;
	uint64_t sched_pc, sched_sp, syscallpc, syscallsp;
	uint64_t stack_lo, stack_hi;
	uint64_t gopc, startpc;
	uint64_t labels;          /* g.labels: the pprof label set, 0 when none */
};

struct mview {
	uint64_t addr, procid, id, curg, g0, gsignal, vdso_sp, vdso_pc;
	uint64_t g0_lo, g0_hi, gs_lo, gs_hi;
	uint64_t dying;                        /* m.dying: 2 after "panic during panic" */
	bool incgo;                            /* m.incgo: in a cgo call (C code) */
	const struct cw_core_thread *thread;   /* the core's thread with tid == procid */
};

struct collect {
	struct cw_go_ctx *ctx;
	struct cw_analysis *a;
	struct cw_go_unwinder *u;
	const struct cw_go_strings *strings;
	struct cw_go_globals globals;
	struct mview *ms;
	size_t nms;
	struct gview *gs;     /* live goroutines, allgs order */
	size_t ngs;
	int64_t now;
	const struct cw_core_thread *crash_thread;   /* the thread the kernel dumped for */
	const struct mview *crash_m;
	const struct cw_core_thread *print_thread;   /* the thread whose m printed the traceback */
	const struct mview *print_m;
	uint64_t unprinted_g;   /* a live g the runtime had not yet brought to life when it printed, 0: none */
};

static inline bool in_stack(uint64_t sp, uint64_t lo, uint64_t hi)
{
	return lo < hi && sp >= lo && sp < hi;
}

static inline const struct mview *m_by_tid(const struct collect *c, int32_t tid)
{
	for (size_t i = 0; i < c->nms; i++)
		if (c->ms[i].procid == (uint64_t)(int64_t)tid)
			return &c->ms[i];
	return NULL;
}

/* go_crashed.c: the address of the goroutine the runtime prints first (0
 * when none crashed), after c->ms, c->gs, c->crash_thread and c->crash_m
 * are known. Sets c->print_thread and c->print_m to the thread and m that
 * printed the traceback (the crashing ones unless another printed it). */
uint64_t cw_go_crashed_g(struct collect *c);

#endif
