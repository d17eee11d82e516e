/* Go stack unwinding from the pclntab (see go_unwind.h). The walk mirrors
 * runtime/traceback.go: unwinder.initAt/resolveInternal/next (1.21+) and
 * gentraceback (1.18-1.20), for amd64 (return address pushed by CALL). */
#include "analyzer/go_unwind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

/* Logical frames of one pc, as cw_pcln_frames gives them. */
struct lframe {
	char *name;          /* owned by the cache */
	const char *file;    /* points into the pclntab */
	int32_t line;
	bool inlined;
};

struct cache_slot {
	uint64_t key;        /* link-time symbolisation pc + 1 (0 = empty) */
	uint32_t first;      /* index in lframes */
	uint32_t count;
};

/* One physical frame found by the walk. */
struct pframe {
	uint64_t pc, sp;     /* runtime addresses */
	uint32_t first, count;  /* logical frames in the cache */
};

struct cw_go_unwinder {
	struct cw_go_ctx *ctx;
	struct cache_slot *slots;
	size_t nslots, used;
	struct lframe *lframes;
	size_t nlframes, cap_lframes;
	struct pframe *pframes;   /* scratch of the current walk */
	size_t cap_pframes;
};

#define INLINE_MAX 64

static uint64_t hash_pc(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

int cw_go_unwinder_new(struct cw_go_ctx *ctx, struct cw_go_unwinder **out)
{
	struct cw_go_unwinder *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->ctx = ctx;
	u->nslots = 1024;
	u->slots = calloc(u->nslots, sizeof(*u->slots));
	if (!u->slots) {
		free(u);
		return -ENOMEM;
	}
	*out = u;
	return 0;
}

void cw_go_unwinder_free(struct cw_go_unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nlframes; i++)
		free(u->lframes[i].name);
	free(u->lframes);
	free(u->slots);
	free(u->pframes);
	free(u);
}

static int cache_grow(struct cw_go_unwinder *u)
{
	size_t n = u->nslots * 2;
	struct cache_slot *s = calloc(n, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < u->nslots; i++) {
		if (!u->slots[i].key)
			continue;
		size_t j = hash_pc(u->slots[i].key) & (n - 1);
		while (s[j].key)
			j = (j + 1) & (n - 1);
		s[j] = u->slots[i];
	}
	free(u->slots);
	u->slots = s;
	u->nslots = n;
	return 0;
}

static int lframes_reserve(struct cw_go_unwinder *u, size_t more)
{
	if (u->nlframes + more <= u->cap_lframes)
		return 0;
	size_t n = u->cap_lframes ? u->cap_lframes * 2 : 256;
	while (n < u->nlframes + more)
		n *= 2;
	if (n > UINT32_MAX)
		return -ENOMEM;
	struct lframe *l = realloc(u->lframes, n * sizeof(*l));
	if (!l)
		return -ENOMEM;
	u->lframes = l;
	u->cap_lframes = n;
	return 0;
}

/* Logical frames of link-time symbolisation pc sympc (function f). */
static int resolve(struct cw_go_unwinder *u, const struct cw_func *f, uint64_t sympc, uint32_t *first, uint32_t *count)
{
	uint64_t key = sympc + 1;
	size_t j = hash_pc(key) & (u->nslots - 1);
	while (u->slots[j].key) {
		if (u->slots[j].key == key) {
			*first = u->slots[j].first;
			*count = u->slots[j].count;
			return 0;
		}
		j = (j + 1) & (u->nslots - 1);
	}
	int r = lframes_reserve(u, INLINE_MAX);
	if (r < 0)
		return r;
	struct cw_pcframe pf[INLINE_MAX];
	size_t n = 0;
	r = cw_pcln_frames(u->ctx->pcln, u->ctx->exe, sympc, pf, INLINE_MAX, &n);
	if (r < 0 && r != -ENOBUFS) {
		cw_pcframes_free(pf, n);
		n = 0;
	}
	if (n == 0) {
		/* no line information: the physical function alone */
		char *name = cw_go_func_name_for_print(f->name ? f->name : "?");
		if (!name)
			return -ENOMEM;
		const char *file = NULL;
		int32_t line = 0;
		if (cw_pcln_fileline(u->ctx->pcln, f, sympc, &file, &line) < 0) {
			file = NULL;
			line = 0;
		}
		u->lframes[u->nlframes] = (struct lframe){ name, file, line, false };
		n = 1;
	} else {
		for (size_t i = 0; i < n; i++) {
			u->lframes[u->nlframes + i] = (struct lframe){ pf[i].name, pf[i].file, pf[i].line, pf[i].inlined };
			pf[i].name = NULL;
		}
	}
	*first = (uint32_t)u->nlframes;
	*count = (uint32_t)n;
	u->nlframes += n;
	j = hash_pc(key) & (u->nslots - 1);
	while (u->slots[j].key)
		j = (j + 1) & (u->nslots - 1);
	u->slots[j] = (struct cache_slot){ key, *first, *count };
	if (++u->used * 2 > u->nslots)
		return cache_grow(u);
	return 0;
}

static int pframes_push(struct cw_go_unwinder *u, size_t n, const struct pframe *pf)
{
	if (n >= u->cap_pframes) {
		size_t cap = u->cap_pframes ? u->cap_pframes * 2 : 128;
		struct pframe *p = realloc(u->pframes, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		u->pframes = p;
		u->cap_pframes = cap;
	}
	u->pframes[n] = *pf;
	return 0;
}

static bool injected_call(uint8_t funcid)
{
	return funcid == CW_FUNCID_SIGPANIC || funcid == CW_FUNCID_ASYNCPREEMPT ||
	       funcid == CW_FUNCID_DEBUGCALLV2;
}

/* The physical walk: fills u->pframes, returns their number or -ENOMEM. */
static int walk(struct cw_go_unwinder *u, uint64_t pc, uint64_t sp, uint64_t lo, uint64_t hi,
		unsigned flags, size_t *nout, const char **error)
{
	const struct cw_go_ctx *ctx = u->ctx;
	const uint64_t bias = ctx->load_bias;
	const unsigned ptr = 8;
	bool trap = flags & CW_GO_UNWIND_TRAP;
	size_t n = 0;

	*error = NULL;
	if (pc == 0) {
		/* a call through a nil func value: start in the caller */
		if (sp < lo || sp + ptr > hi || cw_mem_ptr(ctx->mem, sp, &pc) < 0) {
			*error = "nil pc and unreadable stack";
			goto out;
		}
		sp += ptr;
	}
	for (size_t i = 0; i < CW_GO_MAX_PHYS_FRAMES; i++) {
		struct cw_func f;
		uint64_t link = pc - bias;
		if (cw_pcln_func(ctx->pcln, link, &f) < 0) {
			*error = i == 0 ? "unknown pc" : "unexpected return pc";
			goto out;
		}
		uint64_t sympc = (!trap && link > f.entry) ? link - 1 : link;
		struct pframe pf = { .pc = pc, .sp = sp };
		int r = resolve(u, &f, sympc, &pf.first, &pf.count);
		if (r < 0)
			return r;
		r = pframes_push(u, n, &pf);
		if (r < 0)
			return r;
		n++;

		uint8_t flag = f.flag;
		if (f.funcid == CW_FUNCID_CGOCALLBACK || (i == 0 && (flags & CW_GO_UNWIND_SYSCALL)))
			flag &= (uint8_t)~CW_FUNCFLAG_SPWRITE;
		if (flag & (CW_FUNCFLAG_TOPFRAME | CW_FUNCFLAG_SPWRITE))
			goto out;
		int32_t delta;
		if (cw_pcln_spdelta(ctx->pcln, &f, link, &delta) < 0 || delta < 0) {
			*error = "no frame size at pc";
			goto out;
		}
		uint64_t fp = sp + (uint64_t)delta + ptr;
		if (fp < sp || fp - ptr < lo || fp > hi) {
			*error = "frame outside the stack";
			goto out;
		}
		uint64_t lr;
		if (cw_mem_ptr(ctx->mem, fp - ptr, &lr) < 0) {
			*error = "stack not in the core";
			goto out;
		}
		if (lr == 0)
			goto out;
		if (lr == pc && fp == sp) {
			*error = "traceback stuck";
			goto out;
		}
		struct cw_func caller;
		if (cw_pcln_func(ctx->pcln, lr - bias, &caller) < 0) {
			/* the runtime prints "unexpected return pc" and stops, except
			 * for a sigpanic injected into C code */
			*error = f.funcid == CW_FUNCID_SIGPANIC ? NULL : "unexpected return pc";
			goto out;
		}
		trap = injected_call(f.funcid);
		pc = lr;
		sp = fp;
	}
	*error = "too many frames";
out:
	*nout = n;
	return 0;
}

static int set_frame(struct cw_frame *out, const struct lframe *l, const struct pframe *p)
{
	memset(out, 0, sizeof(*out));
	out->function = strdup(l->name);
	out->file = l->file ? strdup(l->file) : NULL;
	if (!out->function || (l->file && !out->file)) {
		cw_frame_clear(out);
		return -ENOMEM;
	}
	out->line = l->line;
	out->pc = p->pc;
	out->sp = p->sp;
	out->inlined = l->inlined;
	return 0;
}

void cw_go_stack_clear(struct cw_go_stack *s)
{
	for (size_t i = 0; s->frames && i < s->nframes; i++)
		cw_frame_clear(&s->frames[i]);
	free(s->frames);
	memset(s, 0, sizeof(*s));
}

/* Appends logical frames [from, to) (indexes over the whole walk) to out. */
static int emit_range(struct cw_go_unwinder *u, size_t npf, size_t from, size_t to, struct cw_go_stack *out)
{
	size_t idx = 0;
	for (size_t i = 0; i < npf && idx < to; i++) {
		const struct pframe *p = &u->pframes[i];
		for (uint32_t k = 0; k < p->count && idx < to; k++, idx++) {
			if (idx < from)
				continue;
			int r = set_frame(&out->frames[out->nframes], &u->lframes[p->first + k], p);
			if (r < 0)
				return r;
			out->nframes++;
		}
	}
	return 0;
}

int cw_go_unwind(struct cw_go_unwinder *u, uint64_t pc, uint64_t sp, uint64_t lo, uint64_t hi,
		 unsigned flags, size_t max_frames, struct cw_go_stack *out)
{
	memset(out, 0, sizeof(*out));
	size_t npf = 0;
	int r = walk(u, pc, sp, lo, hi, flags, &npf, &out->error);
	if (r < 0)
		return r;

	/* which logical frames the runtime prints */
	size_t total = 0;
	size_t head = 0, tail = 0;   /* print [0, head) and [total - tail, total) */
	if (u->ctx->go_minor <= 20 && max_frames == 0) {
		/* gentraceback: at most 100 physical frames */
		size_t phys = npf < 100 ? npf : 100;
		for (size_t i = 0; i < phys; i++)
			head += u->pframes[i].count;
		for (size_t i = 0; i < npf; i++)
			total += u->pframes[i].count;
		out->truncated = npf > 100;
	} else {
		for (size_t i = 0; i < npf; i++)
			total += u->pframes[i].count;
		size_t limit = max_frames ? max_frames : 100;
		if (total <= limit) {
			head = total;
		} else if (max_frames) {
			head = limit;
			out->truncated = true;
		} else {
			/* traceback1: the 50 innermost and the 50 outermost frames */
			head = 50;
			tail = 50;
			out->truncated = true;
		}
	}
	if (out->error && strcmp(out->error, "too many frames") == 0)
		out->truncated = true;
	size_t want = head + tail;
	if (want == 0)
		return 0;
	out->frames = calloc(want, sizeof(*out->frames));
	if (!out->frames)
		return -ENOMEM;
	r = emit_range(u, npf, 0, head, out);
	if (r == 0 && tail)
		r = emit_range(u, npf, total - tail, total, out);
	if (r < 0) {
		cw_go_stack_clear(out);
		return r;
	}
	return 0;
}

int cw_go_describe_pc(struct cw_go_unwinder *u, uint64_t pc, bool exact, struct cw_frame *out)
{
	struct cw_func f;
	uint64_t link = pc - u->ctx->load_bias;

	memset(out, 0, sizeof(*out));
	if (cw_pcln_func(u->ctx->pcln, link, &f) < 0)
		return -ENOENT;
	uint64_t tracepc = (!exact && link > f.entry) ? link - 1 : link;
	out->function = cw_go_func_name_for_print(f.name ? f.name : "?");
	if (!out->function)
		return -ENOMEM;
	const char *file = NULL;
	int32_t line = 0;
	if (cw_pcln_fileline(u->ctx->pcln, &f, tracepc, &file, &line) == 0 && file) {
		out->file = strdup(file);
		if (!out->file) {
			cw_frame_clear(out);
			return -ENOMEM;
		}
		out->line = line;
	}
	out->pc = pc;
	return 0;
}

const char *cw_go_func_name_at(struct cw_go_unwinder *u, uint64_t pc)
{
	struct cw_func f;
	if (cw_pcln_func(u->ctx->pcln, pc - u->ctx->load_bias, &f) < 0)
		return NULL;
	return f.name;
}

/* x86-64 rt_sigframe: the return address (sa_restorer), then the ucontext;
 * uc_mcontext.gregs at 40, REG_RSP = 15, REG_RIP = 16. */
#define SIGFRAME_UC_OFF 8
#define UC_GREGS_OFF 40
#define GREG_RSP 15
#define GREG_RIP 16
/* the kernel's siginfo follows its struct ucontext (flags, link, stack_t,
 * 256-byte sigcontext, 8-byte sigset) */
#define SIGFRAME_INFO_OFF (8 + 304)

/* One signal frame: the context runtime.sigtramp's kernel frame holds. */
static int signal_frame(struct cw_go_unwinder *u, uint64_t pc, uint64_t sp, uint64_t lo, uint64_t hi,
			uint64_t *sigpc, uint64_t *sigsp, int32_t *signo)
{
	size_t npf = 0;
	const char *error = NULL;
	int r = walk(u, pc, sp, lo, hi, 0, &npf, &error);
	if (r < 0)
		return r;
	for (size_t i = 0; i < npf; i++) {
		const struct pframe *p = &u->pframes[i];
		struct cw_func f;
		if (cw_pcln_func(u->ctx->pcln, p->pc - u->ctx->load_bias, &f) < 0 || !f.name ||
		    strcmp(f.name, "runtime.sigtramp") != 0)
			continue;
		int32_t delta;
		if (cw_pcln_spdelta(u->ctx->pcln, &f, p->pc - u->ctx->load_bias, &delta) < 0 || delta < 0)
			return -ENOENT;
		uint64_t uc = p->sp + (uint64_t)delta + SIGFRAME_UC_OFF;
		uint64_t gregs = uc + UC_GREGS_OFF;
		if (gregs < uc || gregs + 8 * (GREG_RIP + 1) > hi)
			return -ENOENT;
		if (cw_mem_u64(u->ctx->mem, gregs + 8 * GREG_RIP, sigpc) < 0 ||
		    cw_mem_u64(u->ctx->mem, gregs + 8 * GREG_RSP, sigsp) < 0)
			return -ENOENT;
		uint32_t si_signo;
		uint64_t info = uc - SIGFRAME_UC_OFF + SIGFRAME_INFO_OFF;
		*signo = info + 4 <= hi && cw_mem_u32(u->ctx->mem, info, &si_signo) == 0 ? (int32_t)si_signo : 0;
		return 0;
	}
	return -ENOENT;
}

/* Nested signals (dieFromSignal's raise inside sighandler) stack their
 * frames on the same gsignal stack: follow them to the context outside. */
#define MAX_NESTED_SIGNALS 4

int cw_go_signal_context(struct cw_go_unwinder *u, uint64_t pc, uint64_t sp, uint64_t lo, uint64_t hi,
			 uint64_t *sigpc, uint64_t *sigsp, int32_t *signo)
{
	int32_t sig = 0;
	if (!signo)
		signo = &sig;
	for (int depth = 0; depth < MAX_NESTED_SIGNALS; depth++) {
		int r = signal_frame(u, pc, sp, lo, hi, sigpc, sigsp, signo);
		if (r < 0)
			return r;
		if (*sigsp < lo || *sigsp >= hi)
			return 0;
		if (*sigsp <= sp)
			return -ENOENT;   /* must move up the stack */
		pc = *sigpc;
		sp = *sigsp;
	}
	return -ENOENT;
}
