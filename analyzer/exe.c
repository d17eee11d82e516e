/* The executable: libelf over a private mapping of the file. Sections,
 * PT_LOADs, build ids, .symtab lookup, the libdw handle, reads at link-time
 * addresses, and the load bias in a core. The file is hostile input:
 * libelf checks the headers, we check every offset we derive from them. */
#include "config.h"
#include "analyzer/exe.h"

#include <elf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/core_file.h"
#include "analyzer/elf_note.h"
#include "common/cleanup.h"
#include "common/io.h"

#define EXE_MAX_SECTIONS 65536U
#define EXE_MAX_SEGMENTS 65536U
#define EXE_MAX_SYMBOLS (16U << 20)
#define EXE_MAX_NOTES 4096U
#define EXE_MAX_GO_BUILD_ID 1024U

struct exe_symbol {
	const char *name;   /* in libelf's string table */
	uint64_t value, size;
};

struct cw_exe {
	char *path;
	uint8_t *data;      /* private writable mapping of the file (libelf may touch it) */
	size_t size;
	Elf *elf;
	GElf_Ehdr eh;
	struct cw_exe_section *sections;
	size_t nsections;
	struct cw_exe_segment *segments;   /* PT_LOADs sorted by vaddr */
	size_t nsegments;
	char *gnu_build_id, *go_build_id;
	struct exe_symbol *syms_by_name, *syms_by_addr;
	size_t nsyms;
	Dwarf *dwarf;
};

void cw_exe_free(struct cw_exe *exe)
{
	if (!exe)
		return;
	if (exe->dwarf)
		dwarf_end(exe->dwarf);
	if (exe->elf)
		elf_end(exe->elf);
	if (exe->data)
		munmap(exe->data, exe->size ? exe->size : 1);
	free(exe->sections);
	free(exe->segments);
	free(exe->syms_by_name);
	free(exe->syms_by_addr);
	free(exe->gnu_build_id);
	free(exe->go_build_id);
	free(exe->path);
	free(exe);
}
CW_DEFINE_CLEANUP(struct cw_exe *, cw_exe_free)

/* Looks through one block of notes for the GNU and Go build ids. */
static int scan_notes(struct cw_exe *exe, Elf_Data *d)
{
	size_t pos = 0;
	for (unsigned n = 0; n < EXE_MAX_NOTES && pos < d->d_size; n++) {
		GElf_Nhdr nh;
		size_t name_off, desc_off;
		size_t next = gelf_getnote(d, pos, &nh, &name_off, &desc_off);
		if (next <= pos)
			break;
		pos = next;
		const uint8_t *base = d->d_buf;
		if (!exe->gnu_build_id && cw_elf_note_is_gnu_build_id(&nh, base + name_off)) {
			exe->gnu_build_id = cw_elf_build_id_hex(base + desc_off, nh.n_descsz);
			if (!exe->gnu_build_id)
				return -ENOMEM;
		}
		/* Go: name "Go\0\0" (namesz 4), type 4 (ELF_NOTE_GOBUILDID_TAG) */
		if (!exe->go_build_id && nh.n_type == 4 && nh.n_namesz == 4 &&
		    memcmp(base + name_off, "Go\0\0", 4) == 0 && nh.n_descsz > 0 &&
		    nh.n_descsz <= EXE_MAX_GO_BUILD_ID) {
			exe->go_build_id = strndup((const char *)base + desc_off, nh.n_descsz);
			if (!exe->go_build_id)
				return -ENOMEM;
		}
	}
	return 0;
}

static int load_sections(struct cw_exe *exe)
{
	size_t shnum, shstrndx;
	if (elf_getshdrnum(exe->elf, &shnum) < 0)
		return -EBADMSG;
	if (shnum == 0)
		return 0;
	if (shnum > EXE_MAX_SECTIONS || elf_getshdrstrndx(exe->elf, &shstrndx) < 0)
		return -EBADMSG;
	exe->sections = calloc(shnum, sizeof(*exe->sections));
	if (!exe->sections)
		return -ENOMEM;
	Elf_Scn *scn = NULL;
	for (size_t i = 0; i < shnum && (scn = elf_nextscn(exe->elf, scn)) != NULL; i++) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return -EBADMSG;
		const char *name = elf_strptr(exe->elf, shstrndx, sh.sh_name);
		struct cw_exe_section *s = &exe->sections[exe->nsections++];
		s->name = name ? name : "";
		s->addr = (sh.sh_flags & SHF_ALLOC) ? sh.sh_addr : 0;
		s->offset = sh.sh_offset;
		s->size = sh.sh_size;
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		if (sh.sh_type == SHT_NOTE && sh.sh_offset <= exe->size &&
		    sh.sh_size <= exe->size - sh.sh_offset) {
			Elf_Data *d = elf_getdata(scn, NULL);
			if (d && d->d_buf) {
				int ret = scan_notes(exe, d);
				if (ret < 0)
					return ret;
			}
		}
	}
	return 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct cw_exe_segment *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static int load_segments(struct cw_exe *exe)
{
	size_t phnum;
	if (elf_getphdrnum(exe->elf, &phnum) < 0)
		return -EBADMSG;
	if (phnum > EXE_MAX_SEGMENTS)
		return -EBADMSG;
	exe->segments = calloc(phnum ? phnum : 1, sizeof(*exe->segments));
	if (!exe->segments)
		return -ENOMEM;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(exe->elf, (int)i, &ph))
			return -EBADMSG;
		if (ph.p_type == PT_NOTE && (!exe->gnu_build_id || !exe->go_build_id) &&
		    ph.p_offset <= exe->size && ph.p_filesz <= exe->size - ph.p_offset) {
			Elf_Data *d = elf_getdata_rawchunk(exe->elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
			if (d) {
				int ret = scan_notes(exe, d);
				if (ret < 0)
					return ret;
			}
		}
		if (ph.p_type != PT_LOAD)
			continue;
		struct cw_exe_segment *s = &exe->segments[exe->nsegments++];
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz;
		s->flags = ph.p_flags;
		/* only the bytes the file holds are file-backed */
		if (s->offset > exe->size)
			s->filesz = 0;
		else if (s->filesz > exe->size - s->offset)
			s->filesz = exe->size - s->offset;
		if (s->filesz > s->memsz)
			s->filesz = s->memsz;
	}
	qsort(exe->segments, exe->nsegments, sizeof(*exe->segments), seg_cmp);
	return 0;
}

static int sym_name_cmp(const void *a, const void *b)
{
	const struct exe_symbol *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static int sym_addr_cmp(const void *a, const void *b)
{
	const struct exe_symbol *x = a, *y = b;
	return x->value < y->value ? -1 : x->value > y->value;
}

static int load_symbols(struct cw_exe *exe)
{
	Elf_Scn *scn = NULL;
	for (size_t i = 0; i < exe->nsections && (scn = elf_nextscn(exe->elf, scn)) != NULL; i++) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		if (sh.sh_offset > exe->size || sh.sh_size > exe->size - sh.sh_offset)
			return 0;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			return 0;
		size_t n = d->d_size / sizeof(Elf64_Sym);
		if (n > EXE_MAX_SYMBOLS)
			n = EXE_MAX_SYMBOLS;
		exe->syms_by_name = calloc(n ? n : 1, sizeof(struct exe_symbol));
		if (!exe->syms_by_name)
			return -ENOMEM;
		for (size_t k = 0; k < n; k++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)k, &sym))
				break;
			if (sym.st_shndx == SHN_UNDEF || sym.st_name == 0)
				continue;
			const char *name = elf_strptr(exe->elf, sh.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			struct exe_symbol *s = &exe->syms_by_name[exe->nsyms++];
			s->name = name;
			s->value = sym.st_value;
			s->size = sym.st_size;
		}
		exe->syms_by_addr = malloc((exe->nsyms ? exe->nsyms : 1) * sizeof(struct exe_symbol));
		if (!exe->syms_by_addr)
			return -ENOMEM;
		if (exe->nsyms)
			memcpy(exe->syms_by_addr, exe->syms_by_name, exe->nsyms * sizeof(struct exe_symbol));
		qsort(exe->syms_by_name, exe->nsyms, sizeof(struct exe_symbol), sym_name_cmp);
		qsort(exe->syms_by_addr, exe->nsyms, sizeof(struct exe_symbol), sym_addr_cmp);
		return 0;
	}
	return 0;
}

/* Takes ownership of the mapping data/size. */
static int exe_from_mapping(uint8_t *data, size_t size, const char *path, struct cw_exe **out)
{
	CW_CLEANUP(cw_exe_freep) struct cw_exe *exe = calloc(1, sizeof(*exe));
	if (!exe) {
		munmap(data, size ? size : 1);
		return -ENOMEM;
	}
	exe->data = data;
	exe->size = size;
	exe->path = strdup(path);
	if (!exe->path)
		return -ENOMEM;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	if (size < sizeof(Elf64_Ehdr) || memcmp(data, ELFMAG, SELFMAG) != 0)
		return -EBADMSG;
	exe->elf = elf_memory((char *)data, size);
	if (!exe->elf || elf_kind(exe->elf) != ELF_K_ELF || !gelf_getehdr(exe->elf, &exe->eh))
		return -EBADMSG;
	if (gelf_getclass(exe->elf) != ELFCLASS64)
		return -ENOTSUP;
	if (exe->eh.e_type != ET_EXEC && exe->eh.e_type != ET_DYN)
		return -EBADMSG;
	int ret = load_sections(exe);
	if (ret < 0)
		return ret;
	ret = load_segments(exe);
	if (ret < 0)
		return ret;
	ret = load_symbols(exe);
	if (ret < 0)
		return ret;
	exe->dwarf = dwarf_begin_elf(exe->elf, DWARF_C_READ, NULL);
	*out = CW_TAKE_PTR(exe);
	return 0;
}

int cw_exe_open_fd(int fd, const char *path, struct cw_exe **out)
{
	if (fd < 0 || !path || !out)
		return -EINVAL;
	int ret = cw_fd_check_regular(fd);
	if (ret < 0)
		return ret;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < sizeof(Elf64_Ehdr) || (uint64_t)st.st_size > SIZE_MAX / 2)
		return -EBADMSG;
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	return exe_from_mapping(p, (size_t)st.st_size, path, out);
}

int cw_exe_open(const char *path, struct cw_exe **out)
{
	if (!path || !out)
		return -EINVAL;
	_cleanup_close_ int fd = -1;
	int ret = cw_open_regular(path, &fd);
	if (ret < 0)
		return ret;
	return cw_exe_open_fd(fd, path, out);
}

int cw_exe_open_mem(const void *data, size_t size, struct cw_exe **out)
{
	if ((!data && size) || !out)
		return -EINVAL;
	void *p = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (size)
		memcpy(p, data, size);
	return exe_from_mapping(p, size, "<memory>", out);
}

const char *cw_exe_path(const struct cw_exe *exe) { return exe->path; }
uint16_t cw_exe_machine(const struct cw_exe *exe) { return exe->eh.e_machine; }
bool cw_exe_is_pie(const struct cw_exe *exe) { return exe->eh.e_type == ET_DYN; }
uint64_t cw_exe_entry(const struct cw_exe *exe) { return exe->eh.e_entry; }
const char *cw_exe_gnu_build_id(const struct cw_exe *exe) { return exe->gnu_build_id; }
const char *cw_exe_go_build_id(const struct cw_exe *exe) { return exe->go_build_id; }
size_t cw_exe_nsections(const struct cw_exe *exe) { return exe->nsections; }
size_t cw_exe_nsegments(const struct cw_exe *exe) { return exe->nsegments; }
bool cw_exe_has_symtab(const struct cw_exe *exe) { return exe->nsyms > 0; }
bool cw_exe_has_dwarf(const struct cw_exe *exe) { return exe->dwarf != NULL; }
void *cw_exe_dwarf(const struct cw_exe *exe) { return exe->dwarf; }

const struct cw_exe_section *cw_exe_section(const struct cw_exe *exe, size_t i)
{
	return i < exe->nsections ? &exe->sections[i] : NULL;
}

const struct cw_exe_section *cw_exe_section_by_name(const struct cw_exe *exe, const char *name)
{
	for (size_t i = 0; i < exe->nsections; i++)
		if (strcmp(exe->sections[i].name, name) == 0)
			return &exe->sections[i];
	return NULL;
}

const struct cw_exe_segment *cw_exe_segment(const struct cw_exe *exe, size_t i)
{
	return i < exe->nsegments ? &exe->segments[i] : NULL;
}

const uint8_t *cw_exe_data(const struct cw_exe *exe, size_t *size)
{
	if (size)
		*size = exe->size;
	return exe->data;
}

/* The PT_LOAD containing vaddr, or NULL. */
static const struct cw_exe_segment *segment_at(const struct cw_exe *exe, uint64_t vaddr)
{
	size_t lo = 0, hi = exe->nsegments;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cw_exe_segment *s = &exe->segments[mid];
		if (vaddr < s->vaddr)
			hi = mid;
		else if (vaddr - s->vaddr >= s->memsz)
			lo = mid + 1;
		else
			return s;
	}
	/* overlapping hostile segments: fall back to a linear search */
	for (size_t i = 0; i < exe->nsegments; i++) {
		const struct cw_exe_segment *s = &exe->segments[i];
		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->memsz)
			return s;
	}
	return NULL;
}

int cw_exe_read_vaddr(const struct cw_exe *exe, uint64_t vaddr, void *buf, size_t len)
{
	if (!exe || (!buf && len))
		return -EINVAL;
	uint8_t *p = buf;
	/* each step consumes at least one byte of a segment */
	while (len > 0) {
		const struct cw_exe_segment *s = segment_at(exe, vaddr);
		if (!s)
			return -EFAULT;
		uint64_t in = vaddr - s->vaddr;
		uint64_t avail = s->memsz - in;
		size_t n = avail < len ? (size_t)avail : len;
		if (in < s->filesz) {
			uint64_t fa = s->filesz - in;
			if (n > fa)
				n = (size_t)fa;
			memcpy(p, exe->data + s->offset + in, n);
		} else {
			memset(p, 0, n);   /* .bss-like tail */
		}
		p += n;
		len -= n;
		vaddr += n;
		if (vaddr == 0 && len > 0)
			return -EFAULT;
	}
	return 0;
}

int cw_exe_symbol(const struct cw_exe *exe, const char *name, uint64_t *addr, uint64_t *size)
{
	if (!exe || !name)
		return -EINVAL;
	if (exe->nsyms == 0)   /* stripped: bsearch must not get a NULL base */
		return -ENOENT;
	struct exe_symbol key = { .name = name };
	const struct exe_symbol *s = bsearch(&key, exe->syms_by_name, exe->nsyms, sizeof(key), sym_name_cmp);
	if (!s)
		return -ENOENT;
	if (addr)
		*addr = s->value;
	if (size)
		*size = s->size;
	return 0;
}

int cw_exe_symbol_at(const struct cw_exe *exe, uint64_t addr, const char **name, uint64_t *start)
{
	if (!exe)
		return -EINVAL;
	size_t lo = 0, hi = exe->nsyms;
	while (lo < hi) {   /* first symbol with value > addr */
		size_t mid = lo + (hi - lo) / 2;
		if (exe->syms_by_addr[mid].value <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* look back a bounded number of symbols for one whose extent covers addr */
	for (size_t k = 0; k < 16 && lo > 0; k++, lo--) {
		const struct exe_symbol *s = &exe->syms_by_addr[lo - 1];
		if (addr - s->value < (s->size ? s->size : 1)) {
			if (name)
				*name = s->name;
			if (start)
				*start = s->value;
			return 0;
		}
	}
	return -ENOENT;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

int cw_exe_load_bias(const struct cw_exe *exe, struct cw_core *core, uint64_t *bias)
{
	if (!exe || !core || !bias)
		return -EINVAL;
	if (exe->eh.e_type == ET_EXEC) {
		*bias = 0;
		return 0;
	}
	uint64_t entry;
	if (cw_core_auxv(core, AT_ENTRY, &entry) == 0 && exe->eh.e_entry != 0) {
		*bias = entry - exe->eh.e_entry;
		return 0;
	}
	if (exe->nsegments == 0)
		return -ENOENT;
	uint64_t first = exe->segments[0].vaddr & ~(uint64_t)0xfff;
	_cleanup_free_ char *real = realpath(exe->path, NULL);
	const char *want = real ? real : exe->path;
	/* exact path first, then the same file name */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < cw_core_nfiles(core); i++) {
			const struct cw_core_file_mapping *f = cw_core_file(core, i);
			if (f->file_offset != 0)
				continue;
			bool match = pass == 0 ? strcmp(f->path, want) == 0
					       : strcmp(base_name(f->path), base_name(want)) == 0;
			if (match) {
				*bias = f->start - first;
				return 0;
			}
		}
	}
	return -ENOENT;
}
