/* The crashed process's address space: the one bounds-checked accessor
 * every reader of process memory goes through. Reads come from the core's
 * segments, and for file-backed ranges the core lacks (text, rodata,
 * pclntab) from the executable at vaddr - load_bias. */
#ifndef CW_ANALYZER_MEMORY_H
#define CW_ANALYZER_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/core_file.h"
#include "analyzer/exe.h"

struct cw_mem;

/* load_bias: runtime address minus link-time address of the executable
 * (0 for non-PIE; for PIE computed from AT_ENTRY - e_entry). exe may be NULL. */
int cw_mem_new(struct cw_core *core, const struct cw_exe *exe, uint64_t load_bias, struct cw_mem **out);
void cw_mem_free(struct cw_mem *m);
uint64_t cw_mem_load_bias(const struct cw_mem *m);

/* All-or-nothing reads: 0, or -EFAULT when any byte is unmapped or not in
 * the core or executable. */
int cw_mem_read(struct cw_mem *m, uint64_t addr, void *buf, size_t len);
int cw_mem_u8(struct cw_mem *m, uint64_t addr, uint8_t *v);
int cw_mem_u16(struct cw_mem *m, uint64_t addr, uint16_t *v);
int cw_mem_u32(struct cw_mem *m, uint64_t addr, uint32_t *v);
int cw_mem_u64(struct cw_mem *m, uint64_t addr, uint64_t *v);
int cw_mem_ptr(struct cw_mem *m, uint64_t addr, uint64_t *v);  /* pointer-sized */
/* Reads a Go string {ptr,len} content of at most max bytes into a
 * malloc'd NUL-terminated string (-E2BIG beyond max). */
int cw_mem_gostring(struct cw_mem *m, uint64_t ptr, uint64_t len, size_t max, char **out);
/* True when addr lies in a readable mapping of the process. */
bool cw_mem_mapped(struct cw_mem *m, uint64_t addr);

/* Opt-in: also serve the file-backed bytes the core lacks for the other
 * files mapped in the process (NT_FILE: shared libraries, ...) from this
 * host's copies, when they are regular readable files. A copy that differs
 * from the one the process mapped gives wrong bytes: use for code
 * (disassembly), not for data. 0 or -ENOMEM. */
int cw_mem_use_mapped_files(struct cw_mem *m);
#endif
