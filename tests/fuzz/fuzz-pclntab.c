/* libFuzzer harness for the pclntab reader: input = u32 LE n, n bytes of
 * pclntab, then the bytes of go:func.* (for the inline tree). Opens the
 * table and resolves pcs across its whole range: functions, file:line,
 * pcsp, pcdata, funcdata and inline frames. Seeds: tests/fuzz/make-
 * pclntab-seeds.sh writes real tables of Go binaries in this format. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "analyzer/go_pclntab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	uint32_t n;
	memcpy(&n, data, 4);
	data += 4;
	size -= 4;
	if (n > size)
		n = (uint32_t)size;
	struct cw_pcln *p;
	if (cw_pcln_open_bytes(data, n, 0x401000, &p) < 0)
		return 0;
	cw_pcln_set_gofunc(p, 0x500000, data + n, size - n);
	uint64_t lo = cw_pcln_min_pc(p), hi = cw_pcln_max_pc(p);
	uint64_t step = (hi - lo) / 512 + 1;
	for (uint64_t pc = lo; pc < hi && pc >= lo; pc += step) {
		struct cw_func f;
		if (cw_pcln_func(p, pc, &f) < 0)
			continue;
		const char *file;
		int32_t line, v;
		uint64_t addr;
		cw_pcln_fileline(p, &f, pc, &file, &line);
		cw_pcln_spdelta(p, &f, pc, &v);
		for (uint32_t t = 0; t < 4; t++) {
			cw_pcln_pcdata(p, &f, t, pc, &v);
			cw_pcln_funcdata(p, &f, t, &addr);
		}
		struct cw_pcframe fr[16];
		size_t k = 0;
		cw_pcln_frames(p, NULL, pc, fr, 16, &k);
		cw_pcframes_free(fr, k);
	}
	struct cw_func f;
	cw_pcln_func_by_name(p, "main.main", &f);
	for (size_t i = 0; i < cw_pcln_nfuncs(p) && i < 64; i++)
		cw_pcln_func_at(p, i, &f);
	cw_pcln_free(p);
	return 0;
}
