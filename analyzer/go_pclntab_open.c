/* cw_pcln_open: finds the pclntab in an executable (section .gopclntab,
 * else by its header magic inside the file's loadable data, as with
 * external linking or PIE layouts without the section name), the text
 * start for tables that do not record it (PIE: the header field is 0 in
 * the file; 1.26 no longer stores it), go:func.* for funcdata, and
 * runtime.firstmoduledata. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "analyzer/go_moduledata.h"
#include "analyzer/go_pclntab_internal.h"
#include "analyzer/go_quirks.h"

/* Only offsets with this alignment are tried when scanning for the magic
 * (the linker aligns runtime.pcheader to at least 4). */
#define MAGIC_ALIGN 4u
/* Headers validated at most while scanning (validation is O(nfunc)). */
#define MAX_SCAN_CANDIDATES 64

/* cw_exe_symbol, only asked when there is a symtab */
static int exe_symbol(const struct cw_exe *exe, const char *name, uint64_t *addr, uint64_t *size)
{
	if (!cw_exe_has_symtab(exe))
		return -ENOENT;
	return cw_exe_symbol(exe, name, addr, size);
}

/* The file bytes behind [addr, end of its PT_LOAD's file part). */
static int file_view(const struct cw_exe *exe, uint64_t addr, struct cw_pcln_view *v)
{
	size_t fsize;
	const uint8_t *file = cw_exe_data(exe, &fsize);
	for (size_t i = 0; i < cw_exe_nsegments(exe); i++) {
		const struct cw_exe_segment *s = cw_exe_segment(exe, i);
		if (!s || addr < s->vaddr || addr - s->vaddr >= s->filesz)
			continue;
		uint64_t in = addr - s->vaddr;
		if (s->offset > fsize || fsize - s->offset < s->filesz)
			return -EBADMSG;
		*v = (struct cw_pcln_view){ addr, file + s->offset + in, (size_t)(s->filesz - in) };
		return 0;
	}
	return -ENOENT;
}

/* Link-time address of a file offset, 0 when it is not loaded. */
static uint64_t offset_to_addr(const struct cw_exe *exe, uint64_t off)
{
	for (size_t i = 0; i < cw_exe_nsegments(exe); i++) {
		const struct cw_exe_segment *s = cw_exe_segment(exe, i);
		if (s && off >= s->offset && off - s->offset < s->filesz)
			return s->vaddr + (off - s->offset);
	}
	return 0;
}

static int open_section(const struct cw_exe *exe, struct cw_pcln **out)
{
	const struct cw_exe_section *s = cw_exe_section_by_name(exe, ".gopclntab");
	size_t fsize;
	const uint8_t *file = cw_exe_data(exe, &fsize);
	if (!s || s->offset > fsize || fsize - s->offset < s->size)
		return -ENOENT;
	int r = cw_pcln_new(file + s->offset, (size_t)s->size, false, 0, out);
	if (r == 0)
		(*out)->addr = s->addr;
	return r;
}

/* Scans loadable file data for a header that validates. */
static int open_scan(const struct cw_exe *exe, struct cw_pcln **out)
{
	size_t fsize;
	const uint8_t *file = cw_exe_data(exe, &fsize);
	int best = -ENOENT;
	unsigned tried = 0;
	for (size_t i = 0; i < cw_exe_nsegments(exe); i++) {
		const struct cw_exe_segment *s = cw_exe_segment(exe, i);
		if (!s || s->offset > fsize || fsize - s->offset < s->filesz)
			continue;
		const uint8_t *base = file + s->offset;
		for (uint64_t at = (MAGIC_ALIGN - s->offset % MAGIC_ALIGN) % MAGIC_ALIGN;
		     at + 8 <= s->filesz; at += MAGIC_ALIGN) {
			const uint8_t *h = base + at;
			if (h[1] != 0xff || h[2] != 0xff || h[3] != 0xff || (h[0] != 0xf0 && h[0] != 0xf1) ||
			    h[4] != 0 || h[5] != 0)
				continue;
			if (++tried > MAX_SCAN_CANDIDATES)
				return -EBADMSG;
			int r = cw_pcln_new(h, (size_t)(s->filesz - at), false, 0, out);
			if (r == 0) {
				(*out)->addr = offset_to_addr(exe, s->offset + at);
				return 0;
			}
			best = -EBADMSG;
		}
	}
	return best;
}

/* The offset of a moduledata field in a binary of ptr_size: the generated
 * table of a 64-bit release scaled, for fields preceded only by pointers
 * and slices (text, gofunc); -1 when the table lacks it. */
static int64_t md_word_off(const struct cw_go_layout *l, enum cw_go_field_id id, unsigned ptr_size)
{
	struct cw_go_field f;
	if (!l || cw_go_layout_field(l, id, &f, NULL, NULL) < 0 || !cw_go_has(f))
		return -1;
	return (int64_t)f.off / 8 * ptr_size;
}

static void find_text_start(const struct cw_exe *exe, struct cw_pcln *p)
{
	uint64_t v;
	if (p->text_start)
		return;
	if (exe_symbol(exe, "runtime.text", &v, NULL) == 0 && v) {
		p->text_start = v;
		return;
	}
	int64_t off = md_word_off(cw_go_layout_exact(18), CW_GOF_md_text, p->ptr_size);
	if (p->md_addr && off >= 0 &&
	    cw_go_file_word(exe, p->md_addr + (uint64_t)off, p->ptr_size, &v) == 0 && v) {
		p->text_start = v;   /* text precedes covctrs/epclntab: same offset in every release */
		return;
	}
	const struct cw_exe_section *s = cw_exe_section_by_name(exe, ".text");
	if (s)
		p->text_start = s->addr;
}

static void find_gofunc(const struct cw_exe *exe, const struct cw_go_version *release, struct cw_pcln *p)
{
	uint64_t addr = 0;
	if (exe_symbol(exe, "go:func.*", &addr, NULL) < 0 &&
	    exe_symbol(exe, "go.func.*", &addr, NULL) < 0 && p->md_addr) {
		/* gofunc's offset changes with the release (1.20 added covctrs
		 * before it, 1.27 the itab fields): the binary's own release
		 * decides; without one, the pclntab's magic (1.20's is
		 * 0xfffffff1) */
		uint64_t v;
		const struct cw_go_layout *l = release ? cw_go_layout_for_version(release, NULL) : NULL;
		if (!l)
			l = cw_go_layout_exact(p->magic == CW_PCLN_MAGIC_118 ? 18 : 20);
		int64_t off = md_word_off(l, CW_GOF_md_gofunc, p->ptr_size);
		if (off >= 0 && cw_go_file_word(exe, p->md_addr + (uint64_t)off, p->ptr_size, &v) == 0)
			addr = v;
	}
	struct cw_pcln_view v;
	if (addr && file_view(exe, addr, &v) == 0)
		p->gofunc = v;
}

int cw_pcln_open(const struct cw_exe *exe, const struct cw_go_version *release, struct cw_pcln **out)
{
	if (!exe || !out)
		return -EINVAL;
	struct cw_pcln *p = NULL;
	int r = open_section(exe, &p);
	if (r == -ENOENT)
		r = open_scan(exe, &p);
	if (r < 0)
		return r;
	uint64_t md;
	if (cw_go_moduledata_find(exe, p->addr, p->ptr_size, p->funcnametab.off, p->pctab.off, &md) == 0)
		p->md_addr = md;
	find_text_start(exe, p);
	find_gofunc(exe, release, p);
	p->two_group_names = release && cw_go_quirk(release, CW_GO_QUIRK_FUNCNAME_TWO_GROUPS);
	*out = p;
	return 0;
}
