/* runtime.moduledata: locating runtime.firstmoduledata in the executable,
 * and reading it from the process with the field offsets of the binary's
 * release from the generated layout tables (go_layout.h md_*, read from the
 * DWARF of each release: runtime/symtab.go). */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "analyzer/go_layout.h"
#include "analyzer/go_moduledata.h"
#include "analyzer/go_pclntab_internal.h"

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

/* A pointer field at f (absent in this release: 0). */
static int rd_field(struct cw_mem *mem, uint64_t base, struct cw_go_field f, uint64_t *out)
{
	*out = 0;
	return cw_go_has(f) ? rd_word(mem, base, (uint32_t)f.off, 8, out) : 0;
}

static int rd_slice_field(struct cw_mem *mem, uint64_t base, struct cw_go_field f, struct cw_go_slice *out)
{
	memset(out, 0, sizeof(*out));
	return cw_go_has(f) ? rd_slice(mem, base, (uint32_t)f.off, 8, out) : 0;
}

int cw_go_moduledata_read_at(struct cw_mem *mem, uint64_t addr, const struct cw_go_layout *l,
			     struct cw_go_moduledata *out)
{
	if (!l || !cw_go_has(l->md_pc_header) || !cw_go_has(l->md_next) || !cw_go_has(l->md_hasmain))
		return -ENOTSUP;
	struct cw_go_moduledata m = { .addr = addr };
	struct { struct cw_go_field f; uint64_t *dst; } words[] = {
		{ l->md_pc_header, &m.pcheader }, { l->md_findfunctab, &m.findfunctab },
		{ l->md_minpc, &m.minpc }, { l->md_maxpc, &m.maxpc }, { l->md_text, &m.text },
		{ l->md_etext, &m.etext }, { l->md_noptrdata, &m.noptrdata }, { l->md_enoptrdata, &m.enoptrdata },
		{ l->md_data, &m.data }, { l->md_edata, &m.edata }, { l->md_bss, &m.bss }, { l->md_ebss, &m.ebss },
		{ l->md_noptrbss, &m.noptrbss }, { l->md_enoptrbss, &m.enoptrbss }, { l->md_covctrs, &m.covctrs },
		{ l->md_ecovctrs, &m.ecovctrs }, { l->md_end, &m.end }, { l->md_gcdata, &m.gcdata },
		{ l->md_gcbss, &m.gcbss }, { l->md_types, &m.types }, { l->md_etypes, &m.etypes },
		{ l->md_rodata, &m.rodata }, { l->md_gofunc, &m.gofunc }, { l->md_epclntab, &m.epclntab },
		{ l->md_pluginpath, &m.pluginpath_ptr }, { l->md_modulename, &m.modulename_ptr },
		{ l->md_next, &m.next },
	};
	int r = 0;
	for (size_t i = 0; r == 0 && i < sizeof(words) / sizeof(words[0]); i++)
		r = rd_field(mem, addr, words[i].f, words[i].dst);
	struct { struct cw_go_field f; struct cw_go_slice *dst; } slices[] = {
		{ l->md_funcnametab, &m.funcnametab }, { l->md_cutab, &m.cutab }, { l->md_filetab, &m.filetab },
		{ l->md_pctab, &m.pctab }, { l->md_pclntable, &m.pclntable }, { l->md_ftab, &m.ftab },
		{ l->md_textsectmap, &m.textsectmap }, { l->md_typelinks, &m.typelinks },
		{ l->md_itablinks, &m.itablinks }, { l->md_ptab, &m.ptab }, { l->md_pkghashes, &m.pkghashes },
		{ l->md_inittasks, &m.inittasks }, { l->md_modulehashes, &m.modulehashes },
	};
	for (size_t i = 0; r == 0 && i < sizeof(slices) / sizeof(slices[0]); i++)
		r = rd_slice_field(mem, addr, slices[i].f, slices[i].dst);
	/* strings: {ptr, len} */
	if (r == 0 && cw_go_has(l->md_pluginpath))
		r = rd_word(mem, addr, (uint32_t)l->md_pluginpath.off + 8, 8, &m.pluginpath_len);
	if (r == 0 && cw_go_has(l->md_modulename))
		r = rd_word(mem, addr, (uint32_t)l->md_modulename.off + 8, 8, &m.modulename_len);
	if (r == 0)
		r = cw_mem_u8(mem, addr + (uint32_t)l->md_hasmain.off, &m.hasmain);
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
			  const struct cw_go_layout *l, struct cw_go_moduledata *out)
{
	if (!p->md_addr)
		return -ENOENT;
	if (p->ptr_size != 8)
		return -ENOTSUP;   /* the layout tables are of 64-bit releases */
	struct cw_go_moduledata m;
	int r = cw_go_moduledata_read_at(mem, p->md_addr + load_bias, l, &m);
	if (r < 0)
		return r;
	if ((p->addr && m.pcheader != p->addr + load_bias) || m.ftab.len != p->nfunc + 1)
		return -EBADMSG;
	*out = m;
	return 0;
}
