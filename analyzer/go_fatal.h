/* go_fatal.c: the fatal error of a throw, and the m of the crashed thread.
 * Used by the panic recovery (go_panic.c, cw_go_collect_panics). */
#ifndef CW_ANALYZER_GO_FATAL_H
#define CW_ANALYZER_GO_FATAL_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer/go_ctx.h"

/* The text after "fatal error: " recovered from the runtime.throw /
 * runtime.fatal frame (the string captured by its systemstack closure) or
 * from its call site (the string loaded into the argument registers
 * before CALL). malloc'd into *out; *via_fatal tells runtime.fatal from
 * runtime.throw. -ENOENT when no throw is on a stack, -EBADMSG when one
 * is but its message could not be recovered. */
int cw_go_fatal_message(struct cw_go_ctx *ctx, const struct cw_analysis *a, char **out, bool *via_fatal);

/* [lo, hi) of the g0 (or gsignal) stack of the M running on the crashed
 * thread: 0, -ENOENT, -EFAULT. */
int cw_go_crashed_m_stack(struct cw_go_ctx *ctx, const struct cw_analysis *a, bool gsignal,
			  uint64_t *lo, uint64_t *hi);
/* The runtime.m running on the crashed thread: 0, -ENOENT, -EFAULT. */
int cw_go_crashed_m(struct cw_go_ctx *ctx, const struct cw_analysis *a, uint64_t *m);
/* True when an m has m.dying == 2: startpanic_m ran on an m that was
 * already dying and printed "panic during panic". Not necessarily the
 * crashed thread's m: up to 1.21 the last m of the SIGQUIT relay crashes. */
bool cw_go_panic_during_panic(struct cw_go_ctx *ctx);

#endif
