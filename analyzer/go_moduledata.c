/* runtime.moduledata: per-release layout (runtime/symtab.go 1.18 .. 1.26),
 * locating runtime.firstmoduledata in the executable, and reading it from
 * the process. Field order, per release:
 *   pcHeader, funcnametab, cutab, filetab, pctab, pclntable, ftab (slices),
 *   findfunctab, minpc, maxpc, text .. enoptrbss, covctrs/ecovctrs (1.20+),
 *   end, gcdata, gcbss, types, etypes, rodata, gofunc, epclntab (1.26+),
 *   textsectmap, typelinks, itablinks, ptab (slices), pluginpath (string),
 *   pkghashes, inittasks (1.21+), modulename, modulehashes, hasmain,
 *   bad (here from 1.23), gcdatamask, gcbssmask (bitvector), typemap,
 *   bad (here before 1.23), next. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "analyzer/go_moduledata.h"
#include "analyzer/go_pclntab_internal.h"

enum md_kind { K_PTR, K_SLICE, K_STRING, K_BYTE, K_BITVEC };

struct md_field {
	enum cw_go_md_field id;
	enum md_kind kind;
	int min_minor, max_minor;   /* releases that have the field here */
};

#define ALL 18, 99
static const struct md_field md_fields[] = {
	{ CW_MD_PCHEADER, K_PTR, ALL }, { CW_MD_FUNCNAMETAB, K_SLICE, ALL }, { CW_MD_CUTAB, K_SLICE, ALL },
	{ CW_MD_FILETAB, K_SLICE, ALL }, { CW_MD_PCTAB, K_SLICE, ALL }, { CW_MD_PCLNTABLE, K_SLICE, ALL },
	{ CW_MD_FTAB, K_SLICE, ALL }, { CW_MD_FINDFUNCTAB, K_PTR, ALL }, { CW_MD_MINPC, K_PTR, ALL },
	{ CW_MD_MAXPC, K_PTR, ALL }, { CW_MD_TEXT, K_PTR, ALL }, { CW_MD_ETEXT, K_PTR, ALL },
	{ CW_MD_NOPTRDATA, K_PTR, ALL }, { CW_MD_ENOPTRDATA, K_PTR, ALL }, { CW_MD_DATA, K_PTR, ALL },
	{ CW_MD_EDATA, K_PTR, ALL }, { CW_MD_BSS, K_PTR, ALL }, { CW_MD_EBSS, K_PTR, ALL },
	{ CW_MD_NOPTRBSS, K_PTR, ALL }, { CW_MD_ENOPTRBSS, K_PTR, ALL },
	{ CW_MD_COVCTRS, K_PTR, 20, 99 }, { CW_MD_ECOVCTRS, K_PTR, 20, 99 },
	{ CW_MD_END, K_PTR, ALL }, { CW_MD_GCDATA, K_PTR, ALL }, { CW_MD_GCBSS, K_PTR, ALL },
	{ CW_MD_TYPES, K_PTR, ALL }, { CW_MD_ETYPES, K_PTR, ALL }, { CW_MD_RODATA, K_PTR, ALL },
	{ CW_MD_GOFUNC, K_PTR, ALL }, { CW_MD_EPCLNTAB, K_PTR, 26, 99 },
	{ CW_MD_TEXTSECTMAP, K_SLICE, ALL }, { CW_MD_TYPELINKS, K_SLICE, ALL },
	{ CW_MD_ITABLINKS, K_SLICE, ALL }, { CW_MD_PTAB, K_SLICE, ALL },
	{ CW_MD_PLUGINPATH, K_STRING, ALL }, { CW_MD_PKGHASHES, K_SLICE, ALL },
	{ CW_MD_INITTASKS, K_SLICE, 21, 99 }, { CW_MD_MODULENAME, K_STRING, ALL },
	{ CW_MD_MODULEHASHES, K_SLICE, ALL }, { CW_MD_HASMAIN, K_BYTE, ALL },
	{ CW_MD_BAD, K_BYTE, 23, 99 }, { CW_MD_GCDATAMASK, K_BITVEC, ALL },
	{ CW_MD_GCBSSMASK, K_BITVEC, ALL }, { CW_MD_TYPEMAP, K_PTR, ALL },
	{ CW_MD_BAD, K_BYTE, 18, 22 }, { CW_MD_NEXT, K_PTR, ALL },
};

/* Newest release whose layout is known; later ones are read like it. */
#define MD_NEWEST_MINOR 26

int cw_go_moduledata_layout(int go_minor, unsigned ptr_size, struct cw_go_md_layout *out)
{
	if (go_minor < 18 || (ptr_size != 4 && ptr_size != 8))
		return -ENOTSUP;
	if (go_minor > MD_NEWEST_MINOR)
		go_minor = MD_NEWEST_MINOR;
	for (size_t i = 0; i < CW_MD_NFIELDS; i++)
		out->off[i] = UINT32_MAX;
	uint32_t off = 0;
	for (size_t i = 0; i < sizeof(md_fields) / sizeof(md_fields[0]); i++) {
		const struct md_field *f = &md_fields[i];
		if (go_minor < f->min_minor || go_minor > f->max_minor)
			continue;
		uint32_t size, align = ptr_size;
		switch (f->kind) {
		case K_PTR: size = ptr_size; break;
		case K_SLICE: size = 3 * ptr_size; break;
		case K_STRING: size = 2 * ptr_size; break;
		case K_BITVEC: size = 2 * ptr_size; break;   /* {n int32; bytedata *uint8} */
		default: size = 1; align = 1; break;
		}
		off = (off + align - 1) / align * align;
		out->off[f->id] = off;
		off += size;
	}
	out->size = (off + ptr_size - 1) / ptr_size * ptr_size;
	return 0;
}

/* --- the executable side ------------------------------------------------ */

/* cw_exe_symbol, only asked when there is a symtab */
static int exe_symbol(const struct cw_exe *exe, const char *name, uint64_t *addr, uint64_t *size)
{
	if (!cw_exe_has_symtab(exe))
		return -ENOENT;
	return cw_exe_symbol(exe, name, addr, size);
}

static uint64_t le_word(const uint8_t *b, unsigned ptr_size)
{
	uint64_t v = 0;
	for (unsigned i = ptr_size; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

static bool is_relative_reloc(uint16_t machine, uint32_t type)
{
	return (machine == EM_X86_64 && type == R_X86_64_RELATIVE) ||
	       (machine == EM_AARCH64 && type == R_AARCH64_RELATIVE);
}

/* Calls fn for every RELATIVE relocation (ELF64 RELA sections) until it
 * returns non-zero; returns that value or 0. Bounded by section sizes. */
static int for_each_relative(const struct cw_exe *exe, int (*fn)(uint64_t off, uint64_t addend, void *ud), void *ud)
{
	size_t fsize;
	const uint8_t *file = cw_exe_data(exe, &fsize);
	uint16_t machine = cw_exe_machine(exe);
	for (size_t i = 0; i < cw_exe_nsections(exe); i++) {
		const struct cw_exe_section *s = cw_exe_section(exe, i);
		if (!s || s->type != SHT_RELA || s->offset > fsize || fsize - s->offset < s->size)
			continue;
		for (uint64_t at = 0; at + sizeof(Elf64_Rela) <= s->size; at += sizeof(Elf64_Rela)) {
			Elf64_Rela r;
			memcpy(&r, file + s->offset + at, sizeof(r));
			if (!is_relative_reloc(machine, (uint32_t)ELF64_R_TYPE(r.r_info)))
				continue;
			int ret = fn(r.r_offset, (uint64_t)r.r_addend, ud);
			if (ret)
				return ret;
		}
	}
	return 0;
}

struct reloc_query { uint64_t key, val; };

static int match_offset(uint64_t off, uint64_t addend, void *ud)
{
	struct reloc_query *q = ud;
	if (off != q->key)
		return 0;
	q->val = addend;
	return 1;
}

int cw_go_file_word(const struct cw_exe *exe, uint64_t addr, unsigned ptr_size, uint64_t *val)
{
	uint8_t b[8];
	if (ptr_size != 4 && ptr_size != 8)
		return -EINVAL;
	if (cw_exe_read_vaddr(exe, addr, b, ptr_size) < 0)
		return -EFAULT;
	*val = le_word(b, ptr_size);
	if (*val != 0 || !cw_exe_is_pie(exe))
		return 0;
	struct reloc_query q = { .key = addr };
	if (for_each_relative(exe, match_offset, &q) == 1)
		*val = q.val;
	return 0;
}

/* Candidates checked at most (each check may scan the relocations: a
 * hostile file must not make the search quadratic). */
#define MD_MAX_CANDIDATES 64

struct md_candidate {
	const struct cw_exe *exe;
	uint64_t pcln_addr, funcname_off, pctab_off;
	unsigned ptr_size;
	uint64_t found;
	unsigned tried;
};

/* A word at addr that points to the pclntab is moduledata.pcHeader when
 * the funcnametab and pctab slice pointers that follow agree. */
static bool md_plausible(const struct md_candidate *c, uint64_t addr)
{
	uint64_t fn, pct, fnlen;
	unsigned ps = c->ptr_size;
	if (cw_go_file_word(c->exe, addr + ps, ps, &fn) < 0 ||
	    cw_go_file_word(c->exe, addr + 2 * ps, ps, &fnlen) < 0 ||
	    cw_go_file_word(c->exe, addr + ps + 3 * 3 * ps, ps, &pct) < 0)
		return false;
	return fn == c->pcln_addr + c->funcname_off && pct == c->pcln_addr + c->pctab_off && fnlen > 0;
}

static int match_addend(uint64_t off, uint64_t addend, void *ud)
{
	struct md_candidate *c = ud;
	if (addend != c->pcln_addr)
		return 0;
	if (++c->tried > MD_MAX_CANDIDATES)
		return -1;
	if (!md_plausible(c, off))
		return 0;
	c->found = off;
	return 1;
}

int cw_go_moduledata_find(const struct cw_exe *exe, uint64_t pcln_addr, unsigned ptr_size,
			  uint64_t funcname_off, uint64_t pctab_off, uint64_t *addr)
{
	if (exe_symbol(exe, "runtime.firstmoduledata", addr, NULL) == 0)
		return 0;
	if (!pcln_addr || (ptr_size != 4 && ptr_size != 8))
		return -ENOENT;
	struct md_candidate c = { exe, pcln_addr, funcname_off, pctab_off, ptr_size, 0, 0 };
	if (cw_exe_is_pie(exe) && for_each_relative(exe, match_addend, &c) == 1) {
		*addr = c.found;
		return 0;
	}
	size_t fsize;
	const uint8_t *file = cw_exe_data(exe, &fsize);
	for (size_t i = 0; i < cw_exe_nsegments(exe); i++) {
		const struct cw_exe_segment *s = cw_exe_segment(exe, i);
		if (!s || !(s->flags & PF_W) || s->offset > fsize || fsize - s->offset < s->filesz)
			continue;
		for (uint64_t at = 0; at + ptr_size <= s->filesz; at += ptr_size) {
			if (le_word(file + s->offset + at, ptr_size) != pcln_addr)
				continue;
			if (++c.tried > 2 * MD_MAX_CANDIDATES)
				return -ENOENT;
			if (md_plausible(&c, s->vaddr + at)) {
				*addr = s->vaddr + at;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* --- the process side --------------------------------------------------- */

static int rd_word(struct cw_mem *mem, uint64_t base, uint32_t off, unsigned ps, uint64_t *v)
{
	*v = 0;
	if (off == UINT32_MAX)
		return 0;
	if (ps == 8)
		return cw_mem_u64(mem, base + off, v);
	uint32_t w;
	int r = cw_mem_u32(mem, base + off, &w);
	*v = w;
	return r;
}

static int rd_slice(struct cw_mem *mem, uint64_t base, uint32_t off, unsigned ps, struct cw_go_slice *s)
{
	*s = (struct cw_go_slice){ 0 };
	if (off == UINT32_MAX)
		return 0;
	int r = rd_word(mem, base, off, ps, &s->ptr);
	if (r == 0)
		r = rd_word(mem, base, off + ps, ps, &s->len);
	if (r == 0)
		r = rd_word(mem, base, off + 2 * ps, ps, &s->cap);
	return r;
}

int cw_go_moduledata_read_at(struct cw_mem *mem, uint64_t addr, unsigned ps, int go_minor,
			     struct cw_go_moduledata *out)
{
	struct cw_go_md_layout l;
	int r = cw_go_moduledata_layout(go_minor, ps, &l);
	if (r < 0)
		return r;
	struct cw_go_moduledata m = { .addr = addr };
	struct { uint32_t f; uint64_t *dst; } words[] = {
		{ CW_MD_PCHEADER, &m.pcheader }, { CW_MD_FINDFUNCTAB, &m.findfunctab },
		{ CW_MD_MINPC, &m.minpc }, { CW_MD_MAXPC, &m.maxpc }, { CW_MD_TEXT, &m.text },
		{ CW_MD_ETEXT, &m.etext }, { CW_MD_NOPTRDATA, &m.noptrdata }, { CW_MD_ENOPTRDATA, &m.enoptrdata },
		{ CW_MD_DATA, &m.data }, { CW_MD_EDATA, &m.edata }, { CW_MD_BSS, &m.bss }, { CW_MD_EBSS, &m.ebss },
		{ CW_MD_NOPTRBSS, &m.noptrbss }, { CW_MD_ENOPTRBSS, &m.enoptrbss }, { CW_MD_COVCTRS, &m.covctrs },
		{ CW_MD_ECOVCTRS, &m.ecovctrs }, { CW_MD_END, &m.end }, { CW_MD_GCDATA, &m.gcdata },
		{ CW_MD_GCBSS, &m.gcbss }, { CW_MD_TYPES, &m.types }, { CW_MD_ETYPES, &m.etypes },
		{ CW_MD_RODATA, &m.rodata }, { CW_MD_GOFUNC, &m.gofunc }, { CW_MD_EPCLNTAB, &m.epclntab },
		{ CW_MD_PLUGINPATH, &m.pluginpath_ptr }, { CW_MD_MODULENAME, &m.modulename_ptr },
		{ CW_MD_NEXT, &m.next },
	};
	for (size_t i = 0; r == 0 && i < sizeof(words) / sizeof(words[0]); i++)
		r = rd_word(mem, addr, l.off[words[i].f], ps, words[i].dst);
	struct { uint32_t f; struct cw_go_slice *dst; } slices[] = {
		{ CW_MD_FUNCNAMETAB, &m.funcnametab }, { CW_MD_CUTAB, &m.cutab }, { CW_MD_FILETAB, &m.filetab },
		{ CW_MD_PCTAB, &m.pctab }, { CW_MD_PCLNTABLE, &m.pclntable }, { CW_MD_FTAB, &m.ftab },
		{ CW_MD_TEXTSECTMAP, &m.textsectmap }, { CW_MD_TYPELINKS, &m.typelinks },
		{ CW_MD_ITABLINKS, &m.itablinks }, { CW_MD_PTAB, &m.ptab }, { CW_MD_PKGHASHES, &m.pkghashes },
		{ CW_MD_INITTASKS, &m.inittasks }, { CW_MD_MODULEHASHES, &m.modulehashes },
	};
	for (size_t i = 0; r == 0 && i < sizeof(slices) / sizeof(slices[0]); i++)
		r = rd_slice(mem, addr, l.off[slices[i].f], ps, slices[i].dst);
	if (r == 0)
		r = rd_word(mem, addr, l.off[CW_MD_PLUGINPATH] + ps, ps, &m.pluginpath_len);
	if (r == 0)
		r = rd_word(mem, addr, l.off[CW_MD_MODULENAME] + ps, ps, &m.modulename_len);
	if (r == 0)
		r = cw_mem_u8(mem, addr + l.off[CW_MD_HASMAIN], &m.hasmain);
	if (r < 0)
		return -EFAULT;
	/* sanity: slices are len <= cap, text ranges ordered */
	if (m.funcnametab.len > m.funcnametab.cap || m.ftab.len > m.ftab.cap || m.text > m.etext ||
	    m.minpc > m.maxpc || m.types > m.etypes)
		return -EBADMSG;
	*out = m;
	return 0;
}

int cw_go_moduledata_read(struct cw_mem *mem, const struct cw_pcln *p, uint64_t load_bias,
			  int go_minor, struct cw_go_moduledata *out)
{
	if (!p->md_addr)
		return -ENOENT;
	struct cw_go_moduledata m;
	int r = cw_go_moduledata_read_at(mem, p->md_addr + load_bias, p->ptr_size, go_minor, &m);
	if (r < 0)
		return r;
	if ((p->addr && m.pcheader != p->addr + load_bias) || m.ftab.len != p->nfunc + 1)
		return -EBADMSG;
	*out = m;
	return 0;
}
