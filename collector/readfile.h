/* Bounded whole-file reads for /proc files (their st_size is 0). */
#ifndef CW_COLLECTOR_READFILE_H
#define CW_COLLECTOR_READFILE_H

#include <stddef.h>

/* Reads at most max bytes of dirfd/name (O_NOFOLLOW unless name is absolute
 * /proc/self path) into a malloc'd, NUL-terminated *out. Content beyond max
 * is silently cut. */
int cw_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *len);

#endif
