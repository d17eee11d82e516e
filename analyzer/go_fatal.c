/* The text after "fatal error: ". runtime.throw(s) and runtime.fatal(s)
 * keep s nowhere but on the stack: their systemstack closure
 * (runtime.throw.func1 / runtime.fatal.func1) captures it in their own
 * frame, and the caller loaded it into the argument registers (AX = data,
 * BX = length with ABIInternal) just before the CALL. Both are tried: the
 * closure first (works for dynamic strings), then the call site. */
#include "config.h"
#include "analyzer/go_fatal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/disasm.h"
#include "analyzer/go_layout.h"
#include "analyzer/go_panic_value.h"
#include "analyzer/go_runtime.h"
#include "common/cleanup.h"

#define CLOSURE_SCAN_BYTES 512u    /* of the throw frame searched for its closure */
#define CALLSITE_LOOKBACK 12u      /* instructions before the CALL examined */
#define CALLSITE_HOPS 3u           /* callers tried for the call site */
#define STACK_SCAN_MAX (1024u * 1024u)  /* bytes of one system stack scanned */
#define STACK_CHUNK 4096u
#define M_LIST_MAX 10000u          /* bound on allm's alllink chain */

CW_DEFINE_CLEANUP(struct cw_disasm *, cw_disasm_free)

struct thrower {
	const char *name;           /* runtime.throw */
	const char *closure;        /* runtime.throw.func1 */
};

#define FATAL_INDEX 1   /* runtime.fatal in throwers[] */
static const struct thrower throwers[] = {
	{ "runtime.throw", "runtime.throw.func1" },
	{ "runtime.fatal", "runtime.fatal.func1" },
};

static const struct thrower *thrower_of(const char *fn)
{
	for (size_t i = 0; fn && i < CW_ARRAY_SIZE(throwers); i++)
		if (strcmp(fn, throwers[i].name) == 0)
			return &throwers[i];
	return NULL;
}

/* A plausible message: non-empty, no NUL or control bytes but tab/newline. */
static bool plausible_text(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0 || (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static int read_message(struct cw_mem *mem, uint64_t ptr, uint64_t len, char **out)
{
	if (len == 0 || len > CW_GO_MESSAGE_MAX || !cw_mem_mapped(mem, ptr))
		return -EBADMSG;
	_cleanup_free_ char *s = NULL;
	int r = cw_go_read_string(mem, ptr, len, &s);
	if (r < 0)
		return r;
	if (!plausible_text(s, (size_t)len))
		return -EBADMSG;
	*out = CW_TAKE_PTR(s);
	return 0;
}

/* The closure {fn, captured...} in the thrower's frame: a word equal to the
 * closure's entry followed (within three words) by a string {ptr, len}. */
static int from_closure(struct cw_go_ctx *ctx, const struct thrower *t, uint64_t sp, uint64_t limit, char **out)
{
	struct cw_func f;
	if (cw_pcln_func_by_name(ctx->pcln, t->closure, &f) < 0)
		return -ENOENT;
	uint64_t entry = f.entry + ctx->load_bias;
	uint64_t end = sp + CLOSURE_SCAN_BYTES;
	if (limit > sp && limit + 4 * 8 < end)
		end = limit + 4 * 8;    /* the closure lives below the caller's frame */
	for (uint64_t a = sp; a + 8 <= end; a += 8) {
		uint64_t w;
		if (cw_mem_u64(ctx->mem, a, &w) < 0)
			return -EFAULT;
		if (w != entry)
			continue;
		for (unsigned k = 1; k <= 3; k++) {
			uint64_t ptr, len;
			if (cw_mem_u64(ctx->mem, a + 8 * k, &ptr) < 0 || cw_mem_u64(ctx->mem, a + 8 * k + 8, &len) < 0)
				break;
			if (read_message(ctx->mem, ptr, len, out) == 0)
				return 0;
		}
	}
	return -ENOENT;
}

/* Entries (runtime addresses) of the throwers' closures; 0 when absent. */
static void closure_entries(struct cw_go_ctx *ctx, uint64_t entries[CW_ARRAY_SIZE(throwers)])
{
	for (size_t i = 0; i < CW_ARRAY_SIZE(throwers); i++) {
		struct cw_func f;
		entries[i] = cw_pcln_func_by_name(ctx->pcln, throwers[i].closure, &f) == 0 ?
			f.entry + ctx->load_bias : 0;
	}
}

/* A closure of a thrower anywhere in [lo, hi) (a system stack whose
 * frames could not be unwound): read in chunks, bounded. */
static int scan_stack(struct cw_go_ctx *ctx, uint64_t lo, uint64_t hi, char **out, bool *via_fatal)
{
	uint64_t entries[CW_ARRAY_SIZE(throwers)];
	closure_entries(ctx, entries);
	if (hi <= lo || (lo & 7))
		return -ENOENT;
	if (hi - lo > STACK_SCAN_MAX)
		lo = hi - STACK_SCAN_MAX;
	uint64_t buf[STACK_CHUNK / 8];
	/* by offset: a stack ending at the top of the address space must not wrap */
	for (uint64_t off = 0; off < hi - lo; off += STACK_CHUNK) {
		uint64_t a = lo + off;
		size_t len = hi - a < STACK_CHUNK ? (size_t)(hi - a) : STACK_CHUNK;
		if (cw_mem_read(ctx->mem, a, buf, len) < 0)
			continue;
		for (size_t w = 0; w < len / 8; w++) {
			for (size_t k = 0; k < CW_ARRAY_SIZE(throwers); k++) {
				if (!entries[k] || buf[w] != entries[k])
					continue;
				for (unsigned j = 1; j <= 3; j++) {
					uint64_t sa = a + 8 * (w + j), ptr, slen;
					if (cw_mem_u64(ctx->mem, sa, &ptr) < 0 || cw_mem_u64(ctx->mem, sa + 8, &slen) < 0)
						break;
					if (read_message(ctx->mem, ptr, slen, out) == 0) {
						*via_fatal = k == FATAL_INDEX;
						return 0;
					}
				}
			}
		}
	}
	return -ENOENT;
}

static int g_stack_bounds(struct cw_go_ctx *ctx, uint64_t g, uint64_t *lo, uint64_t *hi)
{
	const struct cw_go_layout *l = ctx->layout;
	if (!g || !cw_go_has(l->g_stack_lo) || !cw_go_has(l->g_stack_hi))
		return -ENOENT;
	if (cw_mem_u64(ctx->mem, g + (uint64_t)l->g_stack_lo.off, lo) < 0 ||
	    cw_mem_u64(ctx->mem, g + (uint64_t)l->g_stack_hi.off, hi) < 0)
		return -EFAULT;
	return 0;
}

int cw_go_crashed_m(struct cw_go_ctx *ctx, const struct cw_analysis *a, uint64_t *out)
{
	const struct cw_go_layout *l = ctx->layout;
	if (!l || !a->crashed_tid || !cw_go_has(l->m_procid) || !cw_go_has(l->m_alllink))
		return -ENOENT;
	struct cw_go_globals gl;
	if (cw_go_find_globals(ctx, &gl) < 0 && !gl.allm)
		return -ENOENT;
	uint64_t m;
	if (!gl.allm || cw_mem_u64(ctx->mem, gl.allm, &m) < 0)
		return -ENOENT;
	for (unsigned i = 0; m && i < M_LIST_MAX; i++) {
		uint64_t procid, next;
		if (cw_mem_u64(ctx->mem, m + (uint64_t)l->m_procid.off, &procid) < 0 ||
		    cw_mem_u64(ctx->mem, m + (uint64_t)l->m_alllink.off, &next) < 0)
			return -EFAULT;
		if (procid == (uint64_t)a->crashed_tid) {
			*out = m;
			return 0;
		}
		m = next;
	}
	return -ENOENT;
}

bool cw_go_panic_during_panic(struct cw_go_ctx *ctx)
{
	const struct cw_go_layout *l = ctx->layout;
	if (!l || !cw_go_has(l->m_dying) || !cw_go_has(l->m_alllink))
		return false;
	struct cw_go_globals gl;
	if (cw_go_find_globals(ctx, &gl) < 0 && !gl.allm)
		return false;
	uint64_t m;
	if (!gl.allm || cw_mem_u64(ctx->mem, gl.allm, &m) < 0)
		return false;
	for (unsigned i = 0; m && i < M_LIST_MAX; i++) {
		uint32_t dying;
		if (cw_mem_u32(ctx->mem, m + (uint64_t)l->m_dying.off, &dying) < 0)
			return false;
		if (dying == 2)
			return true;
		if (cw_mem_u64(ctx->mem, m + (uint64_t)l->m_alllink.off, &m) < 0)
			return false;
	}
	return false;
}

int cw_go_crashed_m_stack(struct cw_go_ctx *ctx, const struct cw_analysis *a, bool gsignal,
			  uint64_t *lo, uint64_t *hi)
{
	const struct cw_go_layout *l = ctx->layout;
	if (!l || !cw_go_has(l->m_g0) || !cw_go_has(l->m_gsignal))
		return -ENOENT;
	uint64_t m, g;
	int r = cw_go_crashed_m(ctx, a, &m);
	if (r < 0)
		return r;
	struct cw_go_field f = gsignal ? l->m_gsignal : l->m_g0;
	if (cw_mem_u64(ctx->mem, m + (uint64_t)f.off, &g) < 0)
		return -EFAULT;
	return g_stack_bounds(ctx, g, lo, hi);
}

/* The system stacks (g0, gsignal) of the M running on the crashed thread:
 * throw on g0 (checkdead, newstack, the scheduler) when the thread's frames
 * stop short of them. */
static int from_crashed_m(struct cw_go_ctx *ctx, const struct cw_analysis *a, char **out, bool *via_fatal)
{
	for (int k = 0; k < 2; k++) {
		uint64_t lo, hi;
		if (cw_go_crashed_m_stack(ctx, a, k == 1, &lo, &hi) == 0 &&
		    scan_stack(ctx, lo, hi, out, via_fatal) == 0)
			return 0;
	}
	return -ENOENT;
}

/* Registers holding the string argument of throw (ABIInternal, amd64). */
static bool is_reg(const struct cw_disasm *d, int reg, const char *const *names)
{
	const char *n = cw_disasm_reg_name(d, reg);
	for (; n && *names; names++)
		if (strcmp(n, *names) == 0)
			return true;
	return false;
}

/* The CALL that returns to ret_addr, in the function containing it:
 * lea rax, [rip + S] and mov ebx, LEN before it. */
static int from_call_site(struct cw_go_ctx *ctx, uint64_t ret_addr, char **out)
{
	static const char *const data_regs[] = { "rax", NULL };
	static const char *const len_regs[] = { "ebx", "rbx", NULL };
	struct cw_func f;
	if (ret_addr == 0 || ret_addr < ctx->load_bias ||
	    cw_pcln_func(ctx->pcln, ret_addr - ctx->load_bias - 1, &f) < 0)
		return -ENOENT;
	_cleanup_(cw_disasm_freep) struct cw_disasm *d = NULL;
	int r = cw_disasm_new(ctx->arch, &d);
	if (r < 0)
		return r;
	struct cw_insn insns[CALLSITE_LOOKBACK + 1];
	size_t n = 0, at = 0;
	r = cw_disasm_context(d, ctx->mem, f.entry + ctx->load_bias, ret_addr, CALLSITE_LOOKBACK, 0,
			      insns, CW_ARRAY_SIZE(insns), &n, &at);
	if (r < 0)
		return r;
	if (at == 0 || !insns[at - 1].is_call)
		return -ENOENT;
	bool have_ptr = false, have_len = false;
	uint64_t ptr = 0, len = 0;
	for (size_t i = at - 1; i-- > 0 && !(have_ptr && have_len);) {
		const struct cw_insn *in = &insns[i];
		if (in->is_call)
			break;
		if (!have_ptr && in->is_lea && in->has_rip_ref && is_reg(d, in->dest_reg, data_regs)) {
			have_ptr = true;
			ptr = in->rip_ref;
		} else if (!have_len && in->has_imm && is_reg(d, in->dest_reg, len_regs)) {
			have_len = true;
			len = (uint64_t)in->imm;
		}
	}
	if (!have_ptr || !have_len)
		return -ENOENT;
	return read_message(ctx->mem, ptr, len, out);
}

/* The physical caller of frame i: the first following frame that is not
 * an inlined frame sharing its pc. */
static const struct cw_frame *physical_caller(const struct cw_frame *frames, size_t n, size_t i)
{
	for (size_t j = i + 1; j < n; j++)
		if (frames[j].pc != frames[i].pc || frames[j].sp != frames[i].sp)
			return &frames[j];
	return NULL;
}

static int from_stack(struct cw_go_ctx *ctx, const struct cw_frame *frames, size_t n, char **out, bool *via_fatal)
{
	for (size_t i = 0; i < n; i++) {
		const struct thrower *t = thrower_of(frames[i].function);
		if (!t)
			continue;
		*via_fatal = t == &throwers[FATAL_INDEX];
		const struct cw_frame *caller = physical_caller(frames, n, i);
		if (frames[i].sp && from_closure(ctx, t, frames[i].sp, caller ? caller->sp : 0, out) == 0)
			return 0;
		/* the caller may only pass its own argument on (sync.throw,
		 * internal/runtime/maps.fatal): then its caller loaded it */
		for (unsigned hop = 0; caller && hop < CALLSITE_HOPS; hop++) {
			if (from_call_site(ctx, caller->pc, out) == 0)
				return 0;
			caller = physical_caller(frames, n, (size_t)(caller - frames));
		}
		return -EBADMSG;   /* a thrower, but its message is not recoverable */
	}
	return -ENOENT;
}

int cw_go_fatal_message(struct cw_go_ctx *ctx, const struct cw_analysis *a, char **out, bool *via_fatal)
{
	*out = NULL;
	*via_fatal = false;
	int found_thrower = 0;
	/* the crashed goroutine, then the crashed thread's system stack, then
	 * every other thread (the crashing one may be unknown) */
	const struct cw_goroutine *g = cw_analysis_crashed_goroutine(a);
	_cleanup_free_ char *raw = NULL;
	int r = -ENOENT;
	if (g)
		r = from_stack(ctx, g->frames, g->nframes, &raw, via_fatal);
	for (int pass = 0; pass < 2 && r != 0; pass++) {
		for (size_t i = 0; i < a->nthreads && r != 0; i++) {
			const struct cw_thread *t = &a->threads[i];
			bool crashed = t->tid == a->crashed_tid;
			if ((pass == 0) != crashed)
				continue;
			int rr = from_stack(ctx, t->frames, t->nframes, &raw, via_fatal);
			if (rr == -EBADMSG)
				found_thrower = 1;
			r = rr == 0 ? 0 : r;
		}
	}
	if (r == -EBADMSG)
		found_thrower = 1;
	if (r != 0 && from_crashed_m(ctx, a, &raw, via_fatal) == 0)
		r = 0;
	if (r != 0)
		return found_thrower ? -EBADMSG : -ENOENT;
	char *s = cw_go_printed_string(raw, strlen(raw), cw_go_ctx_quirk(ctx, CW_GO_QUIRK_PRINT_INDENTED));
	if (!s)
		return -ENOMEM;
	*out = s;
	return 0;
}
