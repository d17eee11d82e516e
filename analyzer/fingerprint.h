/* Pieces of the fingerprint rule, exposed for tests (docs/fingerprint.md). */
#ifndef CW_ANALYZER_FINGERPRINT_H
#define CW_ANALYZER_FINGERPRINT_H

#include <stdbool.h>

#include "analyzer/model.h"

/* Numbers (decimal, hex) become "N": "index out of range [5] with length 3"
 * -> "index out of range [N] with length N". malloc'd. */
char *cw_fingerprint_normalize_message(const char *msg);
/* runtime.* and libc signal/abort frames, dropped from the fingerprint. */
bool cw_fingerprint_frame_is_internal(const char *function);
/* The canonical text that is hashed. malloc'd into *out. */
int cw_fingerprint_text(const struct cw_analysis *a, char **out);

#endif
