/* libFuzzer harness for Go type descriptors and panic values
 * (analyzer/go_types.c, go_panic_value.c): the input is the memory of the
 * module's types section (and the values pointing into it), read through a
 * stand-in for cw_mem; the first bytes choose the release, the type
 * descriptor and the value's data pointer. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/go_layout.h"
#include "analyzer/go_panic.h"
#include "analyzer/go_types.h"

#define BASE 0x500000ULL
#define HDR 8

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
int cw_mem_u8(struct cw_mem *m, uint64_t addr, uint8_t *v) { return cw_mem_read(m, addr, v, 1); }
int cw_mem_u16(struct cw_mem *m, uint64_t addr, uint16_t *v) { return cw_mem_read(m, addr, v, 2); }
int cw_mem_u32(struct cw_mem *m, uint64_t addr, uint32_t *v) { return cw_mem_read(m, addr, v, 4); }
int cw_mem_u64(struct cw_mem *m, uint64_t addr, uint64_t *v) { return cw_mem_read(m, addr, v, 8); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	struct cw_mem mem = { .data = data + HDR, .len = size - HDR };
	int minor = 18 + data[0] % 9;
	uint64_t type_addr = BASE + ((uint64_t)data[1] | (uint64_t)data[2] << 8);
	uint64_t data_addr = BASE + ((uint64_t)data[3] | (uint64_t)data[4] << 8);
	struct cw_go_types t = {
		.mem = &mem, .layout = cw_go_layout_for(minor, NULL), .types = BASE,
		.etypes = BASE + (data[5] & 1 ? mem.len : mem.len / 2), .go_minor = minor,
	};
	if (!t.layout)
		return 0;
	char *s = NULL, *ty = NULL;
	if (cw_go_type_name(&t, type_addr, &s) == 0)
		free(s);
	cw_go_type_find_method(&t, type_addr, "Error");
	if (cw_go_panic_value(&t, data[6] & 1 ? 0 : type_addr, data_addr, &s, &ty) == 0) {
		free(s);
		free(ty);
	}
	if (cw_go_name_read(&mem, type_addr, &s) == 0)
		free(s);
	if (size >= HDR + 16) {
		double a, b;
		char buf[96];
		memcpy(&a, data + HDR, 8);
		memcpy(&b, data + HDR + 8, 8);
		cw_go_format_float(a, data[7] & 1, data[7] & 4, buf, sizeof(buf));
		cw_go_format_complex(a, b, data[7] & 2, data[7] & 4, buf, sizeof(buf));
	}
	return 0;
}
