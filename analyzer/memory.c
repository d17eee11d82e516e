/* The crashed process's address space. At creation the core's segments
 * are turned into a sorted list of disjoint readable ranges: the bytes
 * the core holds, and for the parts it lacks the file-backed bytes of the
 * executable (at vaddr - load_bias). Reads are a binary search (with the
 * last hit cached) and a memcpy. */
#include "config.h"
#include "analyzer/memory.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"

#define MEM_MAX_RANGES (4U << 20)
#define MEM_MAX_EXE_SEGMENTS 256U   /* real executables have a handful of PT_LOADs */
#define MEM_MAX_CANDIDATES 65536U
#define MEM_MAX_HOLE_SCAN 4096U     /* candidates looked at for one hole */
#define MEM_MAX_FILES 4096U

enum range_kind { RANGE_PTR, RANGE_CORE_PREAD };

struct mem_range {
	uint64_t start, end;         /* [start, end), end > start */
	enum range_kind kind;
	const uint8_t *ptr;          /* RANGE_PTR: bytes of start */
	uint64_t core_off;           /* RANGE_CORE_PREAD: core file offset of start */
};

struct mem_candidate {         /* file-backed bytes that may fill a hole of the core */
	uint64_t start, end;
	const uint8_t *ptr;
	unsigned prio;               /* 0: the executable, 1: other mapped files */
};

struct mem_file {                /* one NT_FILE entry served from this host's copy */
	uint64_t start, end, offset;
	const uint8_t *map;
	uint64_t size;
	char *path;
	bool owner;                  /* this entry owns map and path */
};

struct cw_mem {
	struct cw_core *core;
	const struct cw_exe *exe;
	uint64_t bias;
	struct mem_range *ranges;
	size_t nranges, cap;
	size_t last;                 /* index of the last range hit */
	struct mem_candidate *cand;
	uint64_t *cand_max_end;      /* running maximum of cand[0..i].end */
	size_t ncand, cand_cap;
	struct mem_file *files;
	size_t nfiles, files_cap;
};

void cw_mem_free(struct cw_mem *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nfiles; i++) {
		if (m->files[i].owner) {
			munmap((void *)m->files[i].map, m->files[i].size);
			free(m->files[i].path);
		}
	}
	free(m->files);
	free(m->cand);
	free(m->cand_max_end);
	free(m->ranges);
	free(m);
}
CW_DEFINE_CLEANUP(struct cw_mem *, cw_mem_free)

/* Appends r, trimmed to start after the last range (ranges stay sorted
 * and disjoint even for overlapping hostile segments). */
static int add_range(struct cw_mem *m, struct mem_range r)
{
	if (m->nranges) {
		uint64_t prev_end = m->ranges[m->nranges - 1].end;
		if (r.start < prev_end) {
			uint64_t skip = prev_end - r.start;
			if (r.end <= prev_end)
				return 0;
			r.start = prev_end;
			if (r.kind == RANGE_PTR)
				r.ptr += skip;
			else
				r.core_off += skip;
		}
	}
	if (r.end <= r.start)
		return 0;
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
	m->ranges[m->nranges++] = r;
	return 0;
}

static int add_candidate(struct cw_mem *m, uint64_t start, uint64_t len, const uint8_t *ptr, unsigned prio)
{
	if (len == 0 || start + len < start || m->ncand >= MEM_MAX_CANDIDATES)
		return 0;
	if (m->ncand == m->cand_cap) {
		size_t nc = m->cand_cap ? m->cand_cap * 2 : 16;
		struct mem_candidate *n = realloc(m->cand, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		m->cand = n;
		m->cand_cap = nc;
	}
	m->cand[m->ncand++] = (struct mem_candidate){ .start = start, .end = start + len, .ptr = ptr, .prio = prio };
	return 0;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct mem_candidate *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (int)x->prio - (int)y->prio;
}

/* File-backed bytes that can fill what the core lacks: the executable's
 * PT_LOADs (at vaddr + bias), then the opted-in mapped files. */
static int collect_candidates(struct cw_mem *m)
{
	m->ncand = 0;
	if (m->exe) {
		size_t size;
		const uint8_t *data = cw_exe_data(m->exe, &size);
		for (size_t i = 0; i < cw_exe_nsegments(m->exe) && i < MEM_MAX_EXE_SEGMENTS; i++) {
			const struct cw_exe_segment *s = cw_exe_segment(m->exe, i);
			/* filesz is already clamped to the file by exe.c */
			int ret = add_candidate(m, s->vaddr + m->bias, s->filesz, data + s->offset, 0);
			if (ret < 0)
				return ret;
		}
	}
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct mem_file *f = &m->files[i];
		if (f->offset >= f->size)
			continue;
		uint64_t len = f->end - f->start, avail = f->size - f->offset;
		int ret = add_candidate(m, f->start, len < avail ? len : avail, f->map + f->offset, 1);
		if (ret < 0)
			return ret;
	}
	if (m->ncand)
		qsort(m->cand, m->ncand, sizeof(*m->cand), cand_cmp);
	free(m->cand_max_end);
	m->cand_max_end = malloc((m->ncand ? m->ncand : 1) * sizeof(uint64_t));
	if (!m->cand_max_end)
		return -ENOMEM;
	uint64_t mx = 0;
	for (size_t i = 0; i < m->ncand; i++) {
		if (m->cand[i].end > mx)
			mx = m->cand[i].end;
		m->cand_max_end[i] = mx;
	}
	return 0;
}

/* The part [lo, hi) of the address space that the core lacks: filled from
 * the candidates that overlap it. */
static int fill_hole(struct cw_mem *m, uint64_t lo, uint64_t hi)
{
	/* first candidate whose running maximum end passes lo */
	size_t a = 0, b = m->ncand;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (m->cand_max_end[mid] <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	for (size_t i = a, n = 0; i < m->ncand && m->cand[i].start < hi && n < MEM_MAX_HOLE_SCAN; i++, n++) {
		const struct mem_candidate *c = &m->cand[i];
		if (c->end <= lo)
			continue;
		uint64_t s = c->start > lo ? c->start : lo, e = c->end < hi ? c->end : hi;
		struct mem_range r = { .start = s, .end = e, .kind = RANGE_PTR, .ptr = c->ptr + (s - c->start) };
		int ret = add_range(m, r);
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
	m->nranges = 0;
	m->last = 0;
	int ret = collect_candidates(m);
	if (ret < 0)
		return ret;
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
			ret = add_range(m, r);
			if (ret < 0)
				return ret;
		}
		if (dumped < s->memsz) {
			ret = fill_hole(m, s->vaddr + dumped, end);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

static bool is_exe_path(const struct cw_mem *m, const char *path)
{
	if (!m->exe)
		return false;
	_cleanup_free_ char *real = realpath(cw_exe_path(m->exe), NULL);
	return real && strcmp(real, path) == 0;
}

int cw_mem_use_mapped_files(struct cw_mem *m)
{
	if (!m)
		return -EINVAL;
	for (size_t i = 0; i < cw_core_nfiles(m->core) && m->nfiles < MEM_MAX_FILES; i++) {
		const struct cw_core_file_mapping *f = cw_core_file(m->core, i);
		if (f->end <= f->start || f->path[0] != '/' || is_exe_path(m, f->path))
			continue;
		/* one mapping of each file, shared by its NT_FILE entries */
		const struct mem_file *same = NULL;
		for (size_t k = 0; k < m->nfiles; k++)
			if (strcmp(m->files[k].path, f->path) == 0)
				same = &m->files[k];
		struct mem_file nf = { .start = f->start, .end = f->end, .offset = f->file_offset };
		if (same) {
			nf.map = same->map;
			nf.size = same->size;
			nf.path = same->path;
			nf.owner = false;
		} else {
			_cleanup_close_ int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
			struct stat st;
			if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
				continue;
			void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (p == MAP_FAILED)
				continue;
			nf.map = p;
			nf.size = (uint64_t)st.st_size;
			nf.path = strdup(f->path);
			nf.owner = true;
			if (!nf.path) {
				munmap(p, nf.size);
				return -ENOMEM;
			}
		}
		if (m->nfiles == m->files_cap) {
			size_t nc = m->files_cap ? m->files_cap * 2 : 16;
			struct mem_file *n = realloc(m->files, nc * sizeof(*n));
			if (!n) {
				if (nf.owner) {
					munmap((void *)nf.map, nf.size);
					free(nf.path);
				}
				return -ENOMEM;
			}
			m->files = n;
			m->files_cap = nc;
		}
		m->files[m->nfiles++] = nf;
	}
	return build_ranges(m);
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
