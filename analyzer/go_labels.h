/* go_labels.c: a goroutine's pprof labels (g.labels) and whether
 * goroutineheader prints them (runtime.debug.tracebacklabels), Go 1.26+. */
#ifndef CW_ANALYZER_GO_LABELS_H
#define CW_ANALYZER_GO_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/go_ctx.h"
#include "analyzer/model.h"

/* The labels of the set at address set (g.labels; 0: none), in the
 * runtime's order; *out is NULL when there are none. Nothing for releases
 * that do not print labels. -EFAULT when unreadable, -E2BIG beyond the
 * bounds (1024 labels, 64 KiB a string). */
int cw_go_read_labels(const struct cw_go_ctx *ctx, uint64_t set, struct cw_label **out, size_t *n);

/* The runtime address of runtime.debug.tracebacklabels, found in
 * runtime.goroutineheader's code: -ENOENT when absent, -EBADMSG when the
 * code does not give one answer. */
int cw_go_traceback_labels_addr(const struct cw_go_ctx *ctx, uint64_t *addr);

/* Whether the crashed process printed labels: read from the core. */
enum cw_labels_printed cw_go_traceback_labels(const struct cw_go_ctx *ctx);

#endif
