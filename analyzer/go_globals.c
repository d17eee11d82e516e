/* Runtime globals the goroutine walk starts from: runtime.allgs and
 * runtime.allm (plus runtime.sched and runtime.memstats for the crash time
 * estimate). By ELF symbol when the binary has a symtab; in stripped
 * binaries from the RIP-relative operands of runtime functions that use
 * them (their names survive in the pclntab), each candidate validated
 * against the core's memory. */
#include "analyzer/go_runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/disasm.h"
#include "analyzer/go_layout.h"
#include "common/cleanup.h"

CW_DEFINE_CLEANUP(struct cw_disasm *, cw_disasm_free)

/* Goroutines we ever accept, and how many of them validate a candidate. */
#define MAX_SANE_GOROUTINES (64u * 1024 * 1024)
#define VALIDATE_GS 16
#define MAX_FUNC_BYTES (256 * 1024)

static int symbol(const struct cw_go_ctx *ctx, const char *name, uint64_t *addr)
{
	uint64_t a, size;
	if (cw_exe_symbol(ctx->exe, name, &a, &size) < 0)
		return -ENOENT;
	*addr = a + ctx->load_bias;
	return 0;
}

static int read_field(struct cw_mem *mem, uint64_t base, struct cw_go_field f, uint64_t *v)
{
	if (!cw_go_has(f))
		return -ENOENT;
	uint64_t a = base + (uint64_t)f.off;
	switch (f.size) {
	case 1: { uint8_t x; int r = cw_mem_u8(mem, a, &x); *v = x; return r; }
	case 2: { uint16_t x; int r = cw_mem_u16(mem, a, &x); *v = x; return r; }
	case 4: { uint32_t x; int r = cw_mem_u32(mem, a, &x); *v = x; return r; }
	case 8: return cw_mem_u64(mem, a, v);
	default: return -EINVAL;
	}
}

/* A plausible runtime.g at gaddr: readable, stack bounds ordered, small goid. */
static bool plausible_g(const struct cw_go_ctx *ctx, uint64_t gaddr, uint64_t *goid)
{
	const struct cw_go_layout *l = ctx->layout;
	uint64_t lo, hi;
	if (gaddr == 0 || (gaddr & 7) != 0)
		return false;
	if (read_field(ctx->mem, gaddr, l->g_stack_lo, &lo) < 0 ||
	    read_field(ctx->mem, gaddr, l->g_stack_hi, &hi) < 0 ||
	    read_field(ctx->mem, gaddr, l->g_goid, goid) < 0)
		return false;
	if (lo > hi || *goid > (1ULL << 40))
		return false;
	return true;
}

/* allgs candidate: a slice {ptr, len, cap} of distinct plausible g pointers. */
int cw_go_validate_allgs(const struct cw_go_ctx *ctx, uint64_t addr)
{
	uint64_t ptr, len, cap;
	if (cw_mem_u64(ctx->mem, addr, &ptr) < 0 || cw_mem_u64(ctx->mem, addr + 8, &len) < 0 ||
	    cw_mem_u64(ctx->mem, addr + 16, &cap) < 0)
		return -EFAULT;
	if (len == 0 || len > cap || cap > MAX_SANE_GOROUTINES || (ptr & 7) != 0)
		return -EINVAL;
	if (!cw_mem_mapped(ctx->mem, ptr) || !cw_mem_mapped(ctx->mem, ptr + len * 8 - 1))
		return -EINVAL;
	uint64_t goids[VALIDATE_GS];
	size_t n = len < VALIDATE_GS ? len : VALIDATE_GS;
	for (size_t i = 0; i < n; i++) {
		uint64_t g;
		if (cw_mem_u64(ctx->mem, ptr + i * 8, &g) < 0 || !plausible_g(ctx, g, &goids[i]))
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (goids[j] == goids[i] && goids[i] != 0)
				return -EINVAL;
	}
	return 0;
}

/* allm candidate: a list of m whose procids include a thread of the core
 * (the newest m may not have started its thread yet: procid 0). */
#define VALIDATE_MS 64

int cw_go_validate_allm(const struct cw_go_ctx *ctx, uint64_t addr)
{
	uint64_t m, procid;
	if (cw_mem_u64(ctx->mem, addr, &m) < 0)
		return -EFAULT;
	for (int i = 0; i < VALIDATE_MS && m != 0; i++) {
		if ((m & 7) != 0 || read_field(ctx->mem, m, ctx->layout->m_procid, &procid) < 0)
			return -EINVAL;
		for (size_t k = 0; procid && k < cw_core_nthreads(ctx->core); k++)
			if ((uint64_t)cw_core_thread(ctx->core, k)->tid == procid)
				return 0;
		if (read_field(ctx->mem, m, ctx->layout->m_alllink, &m) < 0)
			return -EINVAL;
	}
	return -EINVAL;
}

/* The first RIP-relative operand among the named functions' code that
 * validate() accepts. */
static int from_code(const struct cw_go_ctx *ctx, const char *const *funcs, size_t nfuncs,
		     int (*validate)(const struct cw_go_ctx *, uint64_t), uint64_t *addr)
{
	_cleanup_(cw_disasm_freep) struct cw_disasm *d = NULL;
	if (cw_disasm_new(ctx->arch, &d) < 0)
		return -ENOTSUP;
	for (size_t i = 0; i < nfuncs; i++) {
		struct cw_func f;
		if (cw_pcln_func_by_name(ctx->pcln, funcs[i], &f) < 0 || f.end <= f.entry ||
		    f.end - f.entry > MAX_FUNC_BYTES)
			continue;
		_cleanup_free_ struct cw_code_ref *refs = NULL;
		size_t n = 0;
		if (cw_disasm_refs(d, ctx->mem, f.entry + ctx->load_bias, f.end + ctx->load_bias, &refs, &n) < 0)
			continue;
		for (size_t k = 0; k < n; k++) {
			if (refs[k].kind != CW_REF_RIP_LOAD && refs[k].kind != CW_REF_RIP_ADDR)
				continue;
			if (validate(ctx, refs[k].target) == 0) {
				*addr = refs[k].target;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int cw_go_find_globals(const struct cw_go_ctx *ctx, struct cw_go_globals *out)
{
	static const char *const allgs_users[] = {
		"runtime.allgadd", "runtime.forEachG", "runtime.forEachGRace", "runtime.checkdead",
		"runtime.atomicAllG", "runtime.tracebackothers", "runtime.tracebacksomeothers",
	};
	static const char *const allm_users[] = {
		"runtime.mcommoninit", "runtime.checkdead", "runtime.forEachP", "runtime.sigNotOnStack",
		"runtime.freezetheworld", "runtime.retake", "runtime.stopTheWorldWithSema",
	};

	memset(out, 0, sizeof(*out));
	if (symbol(ctx, CW_GO_SYM_ALLGS, &out->allgs) < 0 || cw_go_validate_allgs(ctx, out->allgs) < 0) {
		out->allgs = 0;
		if (from_code(ctx, allgs_users, CW_ARRAY_SIZE(allgs_users), cw_go_validate_allgs, &out->allgs) == 0)
			out->allgs_from_code = true;
	}
	if (symbol(ctx, CW_GO_SYM_ALLM, &out->allm) < 0 || cw_go_validate_allm(ctx, out->allm) < 0) {
		out->allm = 0;
		if (from_code(ctx, allm_users, CW_ARRAY_SIZE(allm_users), cw_go_validate_allm, &out->allm) == 0)
			out->allm_from_code = true;
	}
	if (symbol(ctx, CW_GO_SYM_SCHED, &out->sched) < 0)
		out->sched = 0;
	if (symbol(ctx, CW_GO_SYM_MEMSTATS, &out->memstats) < 0)
		out->memstats = 0;
	return out->allgs ? 0 : -ENOENT;
}
