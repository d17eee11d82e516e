/* libFuzzer harness for finding the pclntab, go:func.* and
 * runtime.firstmoduledata in an executable (cw_pcln_open: section, header
 * magic scan, RELATIVE relocations, pointer scan), then resolving pcs.
 * Input: an ELF executable; seeds: stripped and PIE Go binaries. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "analyzer/exe.h"
#include "analyzer/go_pclntab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_exe *exe;
	if (cw_exe_open_mem(data, size, &exe) < 0)
		return 0;
	struct cw_pcln *p;
	if (cw_pcln_open(exe, NULL, &p) == 0) {
		uint64_t lo = cw_pcln_min_pc(p), hi = cw_pcln_max_pc(p);
		uint64_t step = (hi - lo) / 256 + 1;
		for (uint64_t pc = lo; pc < hi && pc >= lo; pc += step) {
			struct cw_pcframe fr[16];
			size_t k = 0;
			cw_pcln_frames(p, exe, pc, fr, 16, &k);
			cw_pcframes_free(fr, k);
		}
		cw_pcln_free(p);
	}
	cw_exe_free(exe);
	return 0;
}
