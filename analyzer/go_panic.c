/* The panic chain of the crashed goroutine (g._panic, linked by link),
 * listed the way runtime.printpanics prints it, then the fatal error and
 * the fault. */
#include "config.h"
#include "analyzer/go_panic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/go_fatal.h"
#include "analyzer/go_fault.h"
#include "analyzer/go_layout.h"
#include "analyzer/go_moduledata.h"
#include "common/cleanup.h"

/* printpanics recurses once per record; a longer chain is corrupt. */
#define PANIC_CHAIN_MAX 256

struct panic_rec {
	uint64_t addr;
	uint64_t arg_type, arg_data;
	bool recovered, goexit, repanicked;
};

int cw_go_types_init(struct cw_go_ctx *ctx, struct cw_go_types *t)
{
	memset(t, 0, sizeof(*t));
	t->mem = ctx->mem;
	t->go_minor = ctx->go_minor;
	t->version = ctx->version;
	t->layout = ctx->layout ? ctx->layout : cw_go_layout_for(ctx->go_minor, NULL);
	if (!t->layout)
		return -ENOTSUP;
	struct cw_go_moduledata md;
	int r = cw_go_moduledata_read(ctx->mem, ctx->pcln, ctx->load_bias, t->layout, &md);
	if (r < 0)
		return r;
	if (md.etypes <= md.types)
		return -EBADMSG;
	t->types = md.types;
	t->etypes = md.etypes;
	return 0;
}

static int read_bool(struct cw_mem *mem, uint64_t base, struct cw_go_field f, bool *v)
{
	*v = false;
	if (!cw_go_has(f))
		return 0;
	uint8_t b;
	if (cw_mem_u8(mem, base + (uint64_t)f.off, &b) < 0)
		return -EFAULT;
	*v = b != 0;
	return 0;
}

static int read_panic(struct cw_mem *mem, const struct cw_go_layout *l, uint64_t addr,
		      struct panic_rec *out, uint64_t *link)
{
	memset(out, 0, sizeof(*out));
	out->addr = addr;
	uint64_t arg = addr + (uint64_t)l->panic_arg.off;
	if (cw_mem_ptr(mem, arg + (uint64_t)l->eface_type.off, &out->arg_type) < 0 ||
	    cw_mem_ptr(mem, arg + (uint64_t)l->eface_data.off, &out->arg_data) < 0 ||
	    cw_mem_ptr(mem, addr + (uint64_t)l->panic_link.off, link) < 0)
		return -EFAULT;
	if (read_bool(mem, addr, l->panic_recovered, &out->recovered) < 0 ||
	    read_bool(mem, addr, l->panic_goexit, &out->goexit) < 0 ||
	    read_bool(mem, addr, l->panic_repanicked, &out->repanicked) < 0)
		return -EFAULT;
	return 0;
}

/* g._panic, newest first. */
static int read_chain(struct cw_go_ctx *ctx, const struct cw_go_layout *l, uint64_t g,
		      struct panic_rec *recs, size_t *n)
{
	*n = 0;
	uint64_t p;
	if (cw_mem_ptr(ctx->mem, g + (uint64_t)l->g_panic.off, &p) < 0)
		return -EFAULT;
	while (p != 0) {
		if (*n == PANIC_CHAIN_MAX)
			return -ELOOP;
		uint64_t link;
		int r = read_panic(ctx->mem, l, p, &recs[*n], &link);
		if (r < 0)
			return r;
		(*n)++;
		p = link;
	}
	return 0;
}

static bool is_gopanic(const char *fn)
{
	return fn && (strcmp(fn, "runtime.gopanic") == 0 || strcmp(fn, "panic") == 0);
}

static bool starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The dynamic type of a value preprintpanics already turned into a string
 * (error.Error() / Stringer.String()): known when the runtime itself
 * raised the panic (its caller frame and message say which error type);
 * NULL when not recoverable. */
static const char *runtime_error_type(const char *caller, const char *msg)
{
	if (!caller || !msg)
		return NULL;
	/* (*PanicNilError).Error: 1.21+, with "runtime error: " from 1.27 */
	if (strcmp(msg, "panic called with nil argument") == 0 ||
	    strcmp(msg, "runtime error: panic called with nil argument") == 0)
		return "*runtime.PanicNilError";
	if (!starts_with(caller, "runtime."))
		return NULL;
	if (starts_with(caller, "runtime.goPanicIndex") || starts_with(caller, "runtime.goPanicSlice") ||
	    starts_with(caller, "runtime.goPanicExtend") || starts_with(caller, "runtime.panicIndex") ||
	    starts_with(caller, "runtime.panicSlice") || starts_with(caller, "runtime.panicBounds") ||
	    starts_with(caller, "runtime.panicExtend"))
		return "runtime.boundsError";
	if (strcmp(caller, "runtime.panicdottypeE") == 0 || strcmp(caller, "runtime.panicdottypeI") == 0 ||
	    strcmp(caller, "runtime.panicnildottype") == 0 || starts_with(msg, "interface conversion: "))
		return "*runtime.TypeAssertionError";
	if (strcmp(caller, "runtime.panicmemAddr") == 0)
		return "runtime.errorAddressString";
	if (starts_with(msg, "runtime error: "))
		return "runtime.errorString";
	return "runtime.plainError";
}

/* The caller of the nth runtime.gopanic frame of g (innermost first, as
 * the non-goexit chain records are newest first), or NULL. */
static const char *caller_of_panic_frame(const struct cw_goroutine *g, size_t nth)
{
	size_t seen = 0;
	for (size_t i = 0; g && i < g->nframes; i++) {
		if (!is_gopanic(g->frames[i].function))
			continue;
		if (seen++ == nth)
			return i + 1 < g->nframes ? g->frames[i + 1].function : NULL;
	}
	return NULL;
}

/* A new zeroed panic at the end of a's list, or NULL without memory. */
static struct cw_panic *append_panic(struct cw_analysis *a)
{
	struct cw_panic *np = realloc(a->panics, (a->npanics + 1) * sizeof(*np));
	if (!np)
		return NULL;
	a->panics = np;
	struct cw_panic *p = &a->panics[a->npanics++];
	memset(p, 0, sizeof(*p));
	return p;
}

/* Adds the panic of rec to a. During a panic during panic, a value that
 * cannot be read is the one the runtime faulted on: it is listed with
 * what was printed of it and no message, and *last says that the runtime
 * printed no more panics. */
static int emit_panic(struct cw_analysis *a, const struct cw_go_types *types, const struct panic_rec *rec,
		      const char *caller, bool *last)
{
	_cleanup_free_ char *msg = NULL, *type = NULL;
	int r = cw_go_panic_value(types, rec->arg_type, rec->arg_data, &msg, &type);
	if (r == -EFAULT && a->panic_during_panic) {
		free(type);
		type = NULL;
		r = cw_go_panic_value_prefix(types, rec->arg_type, &msg, &type);
		if (r < 0)
			return r;
		*last = true;
		struct cw_panic *p = append_panic(a);
		if (!p)
			return -ENOMEM;
		p->printed = CW_TAKE_PTR(msg);
		p->type = CW_TAKE_PTR(type);
		return 0;
	}
	if (r < 0)
		return r;
	if (type && strcmp(type, "string") == 0) {
		const char *orig = runtime_error_type(caller, msg);
		if (orig) {
			free(type);
			type = strdup(orig);
			if (!type)
				return -ENOMEM;
		}
	}
	struct cw_panic *p = append_panic(a);
	if (!p)
		return -ENOMEM;
	p->message = cw_go_unindented_string(msg, cw_go_types_quirk(types, CW_GO_QUIRK_PRINT_INDENTED));
	if (!p->message) {
		a->npanics--;
		return -ENOMEM;
	}
	p->printed = CW_TAKE_PTR(msg);
	p->type = CW_TAKE_PTR(type);
	p->recovered = rec->recovered;
	/* the mark: 1.25 prints it for every repanicked record, 1.26 for recovered ones */
	p->repanicked = rec->repanicked && (cw_go_types_quirk(types, CW_GO_QUIRK_REPANICKED_MARK_ALL) || rec->recovered);
	p->goexit = rec->goexit;
	return 0;
}

/* Without a known crashed goroutine: the one running goroutine that has
 * a panic record, if there is exactly one. */
static const struct cw_goroutine *only_running_panicking(struct cw_go_ctx *ctx, const struct cw_go_layout *l,
							 const struct cw_analysis *a)
{
	const struct cw_goroutine *found = NULL;
	if (!cw_go_has(l->g_panic))
		return NULL;
	for (size_t i = 0; i < a->ngoroutines; i++) {
		const struct cw_goroutine *g = &a->goroutines[i];
		uint64_t p;
		if ((g->atomicstatus & ~(uint32_t)CW_G_SCAN) != CW_G_RUNNING || !g->g_addr ||
		    cw_mem_ptr(ctx->mem, g->g_addr + (uint64_t)l->g_panic.off, &p) < 0 || p == 0)
			continue;
		if (found)
			return NULL;
		found = g;
	}
	return found;
}

/* Records in printpanics order: oldest first; a goexit record prints
 * nothing, and from 1.25 a record whose link was marked repanicked by
 * preprintpanics is skipped (its value is printed once, on the link, with
 * " [recovered, repanicked]"). */
static int collect_chain(struct cw_go_ctx *ctx, const struct cw_go_layout *l, struct cw_analysis *a)
{
	const struct cw_goroutine *g = cw_analysis_crashed_goroutine(a);
	if (!g)
		g = only_running_panicking(ctx, l, a);
	if (!g || g->g_addr == 0)
		return 0;
	if (!cw_go_has(l->g_panic) || !cw_go_has(l->panic_arg) || !cw_go_has(l->panic_link) ||
	    !cw_go_has(l->eface_type) || !cw_go_has(l->eface_data))
		return -ENOTSUP;
	_cleanup_free_ struct panic_rec *recs = calloc(PANIC_CHAIN_MAX, sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	size_t n = 0;
	int r = read_chain(ctx, l, g->g_addr, recs, &n);
	if (r < 0)
		return r;
	if (n == 0)
		return 0;
	struct cw_go_types types;
	r = cw_go_types_init(ctx, &types);
	if (r < 0)
		return r;
	/* which gopanic frame (innermost first) belongs to record k */
	size_t gopanic_index[PANIC_CHAIN_MAX];
	for (size_t k = 0, seen = 0; k < n; k++)
		gopanic_index[k] = recs[k].goexit ? SIZE_MAX : seen++;
	for (size_t i = n; i-- > 0;) {
		const struct panic_rec *rec = &recs[i];
		if (rec->goexit)
			continue;
		if (i + 1 < n && recs[i + 1].repanicked && cw_go_ctx_quirk(ctx, CW_GO_QUIRK_REPANICKED_MARK))
			continue;
		const char *caller = caller_of_panic_frame(g, gopanic_index[i]);
		bool last = false;
		r = emit_panic(a, &types, rec, caller, &last);
		if (r < 0)
			return r;
		if (last)
			break;
	}
	return 0;
}

int cw_go_collect_panics(struct cw_go_ctx *ctx, struct cw_analysis *a)
{
	const struct cw_go_layout *l = ctx->layout ? ctx->layout : cw_go_layout_for(ctx->go_minor, NULL);
	if (!l)
		return -ENOTSUP;
	int first_err = 0;
	/* throw prints no panic lines; fatal prints the pending panics first
	 * from 1.26 (printPreFatalDeferPanic) */
	_cleanup_free_ char *fatal = NULL;
	bool via_fatal = false;
	int fr = cw_go_fatal_message(ctx, a, &fatal, &via_fatal);
	bool thrower = fr == 0 || fr == -EBADMSG;
	/* startpanic_m on an m already dying (m.dying 1 -> 2) printed "panic
	 * during panic": a fault while the panics or tracebacks were printed,
	 * after printpanics had started (1.18-1.20 through the throw of the
	 * fault, whose fatal error follows the "panic: " it interrupted) */
	a->panic_during_panic = cw_go_panic_during_panic(ctx);
	if (fr == 0) {
		free(a->fatal_error);
		a->fatal_error = CW_TAKE_PTR(fatal);
	} else if (fr != -ENOENT) {
		cw_analysis_warn(a, "fatal error message not recovered: %s", strerror(-fr));
	}
	if (!thrower || a->panic_during_panic || (via_fatal && cw_go_ctx_quirk(ctx, CW_GO_QUIRK_FATAL_PRINTS_PANICS))) {
		int r = collect_chain(ctx, l, a);
		if (r < 0) {
			cw_analysis_warn(a, "panic chain unreadable: %s", strerror(-r));
			first_err = r;
		}
	}
	int r = cw_go_collect_fault(ctx, a);
	if (r < 0) {
		cw_analysis_warn(a, "fault details unreadable: %s", strerror(-r));
		if (!first_err)
			first_err = r;
	}
	return first_err == -ENOMEM ? first_err : 0;
}
