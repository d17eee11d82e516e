/* Fallback metadata from the core itself: NT_PRPSINFO (comm, psargs, uid,
 * gid), NT_SIGINFO/NT_PRSTATUS (signal) and NT_FILE (mappings, the
 * executable's path), parsed from the first bytes of the core stream. */
#ifndef CW_COLLECTOR_CORENOTES_H
#define CW_COLLECTOR_CORENOTES_H

#include <stddef.h>

#include "collector/procinfo.h"

/* How much of the core's start the collector keeps for this. */
#define CW_CORENOTES_PREFIX_MAX (4U << 20)

/* Parses an ELF64 little-endian core prefix (hostile) into the empty fields
 * of p. Returns 0, -EBADMSG (not an ELF core / no notes in the prefix) or
 * -ENOMEM. */
int cw_core_notes_parse(const void *buf, size_t len, struct cw_procinfo *p);

#endif
