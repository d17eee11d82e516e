/* Stand-ins for the memory accessor (analyzer/memory.h) shared by the fuzz
 * harnesses whose input is the process memory at MEM_BASE (fuzz-go-goroutines,
 * fuzz-go-panic): every read is bounds-checked against the current input.
 * The including harness defines MEM_BASE and `cur` (a pointer to a state
 * with `data` and `len`). Included once per harness. */
#ifndef CW_FUZZ_MEM_STANDIN_H
#define CW_FUZZ_MEM_STANDIN_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "analyzer/memory.h"

int cw_mem_read(struct cw_mem *m, uint64_t addr, void *buf, size_t len)
{
	(void)m;
	if (addr < MEM_BASE || addr - MEM_BASE > cur->len || len > cur->len - (addr - MEM_BASE))
		return -EFAULT;
	memcpy(buf, cur->data + (addr - MEM_BASE), len);
	return 0;
}
int cw_mem_u8(struct cw_mem *m, uint64_t a, uint8_t *v) { return cw_mem_read(m, a, v, 1); }
int cw_mem_u16(struct cw_mem *m, uint64_t a, uint16_t *v) { return cw_mem_read(m, a, v, 2); }
int cw_mem_u32(struct cw_mem *m, uint64_t a, uint32_t *v) { return cw_mem_read(m, a, v, 4); }
int cw_mem_u64(struct cw_mem *m, uint64_t a, uint64_t *v) { return cw_mem_read(m, a, v, 8); }
int cw_mem_ptr(struct cw_mem *m, uint64_t a, uint64_t *v) { return cw_mem_read(m, a, v, 8); }
bool cw_mem_mapped(struct cw_mem *m, uint64_t a) { (void)m; return a >= MEM_BASE && a - MEM_BASE < cur->len; }

#endif
