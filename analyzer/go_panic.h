/* go_panic.c: the panic chain, then (through go_fatal.h and go_fault.h)
 * the fatal error and the fault. The entry point is cw_go_collect_panics
 * in analyzer/go_ctx.h; the value printing it uses is go_panic_value.h. */
#ifndef CW_ANALYZER_GO_PANIC_H
#define CW_ANALYZER_GO_PANIC_H

#include "analyzer/go_ctx.h"
#include "analyzer/go_panic_value.h"
#include "analyzer/go_types.h"

/* The module's type descriptor range for t (moduledata.types, etypes). */
int cw_go_types_init(struct cw_go_ctx *ctx, struct cw_go_types *t);

#endif
