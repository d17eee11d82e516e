/* The executable (or a shared object) that the core belongs to: ELF
 * headers, sections, build ids, symbols when present, DWARF handle when
 * present, and the file-backed bytes that a core does not contain. */
#ifndef CW_ANALYZER_EXE_H
#define CW_ANALYZER_EXE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cw_exe_section {
	const char *name;
	uint64_t addr;      /* link-time address (0 when not allocated) */
	uint64_t offset;    /* file offset */
	uint64_t size;
	uint32_t type;      /* SHT_* */
	uint64_t flags;     /* SHF_* */
};

struct cw_exe_segment {   /* PT_LOAD */
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t flags;
};

struct cw_exe;

/* Opens and maps PATH; errors: -errno, -EBADMSG (not an ELF file or
 * corrupt), -EISDIR / -ESPIPE (not a regular file, see cw_open_regular). */
int cw_exe_open(const char *path, struct cw_exe **out);
/* The same on an open descriptor (not taken: the caller closes it); path
 * is the name the analysis reports (the privilege-separated analyzer gets
 * the executable as a descriptor and may not open it itself). */
int cw_exe_open_fd(int fd, const char *path, struct cw_exe **out);
void cw_exe_free(struct cw_exe *exe);

const char *cw_exe_path(const struct cw_exe *exe);
uint16_t cw_exe_machine(const struct cw_exe *exe);
bool cw_exe_is_pie(const struct cw_exe *exe);           /* ET_DYN */
uint64_t cw_exe_entry(const struct cw_exe *exe);        /* e_entry (link-time) */
/* GNU build id as lowercase hex, or NULL */
const char *cw_exe_gnu_build_id(const struct cw_exe *exe);
/* Go build id (the .note.go.buildid note), or NULL */
const char *cw_exe_go_build_id(const struct cw_exe *exe);
size_t cw_exe_nsections(const struct cw_exe *exe);
const struct cw_exe_section *cw_exe_section(const struct cw_exe *exe, size_t i);
const struct cw_exe_section *cw_exe_section_by_name(const struct cw_exe *exe, const char *name);
size_t cw_exe_nsegments(const struct cw_exe *exe);
const struct cw_exe_segment *cw_exe_segment(const struct cw_exe *exe, size_t i);
/* Whole file contents (read-only mmap), for pclntab/buildinfo scanning. */
const uint8_t *cw_exe_data(const struct cw_exe *exe, size_t *size);
/* Reads file-backed bytes at a link-time virtual address: 0 or -EFAULT. */
int cw_exe_read_vaddr(const struct cw_exe *exe, uint64_t vaddr, void *buf, size_t len);
/* ELF symbol table lookup by exact name (link-time address); -ENOENT when absent or stripped. */
int cw_exe_symbol(const struct cw_exe *exe, const char *name, uint64_t *addr, uint64_t *size);
bool cw_exe_has_symtab(const struct cw_exe *exe);
bool cw_exe_has_dwarf(const struct cw_exe *exe);
/* libdw handle (Dwarf *) or NULL */
void *cw_exe_dwarf(const struct cw_exe *exe);

/* Go build info from .go.buildinfo (see debug/buildinfo). */
struct cw_go_setting { char *key; char *value; };
struct cw_go_buildinfo {
	char *go_version;      /* "go1.24.1" */
	char *path;            /* main package path */
	char *main_module;
	char *main_version;
	char *main_sum;
	char *vcs_revision;    /* settings["vcs.revision"] or NULL */
	struct cw_go_setting *settings;
	size_t n_settings;
};
/* -ENOENT when the executable is not Go (no .go.buildinfo). */
int cw_exe_go_buildinfo(const struct cw_exe *exe, struct cw_go_buildinfo **out);
void cw_go_buildinfo_free(struct cw_go_buildinfo *bi);

/* Like cw_exe_open on a copy of an in-memory image (fuzzing, tests);
 * the path reported is "<memory>". */
int cw_exe_open_mem(const void *data, size_t size, struct cw_exe **out);
/* The symbol (from .symtab) containing link-time address addr:
 * its name (owned by exe) and start; -ENOENT when none. */
int cw_exe_symbol_at(const struct cw_exe *exe, uint64_t addr, const char **name, uint64_t *start);

struct cw_core;
/* Runtime minus link-time address of exe in the process of core: 0 for
 * ET_EXEC; for PIE AT_ENTRY - e_entry, else the NT_FILE mapping of the
 * executable at file offset 0. -ENOENT when it cannot be determined. */
int cw_exe_load_bias(const struct cw_exe *exe, struct cw_core *core, uint64_t *bias);

#endif
