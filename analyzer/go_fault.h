/* go_fault.c: the fault ("[signal ...]") of the crash. Used by the panic
 * recovery (go_panic.c, cw_go_collect_panics). */
#ifndef CW_ANALYZER_GO_FAULT_H
#define CW_ANALYZER_GO_FAULT_H

#include "analyzer/go_ctx.h"

/* Fills a->fault from the crashed goroutine's sig/sigcode0/sigcode1/sigpc
 * (the runtime's "[signal ...]" line), else from a synchronous NT_SIGINFO
 * and the crashed thread's registers. 0 also when there was no fault. */
int cw_go_collect_fault(struct cw_go_ctx *ctx, struct cw_analysis *a);

#endif
