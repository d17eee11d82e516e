/* Go stack unwinding from the pclntab (see go_unwind.h). The walk mirrors
 * runtime/traceback.go: unwinder.initAt/resolveInternal/next (1.21+) and
 * gentraceback (1.18-1.20), for amd64 (return address pushed by CALL). */
#include "analyzer/go_unwind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

/* Every name and file the frames point to (cw_frame.shared): owned by the
 * unwinder, or handed to the analysis with cw_go_unwinder_take_strings. */
struct strpool {
	char **strs;
	size_t n, cap;
	/* interned files: pclntab pointer -> pooled copy (open addressing) */
	const char **file_keys;
	char **file_vals;
	size_t nfile_slots, nfiles;
};

/* Logical frames of one pc, as cw_pcln_frames gives them. */
struct lframe {
	char *name;          /* owned by the pool */
	char *file;          /* owned by the pool, NULL when unknown */
	int32_t line;
	bool inlined;
};

/* What the walk needs of one (link-time pc, trapped) pair, computed once. */
struct cache_slot {
	uint64_t key;        /* pc * 2 + trap + 1 (0 = empty) */
	bool valid;          /* a function contains pc */
	bool delta_ok;
	int32_t delta;       /* pcsp at pc */
	uint8_t funcid, flag;
	uint32_t first;      /* logical frames: index in lframes */
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
	struct strpool *pool;
};

static void strpool_free(void *p)
{
	struct strpool *pool = p;
	if (!pool)
		return;
	for (size_t i = 0; i < pool->n; i++)
		free(pool->strs[i]);
	free(pool->strs);
	free(pool->file_keys);
	free(pool->file_vals);
	free(pool);
}

/* Takes ownership of s (freed on failure). */
static int strpool_add(struct strpool *pool, char *s)
{
	if (pool->n == pool->cap) {
		size_t cap = pool->cap ? pool->cap * 2 : 256;
		char **v = realloc(pool->strs, cap * sizeof(*v));
		if (!v) {
			free(s);
			return -ENOMEM;
		}
		pool->strs = v;
		pool->cap = cap;
	}
	pool->strs[pool->n++] = s;
	return 0;
}

static int strpool_grow_files(struct strpool *pool)
{
	size_t n = pool->nfile_slots ? pool->nfile_slots * 2 : 256;
	const char **keys = calloc(n, sizeof(*keys));
	char **vals = calloc(n, sizeof(*vals));
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < pool->nfile_slots; i++) {
		if (!pool->file_keys[i])
			continue;
		size_t j = ((uintptr_t)pool->file_keys[i] >> 3) * 0x9e3779b97f4a7c15ULL >> 20 & (n - 1);
		while (keys[j])
			j = (j + 1) & (n - 1);
		keys[j] = pool->file_keys[i];
		vals[j] = pool->file_vals[i];
	}
	free(pool->file_keys);
	free(pool->file_vals);
	pool->file_keys = keys;
	pool->file_vals = vals;
	pool->nfile_slots = n;
	return 0;
}

/* The pooled copy of a pclntab file name (which dies with the pclntab). */
static int strpool_file(struct strpool *pool, const char *file, char **out)
{
	*out = NULL;
	if (!file)
		return 0;
	if ((pool->nfiles + 1) * 2 > pool->nfile_slots) {
		int r = strpool_grow_files(pool);
		if (r < 0)
			return r;
	}
	size_t mask = pool->nfile_slots - 1;
	size_t j = ((uintptr_t)file >> 3) * 0x9e3779b97f4a7c15ULL >> 20 & mask;
	while (pool->file_keys[j]) {
		if (pool->file_keys[j] == file) {
			*out = pool->file_vals[j];
			return 0;
		}
		j = (j + 1) & mask;
	}
	char *copy = strdup(file);
	if (!copy)
		return -ENOMEM;
	int r = strpool_add(pool, copy);
	if (r < 0)
		return r;
	pool->file_keys[j] = file;
	pool->file_vals[j] = copy;
	pool->nfiles++;
	*out = copy;
	return 0;
}

void cw_go_unwinder_take_strings(struct cw_go_unwinder *u, void **strings, void (**strings_free)(void *))
{
	*strings = u->pool;
	*strings_free = strpool_free;
	u->pool = NULL;
}

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
	u->pool = calloc(1, sizeof(*u->pool));
	if (!u->slots || !u->pool) {
		free(u->slots);
		free(u->pool);
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
	strpool_free(u->pool);
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
		char *name = cw_go_func_name_for_print(f->name ? f->name : "?", cw_pcln_two_group_names(u->ctx->pcln));
		if (!name)
			return -ENOMEM;
		r = strpool_add(u->pool, name);
		if (r < 0)
			return r;
		const char *file = NULL;
		int32_t line = 0;
		if (cw_pcln_fileline(u->ctx->pcln, f, sympc, &file, &line) < 0) {
			file = NULL;
			line = 0;
		}
		char *pfile;
		r = strpool_file(u->pool, file, &pfile);
		if (r < 0)
			return r;
		u->lframes[u->nlframes] = (struct lframe){ name, pfile, line, false };
		n = 1;
	} else {
		for (size_t i = 0; i < n; i++) {
			char *name = pf[i].name, *pfile = NULL;
			pf[i].name = NULL;
			r = strpool_add(u->pool, name);
			if (r == 0)
				r = strpool_file(u->pool, pf[i].file, &pfile);
			if (r < 0) {
				cw_pcframes_free(pf, n);
				return r;
			}
			u->lframes[u->nlframes + i] = (struct lframe){ name, pfile, pf[i].line, pf[i].inlined };
		}
	}
	*first = (uint32_t)u->nlframes;
	*count = (uint32_t)n;
	u->nlframes += n;
	return 0;
}

/* The cached facts about link-time pc reached as a trapped pc or not. The
 * returned slot stays valid until the next lookup. */
static int lookup(struct cw_go_unwinder *u, uint64_t link, bool trap, struct cache_slot *out)
{
	uint64_t key = link * 2 + (trap ? 1 : 0) + 1;
	size_t j = hash_pc(key) & (u->nslots - 1);
	while (u->slots[j].key) {
		if (u->slots[j].key == key) {
			*out = u->slots[j];
			return 0;
		}
		j = (j + 1) & (u->nslots - 1);
	}
	struct cache_slot slot = { .key = key };
	struct cw_func f;
	if (cw_pcln_func(u->ctx->pcln, link, &f) == 0) {
		slot.valid = true;
		slot.funcid = f.funcid;
		slot.flag = f.flag;
		slot.delta_ok = cw_pcln_spdelta(u->ctx->pcln, &f, link, &slot.delta) == 0 && slot.delta >= 0;
		uint64_t sympc = (!trap && link > f.entry) ? link - 1 : link;
		int r = resolve(u, &f, sympc, &slot.first, &slot.count);
		if (r < 0)
			return r;
	}
	j = hash_pc(key) & (u->nslots - 1);
	while (u->slots[j].key)
		j = (j + 1) & (u->nslots - 1);
	u->slots[j] = slot;
	*out = slot;
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

/* Calls the runtime injects at a trapped pc: the caller's pc is not a
 * return address. gentraceback (1.18-1.20) knows only sigpanic; the 1.21
 * unwinder adds asyncPreempt and debugCallV2. */
static bool injected_call(const struct cw_go_ctx *ctx, uint8_t funcid)
{
	if (cw_go_ctx_quirk(ctx, CW_GO_QUIRK_GENTRACEBACK))
		return funcid == CW_FUNCID_SIGPANIC;
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
	struct cache_slot cur;
	int r = lookup(u, pc - bias, trap, &cur);
	if (r < 0)
		return r;
	for (size_t i = 0; i < CW_GO_MAX_PHYS_FRAMES; i++) {
		if (!cur.valid) {
			*error = i == 0 ? "unknown pc" : "unexpected return pc";
			goto out;
		}
		struct pframe pf = { .pc = pc, .sp = sp, .first = cur.first, .count = cur.count };
		r = pframes_push(u, n, &pf);
		if (r < 0)
			return r;
		n++;

		uint8_t flag = cur.flag;
		if (cur.funcid == CW_FUNCID_CGOCALLBACK || (i == 0 && (flags & CW_GO_UNWIND_SYSCALL)))
			flag &= (uint8_t)~CW_FUNCFLAG_SPWRITE;
		if (flag & (CW_FUNCFLAG_TOPFRAME | CW_FUNCFLAG_SPWRITE))
			goto out;
		if (!cur.delta_ok) {
			*error = "no frame size at pc";
			goto out;
		}
		uint64_t fp = sp + (uint64_t)cur.delta + ptr;
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
		struct cache_slot next;
		trap = injected_call(ctx, cur.funcid);
		r = lookup(u, lr - bias, trap, &next);
		if (r < 0)
			return r;
		if (!next.valid) {
			/* the runtime prints "unexpected return pc" and stops, except
			 * for a sigpanic injected into C code */
			*error = cur.funcid == CW_FUNCID_SIGPANIC ? NULL : "unexpected return pc";
			goto out;
		}
		cur = next;
		pc = lr;
		sp = fp;
	}
	*error = "too many frames";
out:
	*nout = n;
	return 0;
}

static void set_frame(struct cw_frame *out, const struct lframe *l, const struct pframe *p)
{
	*out = (struct cw_frame){
		.function = l->name,
		.file = l->file,
		.line = l->line,
		.pc = p->pc,
		.sp = p->sp,
		.inlined = l->inlined,
		.shared = true,
	};
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
			set_frame(&out->frames[out->nframes], &u->lframes[p->first + k], p);
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
	if (cw_go_ctx_quirk(u->ctx, CW_GO_QUIRK_GENTRACEBACK) && max_frames == 0) {
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
	out->function = cw_go_func_name_for_print(f.name ? f.name : "?", cw_pcln_two_group_names(u->ctx->pcln));
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

/* siginfo fields: si_signo, si_code, and si_addr for SIGSEGV/SIGBUS/SIGFPE/SIGILL */
#define SIGINFO_CODE_OFF 8
#define SIGINFO_ADDR_OFF 16

/* One signal frame: the context runtime.sigtramp's kernel frame holds
 * (info, when not NULL, gets the whole siginfo of it). */
static int signal_frame_info(struct cw_go_unwinder *u, uint64_t pc, uint64_t sp, uint64_t lo, uint64_t hi,
			     uint64_t *sigpc, uint64_t *sigsp, int32_t *signo, struct cw_go_siginfo *sinfo)
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
		if (sinfo) {
			uint32_t code;
			if (info + SIGINFO_ADDR_OFF + 8 > hi ||
			    cw_mem_u32(u->ctx->mem, info + SIGINFO_CODE_OFF, &code) < 0 ||
			    cw_mem_u64(u->ctx->mem, info + SIGINFO_ADDR_OFF, &sinfo->addr) < 0)
				return -ENOENT;
			sinfo->signo = *signo;
			sinfo->code = (int32_t)code;
			sinfo->pc = *sigpc;
			sinfo->sp = *sigsp;
		}
		return 0;
	}
	return -ENOENT;
}

static int signal_frame(struct cw_go_unwinder *u, uint64_t pc, uint64_t sp, uint64_t lo, uint64_t hi,
			uint64_t *sigpc, uint64_t *sigsp, int32_t *signo)
{
	return signal_frame_info(u, pc, sp, lo, hi, sigpc, sigsp, signo, NULL);
}

int cw_go_innermost_signal(struct cw_go_unwinder *u, uint64_t pc, uint64_t sp, uint64_t lo, uint64_t hi,
			   struct cw_go_siginfo *out)
{
	uint64_t sigpc, sigsp;
	int32_t signo;
	return signal_frame_info(u, pc, sp, lo, hi, &sigpc, &sigsp, &signo, out);
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
