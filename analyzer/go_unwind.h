/* pclntab-based unwinding of one Go stack, the way the runtime's own
 * traceback (unwinder in traceback.go, gentraceback before 1.21) walks it:
 * frame size from pcsp, return address at fp-8 (amd64), stop at TOPFRAME
 * and SPWRITE functions, no -1 after sigpanic/asyncPreempt/debugCallV2,
 * inlined frames expanded, and the runtime's frame limits. Every read goes
 * through cw_mem and stays inside the stack's bounds. */
#ifndef CW_ANALYZER_GO_UNWIND_H
#define CW_ANALYZER_GO_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/go_ctx.h"
#include "analyzer/model.h"

/* Physical frames examined on one stack at most (a hostile core cannot make
 * the walk longer); the printed frames are then limited like the runtime. */
#define CW_GO_MAX_PHYS_FRAMES 1000000

enum cw_go_unwind_flags {
	CW_GO_UNWIND_TRAP = 1,        /* the first pc is a trapped pc (signal context): no pc-1 */
	CW_GO_UNWIND_SYSCALL = 2,     /* started from g.syscallpc/syscallsp: the first frame may write SP */
};

struct cw_go_unwinder;

/* Resolves frames with a cache (pc -> logical frames) shared by every stack
 * of one analysis. 0 or -ENOMEM. */
int cw_go_unwinder_new(struct cw_go_ctx *ctx, struct cw_go_unwinder **out);
void cw_go_unwinder_free(struct cw_go_unwinder *u);
/* Frames point into storage the unwinder owns (cw_frame.shared): hand it
 * to whoever keeps the frames (cw_analysis.strings) before freeing u. */
void cw_go_unwinder_take_strings(struct cw_go_unwinder *u, void **strings, void (**strings_free)(void *));

struct cw_go_stack {
	struct cw_frame *frames;     /* innermost first; pcs and sps are runtime addresses */
	size_t nframes;
	bool truncated;              /* the runtime elides frames here */
	const char *error;           /* static text: why the walk stopped early, or NULL */
};

/* Unwinds the stack [lo, hi) from (pc, sp) (runtime addresses). max_frames:
 * 0 for the runtime's own limit (1.18-1.20: 100 physical frames; 1.21+: the
 * first 50 and the last 50 logical frames), else at most that many logical
 * frames. 0 (possibly with out->error set) or -ENOMEM. */
int cw_go_unwind(struct cw_go_unwinder *u, uint64_t pc, uint64_t sp, uint64_t lo, uint64_t hi,
		 unsigned flags, size_t max_frames, struct cw_go_stack *out);
void cw_go_stack_clear(struct cw_go_stack *s);

/* Describes one pc as a frame (function, file:line of pc-1 unless exact):
 * for created_by. 0, -ENOENT (no function) or -ENOMEM. */
int cw_go_describe_pc(struct cw_go_unwinder *u, uint64_t pc, bool exact, struct cw_frame *out);

/* The context a signal interrupted, when the stack [lo, hi) walked from
 * (pc, sp) ends in runtime.sigtramp (the kernel's signal frame is right
 * above it): the interrupted pc and sp, and the signal number from the
 * frame's siginfo (signo may be NULL). Nested signal frames on the same
 * stack are followed to the outermost one. 0, -ENOENT or -ENOMEM. */
int cw_go_signal_context(struct cw_go_unwinder *u, uint64_t pc, uint64_t sp, uint64_t lo, uint64_t hi,
			 uint64_t *sigpc, uint64_t *sigsp, int32_t *signo);

/* The signal frame nearest to (pc, sp) on [lo, hi), with its siginfo:
 * what a signal handler still running there was called for (e.g. a fault in
 * cgo C code, which the runtime reports as "PC=... sigcode=... addr=...").
 * 0 or -ENOENT. */
struct cw_go_siginfo {
	int32_t signo, code;
	uint64_t addr;      /* si_addr */
	uint64_t pc, sp;    /* the interrupted context */
};
int cw_go_innermost_signal(struct cw_go_unwinder *u, uint64_t pc, uint64_t sp, uint64_t lo, uint64_t hi,
			   struct cw_go_siginfo *out);

/* Name of the function containing runtime pc (raw symbol name pointing
 * into the pclntab), NULL when none. */
const char *cw_go_func_name_at(struct cw_go_unwinder *u, uint64_t pc);

#endif
