#include "config.h"
#include "analyzer/elf_note.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

bool cw_elf_note_is_gnu_build_id(const GElf_Nhdr *nh, const uint8_t *name)
{
	return nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
	       nh->n_descsz > 0 && nh->n_descsz <= CW_ELF_MAX_BUILD_ID;
}

char *cw_elf_build_id_hex(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = 0;
	return s;
}
