/* ELF note helpers shared by the core reader (core_file.c) and the
 * executable reader (exe.c): both look for the GNU build id. */
#ifndef CW_ANALYZER_ELF_NOTE_H
#define CW_ANALYZER_ELF_NOTE_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest GNU build id accepted (sha1 is 20 bytes). */
#define CW_ELF_MAX_BUILD_ID 64U

/* Whether nh, whose name is at name, is a GNU build id note: type
 * NT_GNU_BUILD_ID, name "GNU", 1 to CW_ELF_MAX_BUILD_ID bytes. The caller
 * has checked that the name (and desc) lie inside its buffer. */
bool cw_elf_note_is_gnu_build_id(const GElf_Nhdr *nh, const uint8_t *name);
/* A build id's n bytes as lowercase hex: malloc'd, NULL without memory. */
char *cw_elf_build_id_hex(const uint8_t *p, size_t n);

#endif
