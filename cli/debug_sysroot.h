/* crashwatch debug: a private sysroot for gdb, so that it opens a
 * container crash's core with the libraries the container mapped (the
 * kept copies, storage/crash_libraries.h) instead of the host's files at
 * the same paths. */
#ifndef CW_CLI_DEBUG_SYSROOT_H
#define CW_CLI_DEBUG_SYSROOT_H

#include <stddef.h>

#include "storage/storage.h"

/* Makes a temporary directory (mkdtemp in tmpdir) in which each kept
 * library whose copy is readable is a symlink, at its path in the
 * container, to its copy; every other file the core maps (its NT_FILE
 * note) a symlink to the same path on the host; and the host's top-level
 * symlinks (/lib -> usr/lib) the same inside, so that the loader's names
 * for them resolve too. core_path: the raw (decompressed) core. *dir_out
 * (malloc'd) and *supplied (the kept libraries placed) on success; 0 or a
 * negative errno (nothing is left behind then). */
int cw_debug_sysroot_make(const char *tmpdir, const char *core_path, const struct cw_crash_library *libs,
			  size_t n, char **dir_out, size_t *supplied);
/* Removes the directory and everything in it, never following a link. */
void cw_debug_sysroot_remove(const char *dir);

#endif
