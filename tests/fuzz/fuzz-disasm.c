/* libFuzzer harness for analyzer/disasm.c: the input is code; the first
 * bytes choose the function start and the pc for the context window, and
 * the same bytes are read through a stand-in for cw_mem. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/disasm.h"

#define BASE 0x401000ULL
#define HDR 4

struct cw_mem {
	const uint8_t *data;
	size_t len;
};

int cw_mem_read(struct cw_mem *m, uint64_t addr, void *buf, size_t len)
{
	if (addr < BASE || addr - BASE > m->len || len > m->len - (addr - BASE))
		return -EFAULT;
	memcpy(buf, m->data + (addr - BASE), len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size <= HDR)
		return 0;
	const uint8_t *code = data + HDR;
	size_t len = size - HDR;
	struct cw_mem mem = { .data = code, .len = len };
	struct cw_disasm *d = NULL;
	if (cw_disasm_new(NULL, &d) < 0)
		return 0;
	uint64_t start = BASE + (data[0] | (uint64_t)data[1] << 8) % len;
	uint64_t pc = BASE + (data[2] | (uint64_t)data[3] << 8) % len;
	struct cw_insn out[12];
	size_t n, at;
	cw_disasm_context_bytes(d, code, len, BASE, data[0] & 1 ? 0 : start, pc, 4, 3, out, 12, &n, &at);
	cw_disasm_context(d, &mem, data[1] & 1 ? 0 : start, pc, 4, 3, out, 12, &n, &at);
	struct cw_insn one;
	cw_disasm_at(d, &mem, pc, &one);
	struct cw_code_ref *refs = NULL;
	if (cw_disasm_refs_bytes(d, code, len, BASE, &refs, &n) == 0)
		free(refs);
	if (cw_disasm_refs(d, &mem, start, BASE + len, &refs, &n) == 0)
		free(refs);
	cw_disasm_free(d);
	return 0;
}
