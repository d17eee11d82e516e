/* Scope-bound cleanup helpers built on __attribute__((cleanup)). */
#ifndef CW_COMMON_CLEANUP_H
#define CW_COMMON_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CW_CLEANUP(fn) __attribute__((cleanup(fn)))
#define _cleanup_(fn) CW_CLEANUP(fn)

static inline void cw_freep(void *p) { free(*(void **)p); }
static inline void cw_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void cw_fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void cw_closedirp(DIR **d) { if (*d) closedir(*d); }

#define _cleanup_free_ CW_CLEANUP(cw_freep)
#define _cleanup_close_ CW_CLEANUP(cw_closep)
#define _cleanup_fclose_ CW_CLEANUP(cw_fclosep)
#define _cleanup_closedir_ CW_CLEANUP(cw_closedirp)

/* Declare a cleanup function for a type with a free function:
 * CW_DEFINE_CLEANUP(struct foo *, foo_free) gives foo_freep(). */
#define CW_DEFINE_CLEANUP(type, func)                                  \
	static inline void func##p(type *p) { if (*p) func(*p); }

/* Take ownership out of a cleanup-managed variable. */
#define CW_TAKE_PTR(p) ({ __typeof__(p) _tp = (p); (p) = NULL; _tp; })
#define CW_TAKE_FD(fd) ({ int _tf = (fd); (fd) = -1; _tf; })

#define CW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
