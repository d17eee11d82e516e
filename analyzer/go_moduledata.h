/* runtime.moduledata (runtime/symtab.go) of Go 1.18 .. 1.26: where
 * runtime.firstmoduledata is in the executable, and its fields read from
 * the crashed process (runtime addresses: for PIE the relocated values
 * exist only in the core's memory). */
#ifndef CW_ANALYZER_GO_MODULEDATA_H
#define CW_ANALYZER_GO_MODULEDATA_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/exe.h"
#include "analyzer/go_pclntab.h"
#include "analyzer/memory.h"

struct cw_go_slice {
	uint64_t ptr, len, cap;
};

struct cw_go_moduledata {
	uint64_t addr;                        /* runtime address of the record */
	uint64_t pcheader;
	struct cw_go_slice funcnametab, cutab, filetab, pctab, pclntable, ftab;
	uint64_t findfunctab, minpc, maxpc;
	uint64_t text, etext, noptrdata, enoptrdata, data, edata, bss, ebss, noptrbss, enoptrbss;
	uint64_t covctrs, ecovctrs;           /* 1.20+, else 0 */
	uint64_t end, gcdata, gcbss, types, etypes, rodata, gofunc;
	uint64_t epclntab;                    /* 1.26+, else 0 */
	struct cw_go_slice textsectmap, typelinks, itablinks, ptab, pkghashes, inittasks, modulehashes;
	uint64_t pluginpath_ptr, pluginpath_len, modulename_ptr, modulename_len;
	uint8_t hasmain;
	uint64_t next;
};

/* Byte offsets of the fields in one release's moduledata (UINT32_MAX when
 * the release has no such field). */
enum cw_go_md_field {
	CW_MD_PCHEADER, CW_MD_FUNCNAMETAB, CW_MD_CUTAB, CW_MD_FILETAB, CW_MD_PCTAB, CW_MD_PCLNTABLE,
	CW_MD_FTAB, CW_MD_FINDFUNCTAB, CW_MD_MINPC, CW_MD_MAXPC, CW_MD_TEXT, CW_MD_ETEXT,
	CW_MD_NOPTRDATA, CW_MD_ENOPTRDATA, CW_MD_DATA, CW_MD_EDATA, CW_MD_BSS, CW_MD_EBSS,
	CW_MD_NOPTRBSS, CW_MD_ENOPTRBSS, CW_MD_COVCTRS, CW_MD_ECOVCTRS, CW_MD_END, CW_MD_GCDATA,
	CW_MD_GCBSS, CW_MD_TYPES, CW_MD_ETYPES, CW_MD_RODATA, CW_MD_GOFUNC, CW_MD_EPCLNTAB,
	CW_MD_TEXTSECTMAP, CW_MD_TYPELINKS, CW_MD_ITABLINKS, CW_MD_PTAB, CW_MD_PLUGINPATH,
	CW_MD_PKGHASHES, CW_MD_INITTASKS, CW_MD_MODULENAME, CW_MD_MODULEHASHES, CW_MD_HASMAIN,
	CW_MD_BAD, CW_MD_GCDATAMASK, CW_MD_GCBSSMASK, CW_MD_TYPEMAP, CW_MD_NEXT,
	CW_MD_NFIELDS
};

struct cw_go_md_layout {
	uint32_t off[CW_MD_NFIELDS];
	uint32_t size;
};

/* Layout for go1.<go_minor> (18 .. 26; newer minors use the newest known)
 * with pointers of ptr_size (4 or 8) bytes: 0 or -ENOTSUP. */
int cw_go_moduledata_layout(int go_minor, unsigned ptr_size, struct cw_go_md_layout *out);

/* Link-time address of runtime.firstmoduledata in the executable: the
 * symbol when there is a symtab, else the word in the file's writable data
 * that points at the pclntab header (for PIE: a RELATIVE relocation whose
 * addend is the header), checked against the funcnametab and pctab
 * pointers that follow. 0 or -ENOENT. */
int cw_go_moduledata_find(const struct cw_exe *exe, uint64_t pcln_addr, unsigned ptr_size,
			  uint64_t funcname_off, uint64_t pctab_off, uint64_t *addr);
/* A pointer-sized word of the executable's data at a link-time address as
 * the loader leaves it: the file's value, or for PIE the addend of the
 * RELATIVE relocation of that word. 0, -EFAULT or -ENOENT. */
int cw_go_file_word(const struct cw_exe *exe, uint64_t addr, unsigned ptr_size, uint64_t *val);

/* Reads runtime.firstmoduledata (link-time cw_pcln_moduledata_addr(p),
 * found by cw_pcln_open) at that address + load_bias from the process
 * (go_minor from the build info), and checks that its pcHeader is the
 * pclntab (cw_pcln_addr(p) + load_bias) and its ftab has nfunc+1 entries.
 * 0, -ENOENT (address unknown), -EFAULT, -EBADMSG or -ENOTSUP. */
int cw_go_moduledata_read(struct cw_mem *mem, const struct cw_pcln *p, uint64_t load_bias,
			  int go_minor, struct cw_go_moduledata *out);
/* Same at an explicit runtime address (e.g. moduledata.next). */
int cw_go_moduledata_read_at(struct cw_mem *mem, uint64_t addr, unsigned ptr_size, int go_minor,
			     struct cw_go_moduledata *out);

#endif
