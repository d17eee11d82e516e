/* ELF core files: the container (raw, zstd with a seek table, other zstd
 * materialised into an unlinked temporary file), the program headers
 * (libelf) and the notes the analyzer needs. The file is hostile input:
 * every offset and size is checked against what the file holds. */
#include "config.h"
#include "analyzer/core_file.h"
#include "analyzer/elf_note.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/io.h"
#include "common/zstd_seekable.h"

#define CORE_MAX_HEADERS (256ULL << 20)  /* phdrs + notes we are willing to read */
#define CORE_MAX_NOTES 4000000U          /* notes per PT_NOTE segment */
#define CORE_MAX_FILES 1000000U          /* NT_FILE entries */
#define CORE_BUILD_ID_PAGE (64U << 10)   /* bytes of a dumped ELF image we look at */

/* Offsets in the 64-bit Linux note layouts (identical on all LP64 arches). */
#define PRSTATUS_CURSIG 12
#define PRSTATUS_PID 32
#define PRSTATUS_REG 112
#define PRPSINFO_UID 16
#define PRPSINFO_GID 20
#define PRPSINFO_PID 24
#define PRPSINFO_PPID 28
#define PRPSINFO_FNAME 40
#define PRPSINFO_PSARGS 56
#define PRPSINFO_SIZE 136
#define SIGINFO_SIGNO 0
#define SIGINFO_ERRNO 4
#define SIGINFO_CODE 8
#define SIGINFO_FIELDS 16

struct cw_core {
	int fd;                       /* the file as given (owned dup) */
	int data_fd;                  /* uncompressed core: fd, a temp file, or -1 */
	const uint8_t *map;           /* mmap of data_fd, or NULL */
	uint64_t map_len;
	struct cw_zsr *zsr;           /* seekable zstd */
	uint64_t size;                /* of the uncompressed core */
	const struct cw_arch *arch;
	bool truncated;

	struct cw_core_segment *segs;
	size_t nsegs;
	struct cw_core_thread *threads;
	size_t nthreads;
	struct cw_core_siginfo siginfo;
	struct cw_core_prpsinfo prpsinfo;
	struct cw_core_file_mapping *files;
	size_t nfiles;
	uint64_t *auxv;               /* type, value pairs */
	size_t nauxv;
};

static void elf_endp(Elf **e)
{
	if (*e)
		elf_end(*e);
}

void cw_core_free(struct cw_core *core)
{
	if (!core)
		return;
	if (core->map)
		munmap((void *)core->map, core->map_len);
	cw_zsr_free(core->zsr);
	if (core->data_fd >= 0 && core->data_fd != core->fd)
		close(core->data_fd);
	if (core->fd >= 0)
		close(core->fd);
	for (size_t i = 0; i < core->nfiles; i++)
		free(core->files[i].path);
	free(core->files);
	free(core->segs);
	free(core->threads);
	free(core->auxv);
	free(core);
}
CW_DEFINE_CLEANUP(struct cw_core *, cw_core_free)

int cw_core_pread(struct cw_core *core, void *buf, size_t len, uint64_t offset)
{
	if (!core || (!buf && len))
		return -EINVAL;
	if (offset > core->size || len > core->size - offset)
		return -EFAULT;
	if (len == 0)
		return 0;
	if (core->map) {
		memcpy(buf, core->map + offset, len);
		return 0;
	}
	if (core->zsr) {
		size_t n;
		int ret = cw_zsr_pread(core->zsr, buf, len, offset, &n);
		if (ret < 0)
			return -EIO;
		return n == len ? 0 : -EFAULT;
	}
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = pread(core->data_fd, p, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -EIO;
		if (n == 0)
			return -EFAULT;
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

static int open_tmpfile(void)
{
	const char *dirs[] = { getenv("TMPDIR"), "/var/tmp", "/tmp" };
	for (size_t i = 0; i < CW_ARRAY_SIZE(dirs); i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		int fd = open(dirs[i], O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
	}
	int fd = memfd_create("crashwatch-core", MFD_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

/* Decompresses the whole zstd file into an unlinked temporary file. An
 * input that ends inside a frame keeps what was decoded (a truncated core). */
static int materialise(int zfd, uint64_t max_size, int *out)
{
	_cleanup_close_ int tmp = open_tmpfile();
	if (tmp < 0)
		return tmp;
	if (lseek(zfd, 0, SEEK_SET) < 0)
		return -errno;
	int ret = cw_zstd_decompress_fd(zfd, tmp, max_size ? max_size : UINT64_MAX);
	if (ret < 0 && ret != -ENODATA)
		return ret;
	*out = CW_TAKE_FD(tmp);
	return 0;
}

static int map_data_fd(struct cw_core *core)
{
	struct stat st;
	if (fstat(core->data_fd, &st) < 0)
		return -errno;
	core->size = (uint64_t)st.st_size;
	if (core->size == 0)
		return 0;
	void *p = mmap(NULL, core->size, PROT_READ, MAP_PRIVATE, core->data_fd, 0);
	if (p == MAP_FAILED)
		return 0;             /* pread fallback */
	core->map = p;
	core->map_len = core->size;
	return 0;
}

static int open_container(struct cw_core *core, uint64_t max_size)
{
	uint8_t magic[4] = { 0 };
	ssize_t n = pread(core->fd, magic, sizeof(magic), 0);
	if (n < 0)
		return -errno;
	if (!cw_is_zstd(magic, (size_t)n)) {
		core->data_fd = core->fd;
		return map_data_fd(core);
	}
	int ret = cw_zsr_open(core->fd, &core->zsr);
	if (ret == 0) {
		core->size = cw_zsr_size(core->zsr);
		return 0;
	}
	if (ret != -ENOTSUP)
		return ret;
	ret = materialise(core->fd, max_size, &core->data_fd);
	if (ret < 0)
		return ret;
	return map_data_fd(core);
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static int note_prstatus(struct cw_core *core, const uint8_t *d, size_t len)
{
	if (len < PRSTATUS_REG)
		return -EBADMSG;
	if (core->nthreads >= CORE_MAX_NOTES)
		return -EBADMSG;
	struct cw_core_thread *t = realloc(core->threads, (core->nthreads + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	core->threads = t;
	t = &t[core->nthreads];
	memset(t, 0, sizeof(*t));
	int16_t cursig;
	memcpy(&cursig, d + PRSTATUS_CURSIG, sizeof(cursig));
	t->cursig = cursig;
	t->tid = (int32_t)rd32(d + PRSTATUS_PID);
	int ret = core->arch->regs_from_prstatus(d + PRSTATUS_REG, len - PRSTATUS_REG, &t->regs);
	if (ret < 0)
		return ret;
	core->nthreads++;
	return 0;
}

static void note_siginfo(struct cw_core *core, const uint8_t *d, size_t len)
{
	struct cw_core_siginfo *si = &core->siginfo;
	if (len < SIGINFO_FIELDS + 8)
		return;
	memset(si, 0, sizeof(*si));
	si->present = true;
	si->signo = (int32_t)rd32(d + SIGINFO_SIGNO);
	si->err = (int32_t)rd32(d + SIGINFO_ERRNO);
	si->code = (int32_t)rd32(d + SIGINFO_CODE);
	bool fault = si->signo == 11 || si->signo == 7 || si->signo == 4 || si->signo == 8 || si->signo == 5;
	if (fault && si->code > 0) {
		si->addr = rd64(d + SIGINFO_FIELDS);
	} else {
		si->pid = (int32_t)rd32(d + SIGINFO_FIELDS);
		si->uid = (int32_t)rd32(d + SIGINFO_FIELDS + 4);
	}
}

static void note_prpsinfo(struct cw_core *core, const uint8_t *d, size_t len)
{
	struct cw_core_prpsinfo *ps = &core->prpsinfo;
	if (len < PRPSINFO_SIZE)
		return;
	memset(ps, 0, sizeof(*ps));
	ps->present = true;
	ps->uid = (int32_t)rd32(d + PRPSINFO_UID);
	ps->gid = (int32_t)rd32(d + PRPSINFO_GID);
	ps->pid = (int32_t)rd32(d + PRPSINFO_PID);
	ps->ppid = (int32_t)rd32(d + PRPSINFO_PPID);
	memcpy(ps->fname, d + PRPSINFO_FNAME, sizeof(ps->fname) - 1);
	memcpy(ps->psargs, d + PRPSINFO_PSARGS, sizeof(ps->psargs) - 1);
}

static int note_auxv(struct cw_core *core, const uint8_t *d, size_t len)
{
	size_t n = len / 16;
	uint64_t *a = calloc(n ? n * 2 : 1, sizeof(uint64_t));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		a[2 * i] = rd64(d + 16 * i);
		a[2 * i + 1] = rd64(d + 16 * i + 8);
	}
	free(core->auxv);
	core->auxv = a;
	core->nauxv = n;
	return 0;
}

static int note_file(struct cw_core *core, const uint8_t *d, size_t len)
{
	if (len < 16 || core->files)
		return len < 16 ? -EBADMSG : 0;
	uint64_t count = rd64(d), page = rd64(d + 8);
	if (count > CORE_MAX_FILES || count > (len - 16) / 24 || page == 0 || page > (1ULL << 30))
		return -EBADMSG;
	struct cw_core_file_mapping *f = calloc(count ? count : 1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	core->files = f;
	const uint8_t *names = d + 16 + count * 24, *end = d + len;
	for (uint64_t i = 0; i < count; i++) {
		const uint8_t *e = d + 16 + i * 24;
		f[i].start = rd64(e);
		f[i].end = rd64(e + 8);
		uint64_t pgoff = rd64(e + 16);
		f[i].file_offset = pgoff > UINT64_MAX / page ? UINT64_MAX : pgoff * page;
		if (names >= end)
			return -EBADMSG;
		const uint8_t *nul = memchr(names, 0, (size_t)(end - names));
		size_t nl = nul ? (size_t)(nul - names) : (size_t)(end - names);
		f[i].path = strndup((const char *)names, nl);
		if (!f[i].path)
			return -ENOMEM;
		core->nfiles = i + 1;
		names += nl + 1;
	}
	return 0;
}

static int parse_note_segment(struct cw_core *core, Elf *elf, uint64_t off, uint64_t size)
{
	Elf_Data *data = elf_getdata_rawchunk(elf, (int64_t)off, size, ELF_T_NHDR);
	if (!data)
		return -EBADMSG;
	size_t pos = 0;
	for (unsigned i = 0; i < CORE_MAX_NOTES && pos < data->d_size; i++) {
		GElf_Nhdr nh;
		size_t name_off, desc_off;
		size_t next = gelf_getnote(data, pos, &nh, &name_off, &desc_off);
		if (next == 0 || next <= pos)
			break;
		pos = next;
		const uint8_t *base = data->d_buf;
		bool is_core = nh.n_namesz == 5 && memcmp(base + name_off, "CORE", 5) == 0;
		if (!is_core)
			continue;
		const uint8_t *desc = base + desc_off;
		int ret = 0;
		switch (nh.n_type) {
		case NT_PRSTATUS: ret = note_prstatus(core, desc, nh.n_descsz); break;
		case NT_PRPSINFO: note_prpsinfo(core, desc, nh.n_descsz); break;
		case NT_SIGINFO: note_siginfo(core, desc, nh.n_descsz); break;
		case NT_AUXV: ret = note_auxv(core, desc, nh.n_descsz); break;
		case NT_FILE: ret = note_file(core, desc, nh.n_descsz); break;
		default: break;
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct cw_core_segment *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* Reads the first len bytes of the core into a fresh buffer and opens it with libelf. */
static int elf_prefix(struct cw_core *core, uint64_t len, uint8_t **buf, Elf **elf)
{
	*buf = malloc(len ? len : 1);
	if (!*buf)
		return -ENOMEM;
	int ret = cw_core_pread(core, *buf, len, 0);
	if (ret < 0)
		return ret == -EFAULT ? -EBADMSG : ret;
	*elf = elf_memory((char *)*buf, len);
	return *elf ? 0 : -EBADMSG;
}

static int parse_headers(struct cw_core *core)
{
	uint8_t ident[EI_NIDENT];
	if (core->size < sizeof(Elf64_Ehdr) || cw_core_pread(core, ident, sizeof(ident), 0) < 0)
		return -EBADMSG;
	if (memcmp(ident, ELFMAG, SELFMAG) != 0)
		return -EBADMSG;
	if (ident[EI_CLASS] == ELFCLASS32 || ident[EI_DATA] == ELFDATA2MSB)
		return -ENOTSUP;
	if (ident[EI_CLASS] != ELFCLASS64 || ident[EI_DATA] != ELFDATA2LSB)
		return -EBADMSG;

	_cleanup_free_ uint8_t *hbuf = NULL;
	CW_CLEANUP(elf_endp) Elf *helf = NULL;
	int ret = elf_prefix(core, sizeof(Elf64_Ehdr), &hbuf, &helf);
	if (ret < 0)
		return ret;
	GElf_Ehdr eh;
	if (!gelf_getehdr(helf, &eh) || eh.e_type != ET_CORE)
		return -EBADMSG;
	core->arch = cw_arch_for_machine(eh.e_machine);
	if (!core->arch)
		return -ENOTSUP;
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum == PN_XNUM)
		return -EBADMSG;
	uint64_t hdr_end = eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
	if (eh.e_phoff > core->size || hdr_end > core->size || hdr_end > CORE_MAX_HEADERS)
		return -EBADMSG;

	/* first pass over the phdrs: where the notes end */
	_cleanup_free_ uint8_t *pbuf = NULL;
	CW_CLEANUP(elf_endp) Elf *pelf = NULL;
	ret = elf_prefix(core, hdr_end, &pbuf, &pelf);
	if (ret < 0)
		return ret;
	size_t phnum;
	if (elf_getphdrnum(pelf, &phnum) < 0 || phnum != eh.e_phnum)
		return -EBADMSG;
	core->segs = calloc(phnum, sizeof(*core->segs));
	if (!core->segs)
		return -ENOMEM;
	uint64_t prefix = hdr_end;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(pelf, (int)i, &ph))
			return -EBADMSG;
		bool past_end = ph.p_offset > core->size || ph.p_filesz > core->size - ph.p_offset;
		if ((ph.p_type == PT_LOAD || ph.p_type == PT_NOTE) && past_end)
			core->truncated = true;
		if (ph.p_type == PT_NOTE && !past_end && ph.p_offset + ph.p_filesz <= CORE_MAX_HEADERS &&
		    ph.p_offset + ph.p_filesz > prefix)
			prefix = ph.p_offset + ph.p_filesz;
		if (ph.p_type != PT_LOAD)
			continue;
		struct cw_core_segment *s = &core->segs[core->nsegs++];
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz;
		s->flags = ph.p_flags;
	}
	qsort(core->segs, core->nsegs, sizeof(*core->segs), seg_cmp);

	/* second pass: the notes, each clamped to what the file holds */
	_cleanup_free_ uint8_t *nbuf = NULL;
	CW_CLEANUP(elf_endp) Elf *nelf = NULL;
	ret = elf_prefix(core, prefix, &nbuf, &nelf);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(nelf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		if (ph.p_offset >= prefix)
			continue;
		uint64_t sz = ph.p_filesz;
		if (sz > prefix - ph.p_offset)
			sz = prefix - ph.p_offset;
		ret = parse_note_segment(core, nelf, ph.p_offset, sz);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int cw_core_open_fd(int fd, uint64_t max_size, struct cw_core **out)
{
	if (fd < 0 || !out)
		return -EINVAL;
	int ret = cw_fd_check_regular(fd);
	if (ret < 0)
		return ret;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	CW_CLEANUP(cw_core_freep) struct cw_core *core = calloc(1, sizeof(*core));
	if (!core)
		return -ENOMEM;
	core->data_fd = -1;
	core->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (core->fd < 0)
		return -errno;
	ret = open_container(core, max_size);
	if (ret < 0)
		return ret;
	ret = parse_headers(core);
	if (ret < 0)
		return ret;
	*out = CW_TAKE_PTR(core);
	return 0;
}

int cw_core_open(const char *path, struct cw_core **out)
{
	if (!path || !out)
		return -EINVAL;
	_cleanup_close_ int fd = -1;
	int ret = cw_open_regular(path, &fd);
	if (ret < 0)
		return ret;
	return cw_core_open_fd(fd, 0, out);
}

int cw_core_raw_fd(struct cw_core *core, int *fd)
{
	if (!core || !fd)
		return -EINVAL;
	if (core->data_fd < 0) {
		int ret = materialise(core->fd, 0, &core->data_fd);
		if (ret < 0)
			return ret;
	}
	*fd = core->data_fd;
	return 0;
}

static const struct cw_core_segment *segment_at(const struct cw_core *core, uint64_t addr)
{
	size_t lo = 0, hi = core->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cw_core_segment *s = &core->segs[mid];
		if (addr < s->vaddr)
			hi = mid;
		else if (addr - s->vaddr >= s->memsz)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

int cw_core_build_id_at(struct cw_core *core, uint64_t mapping_start, char **hex)
{
	if (!core || !hex)
		return -EINVAL;
	const struct cw_core_segment *s = segment_at(core, mapping_start);
	if (!s || mapping_start - s->vaddr >= s->filesz)
		return -ENOENT;
	uint64_t off = s->offset + (mapping_start - s->vaddr);
	uint64_t len = s->filesz - (mapping_start - s->vaddr);
	if (off > core->size)
		return -ENOENT;
	if (len > core->size - off)
		len = core->size - off;
	if (len > CORE_BUILD_ID_PAGE)
		len = CORE_BUILD_ID_PAGE;
	if (len < sizeof(Elf64_Ehdr))
		return -ENOENT;
	_cleanup_free_ uint8_t *buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	if (cw_core_pread(core, buf, len, off) < 0 || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return -ENOENT;
	CW_CLEANUP(elf_endp) Elf *elf = elf_memory((char *)buf, len);
	size_t phnum;
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &phnum) < 0)
		return -ENOENT;
	for (size_t i = 0; i < phnum && i < 4096; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			continue;
		Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		if (!d)
			continue;
		size_t pos = 0;
		for (unsigned n = 0; n < 1024 && pos < d->d_size; n++) {
			GElf_Nhdr nh;
			size_t name_off, desc_off;
			size_t next = gelf_getnote(d, pos, &nh, &name_off, &desc_off);
			if (next <= pos)
				break;
			pos = next;
			const uint8_t *base = d->d_buf;
			if (cw_elf_note_is_gnu_build_id(&nh, base + name_off)) {
				*hex = cw_elf_build_id_hex(base + desc_off, nh.n_descsz);
				return *hex ? 0 : -ENOMEM;
			}
		}
	}
	/* Go's linker leaves .note.gnu.build-id outside PT_NOTE: look for the
	 * note's header (namesz 4, descsz, NT_GNU_BUILD_ID, "GNU") in the page. */
	for (size_t pos = 0; pos + 16 <= len; pos += 4) {
		GElf_Nhdr nh = { .n_namesz = rd32(buf + pos), .n_descsz = rd32(buf + pos + 4), .n_type = rd32(buf + pos + 8) };
		if (!cw_elf_note_is_gnu_build_id(&nh, buf + pos + 12) || nh.n_descsz > len - pos - 16)
			continue;
		*hex = cw_elf_build_id_hex(buf + pos + 16, nh.n_descsz);
		return *hex ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

const struct cw_arch *cw_core_arch(const struct cw_core *core) { return core->arch; }
size_t cw_core_nsegments(const struct cw_core *core) { return core->nsegs; }
size_t cw_core_nthreads(const struct cw_core *core) { return core->nthreads; }
size_t cw_core_nfiles(const struct cw_core *core) { return core->nfiles; }
bool cw_core_truncated(const struct cw_core *core) { return core->truncated; }
uint64_t cw_core_size(const struct cw_core *core) { return core->size; }
const struct cw_core_siginfo *cw_core_siginfo(const struct cw_core *core) { return &core->siginfo; }
const struct cw_core_prpsinfo *cw_core_prpsinfo(const struct cw_core *core) { return &core->prpsinfo; }

const struct cw_core_segment *cw_core_segment(const struct cw_core *core, size_t i)
{
	return i < core->nsegs ? &core->segs[i] : NULL;
}

const struct cw_core_thread *cw_core_thread(const struct cw_core *core, size_t i)
{
	return i < core->nthreads ? &core->threads[i] : NULL;
}

const struct cw_core_file_mapping *cw_core_file(const struct cw_core *core, size_t i)
{
	return i < core->nfiles ? &core->files[i] : NULL;
}

const uint8_t *cw_core_data(const struct cw_core *core, uint64_t *size)
{
	if (size)
		*size = core->map ? core->map_len : 0;
	return core->map;
}

int cw_core_auxv(const struct cw_core *core, uint64_t type, uint64_t *val)
{
	for (size_t i = 0; i < core->nauxv; i++) {
		if (core->auxv[2 * i] == type) {
			if (val)
				*val = core->auxv[2 * i + 1];
			return 0;
		}
		if (core->auxv[2 * i] == AT_NULL)
			break;
	}
	return -ENOENT;
}
