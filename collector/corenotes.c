/* Fallback metadata from the core's notes. The core is hostile: every
 * offset and count is checked against the prefix we hold. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/corenotes.h"
#include "collector/elfnote.h"

#define MAX_NOTES 100000
#define PRPSINFO_FNAME 40     /* struct elf_prpsinfo (64-bit) offsets */
#define PRPSINFO_PSARGS 56
#define PRPSINFO_UID 16
#define PRPSINFO_GID 20
#define PRPSINFO_SIZE 136
#define PRSTATUS_CURSIG 12

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int prpsinfo(const struct cw_note *n, struct cw_procinfo *p)
{
	if (n->descsz < PRPSINFO_SIZE)
		return 0;
	if (p->uid < 0)
		p->uid = le32(n->desc + PRPSINFO_UID);
	if (p->gid < 0)
		p->gid = le32(n->desc + PRPSINFO_GID);
	if (!p->comm) {
		p->comm = strndup((const char *)n->desc + PRPSINFO_FNAME, 16);
		if (!p->comm)
			return -ENOMEM;
	}
	if (!p->cmdline) {
		/* psargs: the first 80 bytes of the command line, spaces for NULs. */
		char args[81];
		size_t count = 0;
		memcpy(args, n->desc + PRPSINFO_PSARGS, 80);
		args[80] = 0;
		p->cmdline = calloc(41, sizeof(char *));
		if (!p->cmdline)
			return -ENOMEM;
		char *save = NULL;
		for (char *a = strtok_r(args, " ", &save); a && count < 40; a = strtok_r(NULL, " ", &save)) {
			p->cmdline[count] = strdup(a);
			if (!p->cmdline[count])
				return -ENOMEM;
			p->n_cmdline = ++count;
		}
	}
	return 0;
}

/* NT_FILE: count, page size, count x (start, end, page offset), names. */
static int nt_file(const struct cw_note *n, struct cw_procinfo *p)
{
	if (n->descsz < 16 || p->n_maps)
		return 0;
	uint64_t count = le64(n->desc), page = le64(n->desc + 8);
	if (count > (n->descsz - 16) / 24)
		return 0;
	const char *names = (const char *)n->desc + 16 + count * 24;
	const char *end = (const char *)n->desc + n->descsz;
	for (uint64_t i = 0; i < count && names < end; i++) {
		const uint8_t *e = n->desc + 16 + i * 24;
		size_t l = strnlen(names, (size_t)(end - names));
		if (l == (size_t)(end - names))
			break; /* unterminated */
		uint64_t off = le64(e + 16);
		off = page && off <= UINT64_MAX / page ? off * page : 0;
		int r = cw_procinfo_add_mapping(p, le64(e), le64(e + 8), off, "", names);
		if (r == -E2BIG)
			break;
		if (r < 0)
			return r;
		names += l + 1;
	}
	return 0;
}

/* The executable: the first mapped file whose name starts like comm. */
static int guess_exe(struct cw_procinfo *p)
{
	if (p->exe || p->n_maps == 0)
		return 0;
	const char *pick = p->maps[0].path;
	for (size_t i = 0; p->comm && *p->comm && i < p->n_maps; i++) {
		const char *base = p->maps[i].path ? strrchr(p->maps[i].path, '/') : NULL;
		if (base && !strncmp(base + 1, p->comm, strlen(p->comm))) {
			pick = p->maps[i].path;
			break;
		}
	}
	if (pick && !(p->exe = strdup(pick)))
		return -ENOMEM;
	return 0;
}

int cw_core_notes_parse(const void *buf, size_t len, struct cw_procinfo *p)
{
	const uint8_t *b = buf;
	Elf64_Ehdr eh;
	bool found = false;
	int r;

	if (!buf || len < sizeof(eh))
		return -EBADMSG;
	memcpy(&eh, b, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_type != ET_CORE ||
	    eh.e_phentsize != sizeof(Elf64_Phdr))
		return -EBADMSG;
	if (eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return -EBADMSG;
	unsigned notes_seen = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, b + eh.e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_NOTE || ph.p_offset >= len)
			continue;
		size_t avail = len - (size_t)ph.p_offset;
		size_t seg = ph.p_filesz < avail ? (size_t)ph.p_filesz : avail; /* the prefix may cut it */
		const uint8_t *notes = b + ph.p_offset;
		struct cw_note n;
		size_t off = 0;
		found = true;
		while (notes_seen++ < MAX_NOTES && cw_note_next(notes, seg, &off, &n) > 0) {
			if (!cw_note_name_is(&n, "CORE"))
				continue;
			r = 0;
			if (n.type == NT_PRPSINFO)
				r = prpsinfo(&n, p);
			else if (n.type == NT_FILE)
				r = nt_file(&n, p);
			else if (n.type == NT_SIGINFO && n.descsz >= 4 && p->signal < 0)
				p->signal = (int)le32(n.desc);
			else if (n.type == NT_PRSTATUS && n.descsz >= PRSTATUS_CURSIG + 2 && p->signal < 0)
				p->signal = n.desc[PRSTATUS_CURSIG] | n.desc[PRSTATUS_CURSIG + 1] << 8;
			if (r < 0)
				return r;
		}
	}
	if (!found)
		return -EBADMSG;
	return guess_exe(p);
}
