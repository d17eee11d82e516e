/* A goroutine's pprof labels and whether the runtime prints them.
 *
 * g.labels points at the label set runtime/pprof installed (Go 1.26+:
 * internal/runtime/pprof/label.Set, whose first word is the slice
 * List []Label{Key, Value string}, sorted by key). goroutineheader prints
 * them when runtime.debug.tracebacklabels is 1 (GODEBUG; the default of a
 * module whose go line is 1.27 or newer). The flag is read from the core:
 * its address is the one 4-byte RIP-relative load in
 * runtime.goroutineheader that the inline tree places inside
 * internal/runtime/atomic.(*Int32).Load, so stripped binaries need no
 * symbol and no layout of the anonymous runtime.debug struct. */
#include "analyzer/go_labels.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/disasm.h"
#include "common/cleanup.h"

CW_DEFINE_CLEANUP(struct cw_disasm *, cw_disasm_free)

#define MAX_HEADER_BYTES (64 * 1024)   /* goroutineheader is about 2 KiB */
#define INLINE_DEPTH 8
#define ATOMIC_LOAD "internal/runtime/atomic.(*Int32).Load"

/* Every label the runtime would print is kept up to these bounds. */
#define MAX_LABELS 1024
#define MAX_LABEL_BYTES (64 * 1024)

static bool load_in_atomic(const struct cw_go_ctx *ctx, uint64_t insn_addr)
{
	struct cw_pcframe frames[INLINE_DEPTH];
	size_t n = 0;
	if (cw_pcln_frames(ctx->pcln, ctx->exe, insn_addr - ctx->load_bias, frames, INLINE_DEPTH, &n) < 0)
		return false;
	bool in = false;
	for (size_t i = 0; i < n; i++)
		in |= frames[i].inlined && frames[i].name && strcmp(frames[i].name, ATOMIC_LOAD) == 0;
	cw_pcframes_free(frames, n);
	return in;
}

int cw_go_traceback_labels_addr(const struct cw_go_ctx *ctx, uint64_t *addr)
{
	struct cw_func f;
	if (cw_pcln_func_by_name(ctx->pcln, "runtime.goroutineheader", &f) < 0)
		return -ENOENT;
	if (f.end <= f.entry || f.end - f.entry > MAX_HEADER_BYTES)
		return -EBADMSG;
	_cleanup_(cw_disasm_freep) struct cw_disasm *d = NULL;
	if (cw_disasm_new(ctx->arch, &d) < 0)
		return -ENOTSUP;
	_cleanup_free_ struct cw_code_ref *refs = NULL;
	size_t n = 0;
	int r = cw_disasm_refs(d, ctx->mem, f.entry + ctx->load_bias, f.end + ctx->load_bias, &refs, &n);
	if (r < 0)
		return r;
	uint64_t found = 0;
	size_t nfound = 0;
	for (size_t i = 0; i < n; i++) {
		if (refs[i].kind != CW_REF_RIP_LOAD || !load_in_atomic(ctx, refs[i].insn_addr))
			continue;
		if (nfound == 0 || refs[i].target != found)
			nfound++;
		found = refs[i].target;
	}
	if (nfound != 1)
		return nfound ? -EBADMSG : -ENOENT;   /* none, or not one answer */
	*addr = found;
	return 0;
}

enum cw_labels_printed cw_go_traceback_labels(const struct cw_go_ctx *ctx)
{
	uint64_t addr;
	uint32_t v;
	if (!cw_go_ctx_quirk(ctx, CW_GO_QUIRK_LABELS_PRINTED) || cw_go_traceback_labels_addr(ctx, &addr) < 0 ||
	    cw_mem_u32(ctx->mem, addr, &v) < 0)
		return CW_LABELS_UNKNOWN;
	return v == 1 ? CW_LABELS_SHOWN : CW_LABELS_HIDDEN;
}

/* A Go string {ptr, len} at addr, copied with a terminating NUL (a NUL
 * inside ends it). */
static int read_string(struct cw_mem *mem, uint64_t addr, char **out)
{
	uint64_t ptr, len;
	if (cw_mem_u64(mem, addr, &ptr) < 0 || cw_mem_u64(mem, addr + 8, &len) < 0)
		return -EFAULT;
	return cw_mem_gostring(mem, ptr, len, MAX_LABEL_BYTES, out);
}

int cw_go_read_labels(const struct cw_go_ctx *ctx, uint64_t set, struct cw_label **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (!set || !cw_go_ctx_quirk(ctx, CW_GO_QUIRK_LABELS_PRINTED))
		return 0;
	uint64_t ptr, len;
	if (cw_mem_u64(ctx->mem, set, &ptr) < 0 || cw_mem_u64(ctx->mem, set + 8, &len) < 0)
		return -EFAULT;
	if (len == 0)
		return 0;
	if (len > MAX_LABELS)
		return -E2BIG;
	struct cw_label *l = calloc(len, sizeof(*l));
	if (!l)
		return -ENOMEM;
	for (uint64_t i = 0; i < len; i++) {   /* Label{Key, Value string}: 32 bytes */
		int r = read_string(ctx->mem, ptr + i * 32, &l[i].key);
		if (r == 0)
			r = read_string(ctx->mem, ptr + i * 32 + 16, &l[i].value);
		if (r < 0) {
			cw_labels_free(l, len);
			return r;
		}
	}
	*out = l;
	*nout = len;
	return 0;
}
