/* Native (C, C++, Rust, cgo) backtraces of every thread of a core, with
 * libdwfl: CFI from the executable and the libraries, symbol names,
 * file:line when debug info is there. */
#ifndef CW_ANALYZER_NATIVE_UNWIND_H
#define CW_ANALYZER_NATIVE_UNWIND_H

#include <stddef.h>

#include "analyzer/core_file.h"
#include "analyzer/model.h"

#define CW_NATIVE_MAX_FRAMES 256

/* One struct cw_thread per thread of the core (stack_kind "native",
 * frames innermost first, at most CW_NATIVE_MAX_FRAMES; crashed set on
 * the thread that received the signal). exe_path is the executable for the
 * core's main module (NULL: found by build id). Errors: -EBADMSG when
 * libdwfl cannot read the core, -ENOMEM. Free with cw_native_threads_free. */
int cw_native_unwind(struct cw_core *core, const char *exe_path, struct cw_thread **out, size_t *n);
/* The same, preferring for a module the file among lib_fds (open
 * descriptors, not taken) whose GNU build id is the module's in the core:
 * a container's library kept by the collector, whose path in the core
 * names nothing (or another file) on this host. */
int cw_native_unwind_libs(struct cw_core *core, const char *exe_path, const int *lib_fds, size_t nlibs,
			  struct cw_thread **out, size_t *n);
void cw_native_threads_free(struct cw_thread *threads, size_t n);

#endif
