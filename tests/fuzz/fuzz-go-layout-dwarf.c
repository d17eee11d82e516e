/* libFuzzer harness for the runtime layout read from an executable's DWARF
 * (analyzer/go_layout_dwarf.c): an arbitrary ELF image, its DWARF walked for
 * the runtime structs over a copy of every generated table. Seeds: the
 * executables of tests/fuzz/seeds-exe. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "analyzer/exe.h"
#include "analyzer/go_layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_exe *exe;
	if (cw_exe_open_mem(data, size, &exe) < 0)
		return 0;
	if (cw_exe_has_dwarf(exe)) {
		const struct cw_go_layout *t = cw_go_layout_at(size % cw_go_layout_count());
		struct cw_go_layout l = *t;
		size_t nfound, nchanged;
		cw_go_layout_apply_dwarf(cw_exe_dwarf(exe), &l, &nfound, &nchanged);
	}
	cw_exe_free(exe);
	return 0;
}
