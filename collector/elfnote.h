/* Bounded walking of ELF note data (shared by corenotes.c and buildid.c). */
#ifndef CW_COLLECTOR_ELFNOTE_H
#define CW_COLLECTOR_ELFNOTE_H

#include <stddef.h>
#include <stdint.h>

struct cw_note {
	uint32_t type;
	const char *name;     /* not NUL-terminated; namesz bytes */
	uint32_t namesz;
	const uint8_t *desc;
	uint32_t descsz;
};

/* Next note of buf[*off..len) (4-byte aligned notes). Returns 1 and
 * advances *off, 0 at the end, -EBADMSG when a note runs past len. */
int cw_note_next(const uint8_t *buf, size_t len, size_t *off, struct cw_note *n);

/* True when the note's name is exactly `name` (with or without its NUL). */
int cw_note_name_is(const struct cw_note *n, const char *name);

#endif
