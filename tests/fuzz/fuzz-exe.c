/* libFuzzer harness: executables (ELF headers, sections, notes, symbols,
 * reads at link-time addresses) and Go build info. Seeds: small real
 * executables (a C program, a Go program). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "analyzer/exe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_exe *exe = NULL;
	if (cw_exe_open_mem(data, size, &exe) < 0)
		return 0;
	uint64_t addr, sz;
	const char *name;
	uint8_t buf[32];
	(void)cw_exe_symbol(exe, "main.main", &addr, &sz);
	(void)cw_exe_section_by_name(exe, ".gopclntab");
	for (size_t i = 0; i < cw_exe_nsections(exe) && i < 256; i++) {
		const struct cw_exe_section *s = cw_exe_section(exe, i);
		(void)cw_exe_read_vaddr(exe, s->addr, buf, sizeof(buf));
		(void)cw_exe_symbol_at(exe, s->addr, &name, &addr);
	}
	for (size_t i = 0; i < cw_exe_nsegments(exe) && i < 256; i++) {
		const struct cw_exe_segment *s = cw_exe_segment(exe, i);
		(void)cw_exe_read_vaddr(exe, s->vaddr + s->memsz - 8, buf, 16);
	}
	struct cw_go_buildinfo *bi = NULL;
	if (cw_exe_go_buildinfo(exe, &bi) == 0)
		cw_go_buildinfo_free(bi);
	cw_exe_free(exe);
	return 0;
}
