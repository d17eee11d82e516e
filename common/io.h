/* Whole reads and writes on file descriptors, retried on EINTR. */
#ifndef CW_COMMON_IO_H
#define CW_COMMON_IO_H

#include <stddef.h>
#include <stdint.h>

/* Reads exactly len bytes at off: 0, -errno, or -EBADMSG when the file
 * ends first (a short file is malformed input to every caller). */
int cw_pread_all(int fd, void *buf, size_t len, uint64_t off);
/* Writes all of buf: 0 or -errno (-EIO when the kernel accepts nothing). */
int cw_write_all(int fd, const void *buf, size_t len);

/* Reads from fd until end of file or max bytes: 0 or -errno; *len is how
 * much was read (== max means the file may be longer). */
int cw_read_upto(int fd, void *buf, size_t max, size_t *len);

#endif
