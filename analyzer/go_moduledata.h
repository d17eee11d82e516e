/* runtime.moduledata (runtime/symtab.go) of Go 1.18 .. 1.27: where
 * runtime.firstmoduledata is in the executable, and its fields read from
 * the crashed process (runtime addresses: for PIE the relocated values
 * exist only in the core's memory) at the offsets of the generated layout
 * tables (go_layout.h md_*). */
#ifndef CW_ANALYZER_GO_MODULEDATA_H
#define CW_ANALYZER_GO_MODULEDATA_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/exe.h"
#include "analyzer/go_layout.h"
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
 * with the layout l of the binary's release, and checks that its pcHeader
 * is the pclntab (cw_pcln_addr(p) + load_bias) and its ftab has nfunc+1
 * entries. 0, -ENOENT (address unknown), -EFAULT, -EBADMSG or -ENOTSUP
 * (no layout, or a 32-bit binary: the tables are of 64-bit releases). */
int cw_go_moduledata_read(struct cw_mem *mem, const struct cw_pcln *p, uint64_t load_bias,
			  const struct cw_go_layout *l, struct cw_go_moduledata *out);
/* Same at an explicit runtime address (e.g. moduledata.next). */
int cw_go_moduledata_read_at(struct cw_mem *mem, uint64_t addr, const struct cw_go_layout *l,
			     struct cw_go_moduledata *out);

#endif
