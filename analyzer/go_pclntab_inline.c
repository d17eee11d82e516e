/* Inlined frames at a pc: PCDATA_InlTreeIndex selects a record of the
 * FUNCDATA_InlTree array (in go:func.*); each record names the inlined
 * function and the parentPc whose own inline index gives its caller.
 * Follows runtime/symtabinl.go (inlineUnwinder, 1.21+) and the inline loop
 * of gentraceback (traceback.go, 1.18-1.20); the inlinedCall record is
 * 20 bytes in 1.18-1.19 (parent, funcID, _, file, line, func_, parentPc)
 * and 16 bytes from 1.20 (funcID, _[3], nameOff, parentPc, startLine). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/go_pclntab_internal.h"

#define PCDATA_INLTREEINDEX 2
#define FUNCDATA_INLTREE 3
/* Deepest inline chain followed (the compiler's budget keeps real chains
 * far shorter; a hostile table could loop forever otherwise). */
#define MAX_INLINE_DEPTH 1024

struct inl_record {
	uint8_t funcid;      /* raw */
	int32_t nameoff;
	int32_t parent_pc;
};

static bool view_u32(const struct cw_pcln_view *v, uint64_t off, uint32_t *out)
{
	if (off > v->len || v->len - off < 4)
		return false;
	const uint8_t *b = v->data + off;
	*out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return true;
}

static int read_record(const struct cw_pcln *p, uint64_t tree_off, int32_t ix, struct inl_record *rec)
{
	const struct cw_pcln_view *v = &p->gofunc;
	bool old = p->magic == CW_PCLN_MAGIC_118;
	uint64_t size = old ? 20 : 16;
	uint64_t at = tree_off + (uint64_t)ix * size;
	uint32_t w0, name, ppc;
	if (at < tree_off || !view_u32(v, at, &w0) ||
	    !view_u32(v, at + (old ? 12 : 4), &name) || !view_u32(v, at + (old ? 16 : 8), &ppc))
		return -EBADMSG;
	rec->funcid = old ? (uint8_t)(w0 >> 16) : (uint8_t)w0;
	rec->nameoff = (int32_t)name;
	rec->parent_pc = (int32_t)ppc;
	return 0;
}

static int fill_frame(struct cw_pcframe *fr, const char *raw, uint8_t funcid, bool inlined,
		      const struct cw_pcln *p, const struct cw_func *f, uint64_t tracepc)
{
	*fr = (struct cw_pcframe){ .raw_name = raw, .inlined = inlined, .funcid = funcid };
	/* runtime.funcline1: "?", 0 when the tables do not say */
	cw_pcln_fileline(p, f, tracepc, &fr->file, &fr->line);
	fr->name = cw_go_func_name_for_print(raw, p->two_group_names);
	return fr->name ? 0 : -ENOMEM;
}

static int frames_uncached(const struct cw_pcln *p, uint64_t pc, struct cw_pcframe *frames, size_t max, size_t *n)
{
	struct cw_func f;
	*n = 0;
	int r = cw_pcln_func(p, pc, &f);
	if (r < 0)
		return r;
	uint32_t tree = 0;
	bool have_tree = p->gofunc.data && cw_pcln_funcdata_off(p, &f, FUNCDATA_INLTREE, &tree) == 0;
	uint64_t tracepc = pc;
	for (unsigned depth = 0; depth <= MAX_INLINE_DEPTH; depth++) {
		if (*n >= max)
			return -ENOBUFS;
		int32_t ix = -1;
		if (have_tree && cw_pcln_pcdata(p, &f, PCDATA_INLTREEINDEX, tracepc, &ix) < 0)
			ix = -1;
		struct inl_record rec;
		if (ix < 0 || depth == MAX_INLINE_DEPTH || read_record(p, tree, ix, &rec) < 0) {
			r = fill_frame(&frames[*n], f.name, f.funcid, false, p, &f, tracepc);
			if (r == 0)
				(*n)++;
			return r;
		}
		const char *name = cw_pcln_name_at(p, rec.nameoff);
		r = fill_frame(&frames[*n], name ? name : "?", cw_pcln_norm_funcid(p, rec.funcid), true, p, &f, tracepc);
		if (r < 0)
			return r;
		(*n)++;
		tracepc = f.entry + (uint64_t)(int64_t)rec.parent_pc;
		if (tracepc < f.entry || tracepc >= f.end)
			tracepc = f.entry;   /* hostile parentPc: stay inside the function */
	}
	return -EBADMSG;
}

static struct cw_pcln_fc_entry *fc_slot(const struct cw_pcln *p, uint64_t pc)
{
	struct cw_pcln_cache *c = p->cache;
	if (!c)
		return NULL;
	if (!c->frames)
		c->frames = calloc(CW_PCLN_FC_SIZE, sizeof(*c->frames));
	if (!c->frames)
		return NULL;
	return &c->frames[((pc * 0x9e3779b97f4a7c15ull) >> 40) % CW_PCLN_FC_SIZE];
}

int cw_pcln_frames(const struct cw_pcln *p, const struct cw_exe *exe, uint64_t pc,
		   struct cw_pcframe *frames, size_t max, size_t *n)
{
	struct cw_pcln_fc_entry *e = fc_slot(p, pc);
	*n = 0;
	if (e && e->pc == pc + 1 && e->n <= max) {
		for (size_t i = 0; i < e->n; i++) {
			const struct cw_pcln_fc_frame *c = &e->f[i];
			frames[i] = (struct cw_pcframe){ .raw_name = c->raw_name, .file = c->file, .line = c->line,
							 .inlined = c->inlined, .funcid = c->funcid };
			frames[i].name = cw_go_func_name_for_print(c->raw_name, p->two_group_names);
			if (!frames[i].name) {
				cw_pcframes_free(frames, i);
				return -ENOMEM;
			}
		}
		*n = e->n;
		return 0;
	}
	int r = frames_uncached(p, pc, frames, max, n);
	if (r == 0 && e && *n <= CW_PCLN_FC_DEPTH) {
		e->pc = pc + 1;
		e->n = (uint8_t)*n;
		for (size_t i = 0; i < *n; i++)
			e->f[i] = (struct cw_pcln_fc_frame){ frames[i].raw_name, frames[i].file, frames[i].line,
							     frames[i].funcid, frames[i].inlined };
	}
	return r;
}

void cw_pcframes_free(struct cw_pcframe *frames, size_t n)
{
	for (size_t i = 0; frames && i < n; i++) {
		free(frames[i].name);
		frames[i].name = NULL;
	}
}
