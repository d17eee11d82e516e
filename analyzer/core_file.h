/* An ELF core file: segments, threads (NT_PRSTATUS), NT_SIGINFO,
 * NT_PRPSINFO, NT_AUXV and NT_FILE. The file may be raw or zstd
 * (detected by magic); zstd with a seek table is read at random, other zstd
 * is decompressed once into an unlinked temporary file. */
#ifndef CW_ANALYZER_CORE_FILE_H
#define CW_ANALYZER_CORE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/arch.h"

struct cw_core_segment {
	uint64_t vaddr;
	uint64_t memsz;
	uint64_t offset;   /* in the (decompressed) core file */
	uint64_t filesz;   /* may be < memsz (or 0) when the kernel did not dump it */
	uint32_t flags;    /* PF_R | PF_W | PF_X */
};

struct cw_core_thread {
	int32_t tid;
	int32_t cursig;      /* pr_cursig */
	struct cw_regs regs;
};

struct cw_core_siginfo {
	bool present;
	int32_t signo, code, err;
	uint64_t addr;       /* si_addr for SIGSEGV/SIGBUS/SIGILL/SIGFPE */
	int32_t pid, uid;    /* sender, for kill()-style signals */
};

struct cw_core_prpsinfo {
	bool present;
	int32_t pid, ppid, uid, gid;
	char fname[17];      /* comm */
	char psargs[81];     /* start of the command line */
};

struct cw_core_file_mapping {    /* one NT_FILE entry */
	uint64_t start, end, file_offset; /* file_offset in bytes */
	char *path;
};

struct cw_core;

/* Opens PATH; errors: -ENOENT etc., -EBADMSG (not an ELF core / corrupt),
 * -ENOTSUP (unsupported machine), -EISDIR / -ESPIPE (a directory / another
 * file that is not regular: a FIFO, a device; see cw_open_regular). */
int cw_core_open(const char *path, struct cw_core **out);
void cw_core_free(struct cw_core *core);

const struct cw_arch *cw_core_arch(const struct cw_core *core);
size_t cw_core_nsegments(const struct cw_core *core);
const struct cw_core_segment *cw_core_segment(const struct cw_core *core, size_t i);
size_t cw_core_nthreads(const struct cw_core *core);
const struct cw_core_thread *cw_core_thread(const struct cw_core *core, size_t i);
const struct cw_core_siginfo *cw_core_siginfo(const struct cw_core *core);
const struct cw_core_prpsinfo *cw_core_prpsinfo(const struct cw_core *core);
size_t cw_core_nfiles(const struct cw_core *core);
const struct cw_core_file_mapping *cw_core_file(const struct cw_core *core, size_t i);
/* auxv value for type (AT_ENTRY, AT_PHDR, AT_BASE ...); -ENOENT when absent */
int cw_core_auxv(const struct cw_core *core, uint64_t type, uint64_t *val);
/* true when the file ended before the last segment's data (truncated core) */
bool cw_core_truncated(const struct cw_core *core);
/* Reads len bytes at offset of the (decompressed) core file: 0 or -EIO/-EFAULT. */
int cw_core_pread(struct cw_core *core, void *buf, size_t len, uint64_t offset);

/* Like cw_core_open on an open descriptor (which is duplicated, the caller
 * keeps its own). max_size bounds the decompressed size of a zstd core
 * without a seek table (0: no bound); -EFBIG beyond it. */
int cw_core_open_fd(int fd, uint64_t max_size, struct cw_core **out);
/* Size of the (decompressed) core file. */
uint64_t cw_core_size(const struct cw_core *core);
/* The whole (decompressed) core when it is mapped in memory (raw cores and
 * zstd cores without a seek table), else NULL. */
const uint8_t *cw_core_data(const struct cw_core *core, uint64_t *size);
/* Threads are in note order: the first one is the thread that received
 * the fatal signal. */
/* A descriptor of the uncompressed core (for libdwfl), owned by the core:
 * the file itself when raw; zstd cores are materialised into an unlinked
 * temporary file on the first call. */
int cw_core_raw_fd(struct cw_core *core, int *fd);
/* GNU build id (lowercase hex, malloc'd) of the ELF image whose first page
 * the kernel dumped at mapping_start (the start of a file mapping at file
 * offset 0): -ENOENT when that page or its build-id note is not in the core. */
int cw_core_build_id_at(struct cw_core *core, uint64_t mapping_start, char **hex);

#endif
