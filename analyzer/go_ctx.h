/* Everything the Go-specific parts of the analyzer share while reading
 * one core: memory, executable, pclntab, arch, and the runtime layout of
 * the Go release that built the binary. */
#ifndef CW_ANALYZER_GO_CTX_H
#define CW_ANALYZER_GO_CTX_H

#include <stdint.h>

#include "analyzer/arch.h"
#include "analyzer/core_file.h"
#include "analyzer/exe.h"
#include "analyzer/go_pclntab.h"
#include "analyzer/go_quirks.h"
#include "analyzer/go_version.h"
#include "analyzer/memory.h"
#include "analyzer/model.h"

struct cw_go_layout;   /* analyzer/go_layout.h */

struct cw_go_ctx {
	struct cw_core *core;
	const struct cw_exe *exe;
	struct cw_mem *mem;
	struct cw_pcln *pcln;
	const struct cw_arch *arch;
	uint64_t load_bias;                  /* runtime pc = link pc + load_bias */
	int go_minor;                        /* 18 .. 27: version.minor */
	struct cw_go_version version;        /* the exact release from the build info ("go1.22.3") */
	const struct cw_go_layout *layout;   /* struct offsets for this release */
};

/* The quirk (go_quirks.h) holds for the binary's release. */
static inline bool cw_go_ctx_quirk(const struct cw_go_ctx *ctx, enum cw_go_quirk q)
{
	struct cw_go_version v = cw_go_version_or_minor(&ctx->version, ctx->go_minor);
	return cw_go_quirk(&v, q);
}

/* go_runtime.c / go_unwind.c: every goroutine (status, wait reason and
 * minutes, locked, thread, frames, created-by), the Go view of every thread
 * (g0/gsignal system stacks), crashed goroutine and thread. */
int cw_go_collect_goroutines(struct cw_go_ctx *ctx, struct cw_analysis *a);

/* go_panic.c: the panic chain of the crashing goroutine (values decoded
 * like printpanicval), the fatal error text, and the fault (sigpc/sigcode0/
 * sigcode1 of the faulting g). Runs after cw_go_collect_goroutines. */
int cw_go_collect_panics(struct cw_go_ctx *ctx, struct cw_analysis *a);

#endif
