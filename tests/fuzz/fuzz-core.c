/* libFuzzer harness: ELF core files (raw or zstd) and the memory accessor
 * over them. Seeds: headers and notes of real cores (see tests/fuzz/README
 * or cut a real core: head -c 65536 core). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analyzer/core_file.h"
#include "analyzer/memory.h"

#define FUZZ_MAX_DECOMPRESSED (16U << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(struct cw_core *core)
{
	struct cw_mem *m = NULL;
	uint64_t v;
	char *hex = NULL;
	(void)cw_core_auxv(core, 9, &v);
	for (size_t i = 0; i < cw_core_nthreads(core); i++) {
		const struct cw_core_thread *t = cw_core_thread(core, i);
		const struct cw_arch *a = cw_core_arch(core);
		(void)a->pc(&t->regs);
		(void)a->g_reg(&t->regs);
	}
	for (size_t i = 0; i < cw_core_nfiles(core) && i < 64; i++) {
		if (cw_core_build_id_at(core, cw_core_file(core, i)->start, &hex) == 0)
			free(hex);
	}
	if (cw_mem_new(core, NULL, 0, &m) < 0)
		return;
	(void)cw_mem_use_mapped_files(m);
	for (size_t i = 0; i < cw_core_nsegments(core) && i < 256; i++) {
		const struct cw_core_segment *s = cw_core_segment(core, i);
		uint8_t buf[64];
		char *str = NULL;
		(void)cw_mem_u64(m, s->vaddr, &v);
		(void)cw_mem_u64(m, s->vaddr + s->memsz - 4, &v);
		(void)cw_mem_read(m, s->vaddr + s->filesz / 2, buf, sizeof(buf));
		(void)cw_mem_mapped(m, s->vaddr);
		if (cw_mem_gostring(m, s->vaddr, s->memsz, 4096, &str) == 0)
			free(str);
	}
	cw_mem_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-core", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	struct cw_core *core = NULL;
	if (cw_core_open_fd(fd, FUZZ_MAX_DECOMPRESSED, &core) == 0) {
		exercise(core);
		cw_core_free(core);
	}
	close(fd);
	return 0;
}
