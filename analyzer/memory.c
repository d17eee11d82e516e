/* The crashed process's address space. At creation the core's segments
 * are turned into a sorted list of disjoint readable ranges: the bytes
 * the core holds, and for the parts it lacks the file-backed bytes of the
 * executable (at vaddr - load_bias). Reads are a binary search (with the
 * last hit cached) and a memcpy. */
#include "config.h"
#include "analyzer/memory.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

#define MEM_MAX_RANGES (4U << 20)
#define MEM_MAX_EXE_SEGMENTS 256U   /* real executables have a handful of PT_LOADs */

enum range_kind { RANGE_PTR, RANGE_CORE_PREAD };

struct mem_range {
	uint64_t start, end;         /* [start, end), end > start */
	enum range_kind kind;
	const uint8_t *ptr;          /* RANGE_PTR: bytes of start */
	uint64_t core_off;           /* RANGE_CORE_PREAD: core file offset of start */
};

struct cw_mem {
	struct cw_core *core;
	const struct cw_exe *exe;
	uint64_t bias;
	struct mem_range *ranges;
	size_t nranges, cap;
	size_t last;                 /* index of the last range hit */
};

void cw_mem_free(struct cw_mem *m)
{
	if (!m)
		return;
	free(m->ranges);
	free(m);
}
CW_DEFINE_CLEANUP(struct cw_mem *, cw_mem_free)

static int add_range(struct cw_mem *m, const struct mem_range *r)
{
	if (r->end <= r->start)
		return 0;
	if (m->nranges && r->start < m->ranges[m->nranges - 1].end)
		return 0;   /* overlapping (hostile) segments: first one wins */
	if (m->nranges >= MEM_MAX_RANGES)
		return -E2BIG;
	if (m->nranges == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 64;
		struct mem_range *n = realloc(m->ranges, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		m->ranges = n;
		m->cap = nc;
	}
	m->ranges[m->nranges++] = *r;
	return 0;
}

/* The part [lo, hi) of the address space that the core lacks: the
 * executable's file-backed bytes, where it has them. */
static int add_exe_ranges(struct cw_mem *m, uint64_t lo, uint64_t hi)
{
	if (!m->exe)
		return 0;
	size_t size;
	const uint8_t *data = cw_exe_data(m->exe, &size);
	for (size_t i = 0; i < cw_exe_nsegments(m->exe) && i < MEM_MAX_EXE_SEGMENTS; i++) {
		const struct cw_exe_segment *s = cw_exe_segment(m->exe, i);
		uint64_t fs = s->filesz;   /* already clamped to the file by exe.c */
		if (fs == 0)
			continue;
		uint64_t rs = s->vaddr + m->bias;
		if (rs + fs < rs)
			continue;
		uint64_t re = rs + fs;
		uint64_t a = rs > lo ? rs : lo, b = re < hi ? re : hi;
		if (a >= b)
			continue;
		if (m->nranges && a < m->ranges[m->nranges - 1].end)
			a = m->ranges[m->nranges - 1].end;
		if (a >= b)
			continue;
		struct mem_range r = { .start = a, .end = b, .kind = RANGE_PTR,
				       .ptr = data + s->offset + (a - rs) };
		int ret = add_range(m, &r);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int build_ranges(struct cw_mem *m)
{
	uint64_t core_size;
	const uint8_t *map = cw_core_data(m->core, &core_size);
	core_size = cw_core_size(m->core);
	for (size_t i = 0; i < cw_core_nsegments(m->core); i++) {
		const struct cw_core_segment *s = cw_core_segment(m->core, i);
		if (s->memsz == 0 || s->vaddr + s->memsz < s->vaddr)
			continue;
		uint64_t end = s->vaddr + s->memsz;
		uint64_t dumped = s->filesz < s->memsz ? s->filesz : s->memsz;
		if (s->offset >= core_size)
			dumped = 0;
		else if (dumped > core_size - s->offset)
			dumped = core_size - s->offset;   /* truncated core */
		if (dumped) {
			struct mem_range r = { .start = s->vaddr, .end = s->vaddr + dumped, .core_off = s->offset };
			if (map) {
				r.kind = RANGE_PTR;
				r.ptr = map + s->offset;
			} else {
				r.kind = RANGE_CORE_PREAD;
			}
			int ret = add_range(m, &r);
			if (ret < 0)
				return ret;
		}
		if (dumped < s->memsz) {
			int ret = add_exe_ranges(m, s->vaddr + dumped, end);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

int cw_mem_new(struct cw_core *core, const struct cw_exe *exe, uint64_t load_bias, struct cw_mem **out)
{
	if (!core || !out)
		return -EINVAL;
	CW_CLEANUP(cw_mem_freep) struct cw_mem *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->core = core;
	m->exe = exe;
	m->bias = load_bias;
	int ret = build_ranges(m);
	if (ret < 0)
		return ret;
	*out = CW_TAKE_PTR(m);
	return 0;
}

uint64_t cw_mem_load_bias(const struct cw_mem *m)
{
	return m->bias;
}

static const struct mem_range *find_range(struct cw_mem *m, uint64_t addr)
{
	if (m->nranges == 0)
		return NULL;
	const struct mem_range *r = &m->ranges[m->last];
	if (addr >= r->start && addr < r->end)
		return r;
	size_t lo = 0, hi = m->nranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		r = &m->ranges[mid];
		if (addr < r->start)
			hi = mid;
		else if (addr >= r->end)
			lo = mid + 1;
		else {
			m->last = mid;
			return r;
		}
	}
	return NULL;
}

int cw_mem_read(struct cw_mem *m, uint64_t addr, void *buf, size_t len)
{
	if (!m || (!buf && len))
		return -EINVAL;
	uint8_t *p = buf;
	/* each step consumes at least one byte of a range */
	while (len > 0) {
		const struct mem_range *r = find_range(m, addr);
		if (!r)
			return -EFAULT;
		uint64_t in = addr - r->start;
		uint64_t avail = r->end - addr;
		size_t n = avail < len ? (size_t)avail : len;
		if (r->kind == RANGE_PTR) {
			memcpy(p, r->ptr + in, n);
		} else {
			int ret = cw_core_pread(m->core, p, n, r->core_off + in);
			if (ret < 0)
				return -EFAULT;
		}
		p += n;
		len -= n;
		addr += n;
		if (addr == 0 && len)
			return -EFAULT;   /* wrapped around */
	}
	return 0;
}

int cw_mem_u8(struct cw_mem *m, uint64_t addr, uint8_t *v) { return cw_mem_read(m, addr, v, sizeof(*v)); }
int cw_mem_u16(struct cw_mem *m, uint64_t addr, uint16_t *v) { return cw_mem_read(m, addr, v, sizeof(*v)); }
int cw_mem_u32(struct cw_mem *m, uint64_t addr, uint32_t *v) { return cw_mem_read(m, addr, v, sizeof(*v)); }

int cw_mem_u64(struct cw_mem *m, uint64_t addr, uint64_t *v)
{
	/* fast path: inside the last range, mapped bytes */
	if (m && m->nranges) {
		const struct mem_range *r = &m->ranges[m->last];
		if (r->kind == RANGE_PTR && addr >= r->start && r->end - addr >= sizeof(*v) && addr < r->end) {
			memcpy(v, r->ptr + (addr - r->start), sizeof(*v));
			return 0;
		}
	}
	return cw_mem_read(m, addr, v, sizeof(*v));
}

int cw_mem_ptr(struct cw_mem *m, uint64_t addr, uint64_t *v)
{
	const struct cw_arch *arch = cw_core_arch(m->core);
	if (arch->ptr_size == 8)
		return cw_mem_u64(m, addr, v);
	uint32_t w;
	int ret = cw_mem_u32(m, addr, &w);
	if (ret == 0)
		*v = w;
	return ret;
}

int cw_mem_gostring(struct cw_mem *m, uint64_t ptr, uint64_t len, size_t max, char **out)
{
	if (!m || !out)
		return -EINVAL;
	if (len > max)
		return -E2BIG;
	char *s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	int ret = cw_mem_read(m, ptr, s, len);
	if (ret < 0) {
		free(s);
		return ret;
	}
	s[len] = 0;
	*out = s;
	return 0;
}

bool cw_mem_mapped(struct cw_mem *m, uint64_t addr)
{
	if (!m)
		return false;
	size_t lo = 0, hi = cw_core_nsegments(m->core);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cw_core_segment *s = cw_core_segment(m->core, mid);
		if (addr < s->vaddr)
			hi = mid;
		else if (addr - s->vaddr >= s->memsz)
			lo = mid + 1;
		else
			return (s->flags & PF_R) != 0;
	}
	return false;
}
