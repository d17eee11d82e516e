/* The GNU build id of an executable, from its PT_NOTE segments (ELF64,
 * little endian). The file is hostile: every size is bounded. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/elfnote.h"
#include "collector/procinfo.h"
#include "common/io.h"
#include "common/cleanup.h"

#define MAX_PHDRS 512
#define MAX_SHDRS 4096
#define MAX_NOTE_SEGMENT (256U << 10)

static int hex_dup(const uint8_t *p, size_t len, char **out)
{
	char *s = malloc(len * 2 + 1);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	s[len * 2] = 0;
	*out = s;
	return 0;
}

/* The GNU build id in the notes at [off, off+size) of fd: 0, -ENOENT. */
static int build_id_in(int fd, uint64_t off, uint64_t size, char **out)
{
	if (size == 0 || size > MAX_NOTE_SEGMENT)
		return -ENOENT;
	_cleanup_free_ uint8_t *notes = malloc(size);
	if (!notes)
		return -ENOMEM;
	if (cw_pread_all(fd, notes, size, off) < 0)
		return -ENOENT;
	struct cw_note n;
	size_t pos = 0;
	for (unsigned guard = 0; guard < 4096 && cw_note_next(notes, size, &pos, &n) > 0; guard++)
		if (n.type == NT_GNU_BUILD_ID && cw_note_name_is(&n, "GNU") && n.descsz > 0 && n.descsz <= 64)
			return hex_dup(n.desc, n.descsz, out);
	return -ENOENT;
}

/* The PT_NOTE segments first (what the loader maps); then the SHT_NOTE
 * sections, because some linkers (Go's, since it emits a GNU build id)
 * leave .note.gnu.build-id outside every PT_NOTE. */
int cw_elf_build_id(int fd, char **out)
{
	Elf64_Ehdr eh;
	int r;

	r = cw_pread_all(fd, &eh, sizeof(eh), 0);
	if (r < 0)
		return r;
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_phentsize != sizeof(Elf64_Phdr))
		return -EBADMSG;
	if (eh.e_phnum == 0 || eh.e_phnum > MAX_PHDRS)
		return -ENOENT;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		r = cw_pread_all(fd, &ph, sizeof(ph), eh.e_phoff + (uint64_t)i * sizeof(ph));
		if (r < 0)
			return r;
		if (ph.p_type != PT_NOTE)
			continue;
		r = build_id_in(fd, ph.p_offset, ph.p_filesz, out);
		if (r != -ENOENT)
			return r;
	}
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > MAX_SHDRS)
		return -ENOENT;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		if (cw_pread_all(fd, &sh, sizeof(sh), eh.e_shoff + (uint64_t)i * sizeof(sh)) < 0)
			return -ENOENT;
		if (sh.sh_type != SHT_NOTE)
			continue;
		r = build_id_in(fd, sh.sh_offset, sh.sh_size, out);
		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}
