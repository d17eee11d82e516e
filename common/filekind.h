/* What a file is, in words, for errors about a file that should have been
 * an ELF executable or core and is not ("is a text file", "is a character
 * device"). */
#ifndef CW_COMMON_FILEKIND_H
#define CW_COMMON_FILEKIND_H

#include <stddef.h>

/* Describes PATH for "PATH: <text>" after a failed ELF open: its type when
 * not a regular file, else what its first bytes look like (empty, a script
 * and its interpreter, text, compressed data, an ELF file of another class
 * or kind, or "not an ELF file"). An ELF file that is not of those kinds is
 * "an ELF file, but corrupt". Never fails: writes at most len bytes (len >
 * 0) into buf and returns buf. */
const char *cw_file_kind(const char *path, char *buf, size_t len);

#endif
