/* Go pclntab (1.18+): header, function table, _func records, pc-value
 * tables, file:line. Checked against runtime/symtab.go, runtime2.go
 * (_func), internal/abi/symtab.go and cmd/link/internal/ld/pcln.go of
 * every release 1.18 .. 1.27. All table reads go through the accessors
 * below; every loop is bounded by the table size. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/go_pclntab_internal.h"
#include "common/cleanup.h"

/* _func field offsets (runtime2.go); startLine exists from 1.20 (magic
 * 0xfffffff1) and shifts funcID/flag/nfuncdata by 4. */
#define FUNC_ENTRYOFF 0
#define FUNC_NAMEOFF 4
#define FUNC_ARGS 8
#define FUNC_DEFERRETURN 12
#define FUNC_PCSP 16
#define FUNC_PCFILE 20
#define FUNC_PCLN 24
#define FUNC_NPCDATA 28
#define FUNC_CUOFFSET 32
#define FUNC_STARTLINE 36

/* Longest name or file string accepted (runtime has no limit; 64 KiB
 * keeps a hostile table from making us scan megabytes per lookup). */
#define MAX_CSTR 65536u
/* A varint of a uint32 is at most 5 bytes. */
#define MAX_VARINT 5u

bool cw_pcln_rd_u32(const struct cw_pcln *p, size_t off, uint32_t *v)
{
	if (off > p->len || p->len - off < 4)
		return false;
	const uint8_t *b = p->data + off;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return true;
}

bool cw_pcln_rd_uptr(const struct cw_pcln *p, size_t off, uint64_t *v)
{
	uint32_t lo, hi = 0;
	if (!cw_pcln_rd_u32(p, off, &lo))
		return false;
	if (p->ptr_size == 8 && !cw_pcln_rd_u32(p, off + 4, &hi))
		return false;
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

const char *cw_pcln_rd_cstr(const struct cw_pcln *p, const struct cw_pcln_region *r, size_t off)
{
	if (off >= r->len)
		return NULL;
	const char *s = (const char *)p->data + r->off + off;
	size_t room = r->len - off;
	if (room > MAX_CSTR)
		room = MAX_CSTR;
	if (!memchr(s, '\0', room))
		return NULL;
	return s;
}

const char *cw_pcln_name_at(const struct cw_pcln *p, int32_t nameoff)
{
	if (nameoff < 0)
		return NULL;
	return cw_pcln_rd_cstr(p, &p->funcnametab, (size_t)nameoff);
}

/* raw funcID -> enum cw_funcid, per numbering scheme (internal/abi/symtab.go,
 * runtime/symtab.go before 1.21). */
static const uint8_t funcid_118[] = {
	CW_FUNCID_NORMAL, CW_FUNCID_ABORT, CW_FUNCID_ASMCGOCALL, CW_FUNCID_ASYNCPREEMPT,
	CW_FUNCID_CGOCALLBACK, CW_FUNCID_DEBUGCALLV2, CW_FUNCID_GCBGMARKWORKER, CW_FUNCID_GOEXIT,
	CW_FUNCID_GOGO, CW_FUNCID_GOPANIC, CW_FUNCID_HANDLEASYNCEVENT, CW_FUNCID_MCALL,
	CW_FUNCID_MORESTACK, CW_FUNCID_MSTART, CW_FUNCID_PANICWRAP, CW_FUNCID_RT0_GO,
	CW_FUNCID_RUNFINQ, CW_FUNCID_RUNTIME_MAIN, CW_FUNCID_SIGPANIC, CW_FUNCID_SYSTEMSTACK,
	CW_FUNCID_SYSTEMSTACK_SWITCH, CW_FUNCID_WRAPPER,
};
static const uint8_t funcid_122[] = {
	CW_FUNCID_NORMAL, CW_FUNCID_ABORT, CW_FUNCID_ASMCGOCALL, CW_FUNCID_ASYNCPREEMPT,
	CW_FUNCID_CGOCALLBACK, CW_FUNCID_CORO_EXIT, CW_FUNCID_DEBUGCALLV2, CW_FUNCID_GCBGMARKWORKER,
	CW_FUNCID_GOEXIT, CW_FUNCID_GOGO, CW_FUNCID_GOPANIC, CW_FUNCID_HANDLEASYNCEVENT,
	CW_FUNCID_MCALL, CW_FUNCID_MORESTACK, CW_FUNCID_MSTART, CW_FUNCID_PANICWRAP,
	CW_FUNCID_RT0_GO, CW_FUNCID_RUNFINQ, CW_FUNCID_RUNTIME_MAIN, CW_FUNCID_SIGPANIC,
	CW_FUNCID_SYSTEMSTACK, CW_FUNCID_SYSTEMSTACK_SWITCH, CW_FUNCID_WRAPPER,
};
static const uint8_t funcid_125[] = {
	CW_FUNCID_NORMAL, CW_FUNCID_ABORT, CW_FUNCID_ASMCGOCALL, CW_FUNCID_ASYNCPREEMPT,
	CW_FUNCID_CGOCALLBACK, CW_FUNCID_CORO_EXIT, CW_FUNCID_DEBUGCALLV2, CW_FUNCID_GCBGMARKWORKER,
	CW_FUNCID_GOEXIT, CW_FUNCID_GOGO, CW_FUNCID_GOPANIC, CW_FUNCID_HANDLEASYNCEVENT,
	CW_FUNCID_MCALL, CW_FUNCID_MORESTACK, CW_FUNCID_MSTART, CW_FUNCID_PANICWRAP,
	CW_FUNCID_RT0_GO, CW_FUNCID_RUNTIME_MAIN, CW_FUNCID_RUNFINQ, CW_FUNCID_RUN_CLEANUPS,
	CW_FUNCID_SIGPANIC, CW_FUNCID_SYSTEMSTACK, CW_FUNCID_SYSTEMSTACK_SWITCH, CW_FUNCID_WRAPPER,
};

uint8_t cw_pcln_norm_funcid(const struct cw_pcln *p, uint8_t raw)
{
	const uint8_t *map;
	size_t n;
	switch (p->scheme) {
	case CW_FUNCID_SCHEME_118: map = funcid_118; n = sizeof(funcid_118); break;
	case CW_FUNCID_SCHEME_125: map = funcid_125; n = sizeof(funcid_125); break;
	default: map = funcid_122; n = sizeof(funcid_122); break;
	}
	return raw < n ? map[raw] : CW_FUNCID_UNKNOWN;
}

int cw_pcln_parse_header(struct cw_pcln *p, const uint8_t *data, size_t len)
{
	if (len > UINT32_MAX)
		len = UINT32_MAX;   /* offsets in the table are 32-bit */
	p->data = data;
	p->len = len;
	p->ptr_size = 8;
	uint32_t magic;
	if (!cw_pcln_rd_u32(p, 0, &magic))
		return -EBADMSG;
	if (magic != CW_PCLN_MAGIC_118 && magic != CW_PCLN_MAGIC_120) {
		/* 1.2 .. 1.17 tables have older magics */
		if (magic == 0xfffffffbu || magic == 0xfffffffau)
			return -ENOTSUP;
		return -EBADMSG;
	}
	if (len < 8 || data[4] != 0 || data[5] != 0)
		return -EBADMSG;
	uint8_t q = data[6], ps = data[7];
	if ((q != 1 && q != 2 && q != 4) || (ps != 4 && ps != 8))
		return -EBADMSG;
	p->magic = magic;
	p->quantum = q;
	p->ptr_size = ps;
	uint64_t f[8];
	for (size_t i = 0; i < 8; i++)
		if (!cw_pcln_rd_uptr(p, 8 + i * ps, &f[i]))
			return -EBADMSG;
	size_t hdr = 8 + 8 * (size_t)ps;
	/* nfunc, nfiles, textStart, funcname, cu, filetab, pctab, pcln */
	uint64_t offs[5] = { f[3], f[4], f[5], f[6], f[7] };
	for (size_t i = 0; i < 5; i++) {
		if (offs[i] < hdr || offs[i] > len || (i > 0 && offs[i] < offs[i - 1]))
			return -EBADMSG;
	}
	p->funcnametab = (struct cw_pcln_region){ offs[0], offs[1] - offs[0] };
	p->cutab = (struct cw_pcln_region){ offs[1], offs[2] - offs[1] };
	p->filetab = (struct cw_pcln_region){ offs[2], offs[3] - offs[2] };
	p->pctab = (struct cw_pcln_region){ offs[3], offs[4] - offs[3] };
	p->pclntable = (struct cw_pcln_region){ offs[4], len - offs[4] };
	/* functab: nfunc+1 {entryoff, funcoff} pairs at the start of pclntable */
	if (f[0] == 0 || f[0] > p->pclntable.len / 8 - 1 || p->pclntable.len < 8)
		return -EBADMSG;
	p->nfunc = (size_t)f[0];
	p->nfiles = f[1];
	p->text_start = f[2];
	p->func_hdr_size = magic == CW_PCLN_MAGIC_118 ? 40 : 44;
	return 0;
}

static bool ftab_entry(const struct cw_pcln *p, size_t i, uint32_t *entryoff, uint32_t *funcoff)
{
	size_t off = p->pclntable.off + i * 8;
	return cw_pcln_rd_u32(p, off, entryoff) && cw_pcln_rd_u32(p, off + 4, funcoff);
}

/* _func field at offset field of the record at absolute table offset func_off */
static bool func_u32(const struct cw_pcln *p, uint32_t func_off, size_t field, uint32_t *v)
{
	return cw_pcln_rd_u32(p, (size_t)func_off + field, v);
}

static int decode_func(const struct cw_pcln *p, size_t i, struct cw_func *f)
{
	uint32_t entryoff, funcoff, next_entry, next_funcoff;
	if (!ftab_entry(p, i, &entryoff, &funcoff) || !ftab_entry(p, i + 1, &next_entry, &next_funcoff))
		return -EBADMSG;
	if (funcoff > p->pclntable.len || p->pclntable.len - funcoff < p->func_hdr_size)
		return -EBADMSG;
	uint32_t abs = (uint32_t)(p->pclntable.off + funcoff);
	uint32_t e, nameoff, args, deferret, startline = 0;
	if (!func_u32(p, abs, FUNC_ENTRYOFF, &e) || !func_u32(p, abs, FUNC_NAMEOFF, &nameoff) ||
	    !func_u32(p, abs, FUNC_ARGS, &args) || !func_u32(p, abs, FUNC_DEFERRETURN, &deferret))
		return -EBADMSG;
	if (p->magic != CW_PCLN_MAGIC_118 && !func_u32(p, abs, FUNC_STARTLINE, &startline))
		return -EBADMSG;
	const char *name = cw_pcln_name_at(p, (int32_t)nameoff);
	if (!name)
		return -EBADMSG;
	const uint8_t *tail = p->data + abs + p->func_hdr_size - 4;   /* funcID, flag, pad, nfuncdata */
	*f = (struct cw_func){
		.entry = p->text_start + e,
		.end = p->text_start + next_entry,
		.name = name,
		.args = (int32_t)args,
		.deferreturn = deferret,
		.funcid = cw_pcln_norm_funcid(p, tail[0]),
		.flag = tail[1],
		.start_line = startline,
		.func_off = abs,
	};
	if (f->end < f->entry)
		f->end = f->entry;
	return 0;
}

/* Index of the function holding pc: binary search of the functab. */
static int find_index(const struct cw_pcln *p, uint64_t pc, size_t *idx)
{
	if (pc < p->text_start)
		return -ENOENT;
	uint64_t off = pc - p->text_start;
	uint32_t first, last, fo;
	if (!ftab_entry(p, 0, &first, &fo) || !ftab_entry(p, p->nfunc, &last, &fo))
		return -EBADMSG;
	if (off < first || off >= last)
		return -ENOENT;
	size_t lo = 0, hi = p->nfunc;   /* invariant: entry[lo] <= off < entry[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t e;
		if (!ftab_entry(p, mid, &e, &fo))
			return -EBADMSG;
		if (e <= off)
			lo = mid;
		else
			hi = mid;
	}
	*idx = lo;
	return 0;
}

int cw_pcln_func(const struct cw_pcln *p, uint64_t pc, struct cw_func *f)
{
	size_t i;
	int r = find_index(p, pc, &i);
	if (r < 0)
		return r;
	return decode_func(p, i, f);
}

static void detect_scheme(struct cw_pcln *p)
{
	struct cw_func f;
	/* runtime.sigpanic exists in every Go program; its raw funcID differs
	 * in each numbering: 18 (1.18-1.21), 19 (1.22-1.24), 20 (1.25+). */
	p->scheme = CW_FUNCID_SCHEME_122;
	if (p->magic == CW_PCLN_MAGIC_118) {
		p->scheme = CW_FUNCID_SCHEME_118;
		return;
	}
	if (cw_pcln_func_by_name(p, "runtime.sigpanic", &f) < 0)
		return;
	const uint8_t raw = p->data[f.func_off + p->func_hdr_size - 4];
	if (raw == 18)
		p->scheme = CW_FUNCID_SCHEME_118;
	else if (raw == 20)
		p->scheme = CW_FUNCID_SCHEME_125;
}

static int validate_functab(const struct cw_pcln *p)
{
	uint32_t prev = 0, e, fo;
	for (size_t i = 0; i <= p->nfunc; i++) {
		if (!ftab_entry(p, i, &e, &fo))
			return -EBADMSG;
		if (e < prev)
			return -EBADMSG;
		prev = e;
	}
	return 0;
}

int cw_pcln_new(const uint8_t *data, size_t len, bool copy, uint64_t text_start, struct cw_pcln **out)
{
	_cleanup_free_ struct cw_pcln *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (copy) {
		p->owned = malloc(len ? len : 1);
		if (!p->owned)
			return -ENOMEM;
		memcpy(p->owned, data, len);
		data = p->owned;
	}
	int r = cw_pcln_parse_header(p, data, len);
	if (r == 0)
		r = validate_functab(p);
	if (r == 0) {
		p->cache = calloc(1, sizeof(*p->cache));
		if (!p->cache)
			r = -ENOMEM;
	}
	if (r < 0) {
		free(p->owned);
		return r;
	}
	if (text_start)
		p->text_start = text_start;
	detect_scheme(p);
	*out = CW_TAKE_PTR(p);
	return 0;
}

int cw_pcln_open_bytes(const uint8_t *data, size_t len, uint64_t text_start, struct cw_pcln **out)
{
	if (!data || !out)
		return -EINVAL;
	return cw_pcln_new(data, len, true, text_start, out);
}

void cw_pcln_free(struct cw_pcln *p)
{
	if (!p)
		return;
	if (p->cache) {
		free(p->cache->last_name);
		free(p->cache->frames);
	}
	free(p->cache);
	free(p->owned);
	free(p);
}

int cw_pcln_set_gofunc(struct cw_pcln *p, uint64_t addr, const uint8_t *data, size_t len)
{
	if (!p || (!data && len))
		return -EINVAL;
	p->gofunc = (struct cw_pcln_view){ addr, data, len };
	if (p->cache && p->cache->frames)   /* cached frames came from the old tree */
		memset(p->cache->frames, 0, CW_PCLN_FC_SIZE * sizeof(*p->cache->frames));
	return 0;
}

uint64_t cw_pcln_gofunc(const struct cw_pcln *p) { return p->gofunc.addr; }

bool cw_pcln_two_group_names(const struct cw_pcln *p) { return p->two_group_names; }
const char *cw_pcln_layout(const struct cw_pcln *p) { return p->magic == CW_PCLN_MAGIC_118 ? "1.18" : "1.20"; }
uint64_t cw_pcln_text_start(const struct cw_pcln *p) { return p->text_start; }
uint64_t cw_pcln_addr(const struct cw_pcln *p) { return p->addr; }
uint64_t cw_pcln_moduledata_addr(const struct cw_pcln *p) { return p->md_addr; }
size_t cw_pcln_nfuncs(const struct cw_pcln *p) { return p->nfunc; }
unsigned cw_pcln_ptr_size(const struct cw_pcln *p) { return p->ptr_size; }
unsigned cw_pcln_quantum(const struct cw_pcln *p) { return p->quantum; }

uint64_t cw_pcln_min_pc(const struct cw_pcln *p)
{
	uint32_t e = 0, fo;
	ftab_entry(p, 0, &e, &fo);
	return p->text_start + e;
}

uint64_t cw_pcln_max_pc(const struct cw_pcln *p)
{
	uint32_t e = 0, fo;
	ftab_entry(p, p->nfunc, &e, &fo);
	return p->text_start + e;
}

int cw_pcln_func_at(const struct cw_pcln *p, size_t i, struct cw_func *f)
{
	if (i >= p->nfunc)
		return -ENOENT;
	return decode_func(p, i, f);
}

int cw_pcln_func_by_name(const struct cw_pcln *p, const char *name, struct cw_func *f)
{
	struct cw_pcln_cache *c = p->cache;
	if (c && c->last_name && strcmp(c->last_name, name) == 0)
		return decode_func(p, c->last_index, f);
	for (size_t i = 0; i < p->nfunc; i++) {
		uint32_t e, funcoff, nameoff;
		if (!ftab_entry(p, i, &e, &funcoff) || funcoff > p->pclntable.len ||
		    !func_u32(p, (uint32_t)(p->pclntable.off + funcoff), FUNC_NAMEOFF, &nameoff))
			continue;
		const char *s = cw_pcln_name_at(p, (int32_t)nameoff);
		if (!s || strcmp(s, name) != 0)
			continue;
		int r = decode_func(p, i, f);
		if (r == 0 && c) {
			char *copy = strdup(name);
			if (copy) {
				free(c->last_name);
				c->last_name = copy;
				c->last_index = i;
			}
		}
		return r;
	}
	return -ENOENT;
}

/* One uvarint of at most 5 bytes from pctab at *pos (absolute offset). */
static bool read_varint(const struct cw_pcln *p, size_t end, size_t *pos, uint32_t *v)
{
	uint32_t val = 0;
	for (unsigned n = 0; n < MAX_VARINT; n++) {
		if (*pos >= end)
			return false;
		uint8_t b = p->data[(*pos)++];
		val |= (uint32_t)(b & 0x7f) << (7 * n);
		if (!(b & 0x80)) {
			*v = val;
			return true;
		}
	}
	return false;
}

static struct cw_pcln_cache_entry *cache_slot(const struct cw_pcln *p, uint32_t off, uint64_t pc)
{
	if (!p->cache)
		return NULL;
	uint64_t h = (pc * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)off * 0xc2b2ae3d27d4eb4full);
	return &p->cache->e[(h >> 40) % CW_PCLN_CACHE_SIZE];
}

/* runtime.pcvalue: value deltas (zigzag uvarint) and pc deltas (uvarint
 * times the quantum) from value -1 at the entry; the value applies to pcs
 * below the pc reached after each step. */
int cw_pcln_pcvalue(const struct cw_pcln *p, const struct cw_func *f, uint32_t off, uint64_t pc, int32_t *val)
{
	if (off == 0)
		return -ENOENT;
	if (off >= p->pctab.len || pc < f->entry)
		return -EBADMSG;
	struct cw_pcln_cache_entry *slot = cache_slot(p, off, pc);
	if (slot && slot->pc == pc + 1 && slot->off == off) {
		*val = slot->val;
		return 0;
	}
	size_t pos = p->pctab.off + off, end = p->pctab.off + p->pctab.len;
	uint64_t cur = f->entry;
	int32_t v = -1;
	/* each step consumes at least two bytes: the loop ends by itself */
	for (bool first = true;; first = false) {
		if (pos >= end)
			return -EBADMSG;
		if (p->data[pos] == 0 && !first)
			return -ENOENT;   /* end of table before pc: pc is not covered */
		uint32_t uv, pcd;
		if (!read_varint(p, end, &pos, &uv) || !read_varint(p, end, &pos, &pcd))
			return -EBADMSG;
		v = (int32_t)((uint32_t)v + (-(uv & 1) ^ (uv >> 1)));
		cur += (uint64_t)pcd * p->quantum;
		if (pc < cur)
			break;
	}
	if (slot)
		*slot = (struct cw_pcln_cache_entry){ .pc = pc + 1, .off = off, .val = v };
	*val = v;
	return 0;
}

int cw_pcln_spdelta(const struct cw_pcln *p, const struct cw_func *f, uint64_t pc, int32_t *delta)
{
	uint32_t off;
	if (!func_u32(p, f->func_off, FUNC_PCSP, &off))
		return -EBADMSG;
	return cw_pcln_pcvalue(p, f, off, pc, delta);
}

/* runtime.funcfile: cutab[cuOffset + fileno] is a filetab offset. */
static const char *func_file(const struct cw_pcln *p, const struct cw_func *f, int32_t fileno)
{
	uint32_t cuoff, fileoff;
	if (fileno < 0 || !func_u32(p, f->func_off, FUNC_CUOFFSET, &cuoff))
		return NULL;
	uint64_t idx = (uint64_t)cuoff + (uint64_t)fileno;
	if (idx >= p->cutab.len / 4 || !cw_pcln_rd_u32(p, p->cutab.off + (size_t)idx * 4, &fileoff))
		return NULL;
	if (fileoff == UINT32_MAX)
		return NULL;
	return cw_pcln_rd_cstr(p, &p->filetab, fileoff);
}

int cw_pcln_fileline(const struct cw_pcln *p, const struct cw_func *f, uint64_t pc, const char **file, int32_t *line)
{
	uint32_t pcfile, pcln;
	int32_t fileno, ln;
	*file = "?";
	*line = 0;
	if (!func_u32(p, f->func_off, FUNC_PCFILE, &pcfile) || !func_u32(p, f->func_off, FUNC_PCLN, &pcln))
		return -EBADMSG;
	int r = cw_pcln_pcvalue(p, f, pcfile, pc, &fileno);
	if (r < 0)
		return r;
	r = cw_pcln_pcvalue(p, f, pcln, pc, &ln);
	if (r < 0)
		return r;
	if (fileno == -1 || ln == -1)
		return -ENOENT;
	const char *s = func_file(p, f, fileno);
	if (!s)
		return -ENOENT;
	*file = s;
	*line = ln;
	return 0;
}

int cw_pcln_pcdata(const struct cw_pcln *p, const struct cw_func *f, uint32_t table, uint64_t pc, int32_t *val)
{
	uint32_t npcdata, off;
	if (!func_u32(p, f->func_off, FUNC_NPCDATA, &npcdata))
		return -EBADMSG;
	if (table >= npcdata)
		return -ENOENT;
	if (!cw_pcln_rd_u32(p, f->func_off + p->func_hdr_size + (size_t)table * 4, &off))
		return -EBADMSG;
	return cw_pcln_pcvalue(p, f, off, pc, val);
}

int cw_pcln_funcdata_off(const struct cw_pcln *p, const struct cw_func *f, uint32_t index, uint32_t *off)
{
	uint32_t npcdata;
	if (!func_u32(p, f->func_off, FUNC_NPCDATA, &npcdata))
		return -EBADMSG;
	uint8_t nfuncdata = p->data[f->func_off + p->func_hdr_size - 1];
	if (index >= nfuncdata)
		return -ENOENT;
	size_t at = (size_t)f->func_off + p->func_hdr_size + ((size_t)npcdata + index) * 4;
	if (!cw_pcln_rd_u32(p, at, off))
		return -EBADMSG;
	return *off == UINT32_MAX ? -ENOENT : 0;
}

int cw_pcln_funcdata(const struct cw_pcln *p, const struct cw_func *f, uint32_t index, uint64_t *addr)
{
	uint32_t off;
	int r = cw_pcln_funcdata_off(p, f, index, &off);
	if (r < 0)
		return r;
	if (!p->gofunc.addr)
		return -ENOENT;
	*addr = p->gofunc.addr + off;
	return 0;
}
