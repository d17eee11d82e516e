/* Whole reads and writes on file descriptors, retried on EINTR. */
#ifndef CW_COMMON_IO_H
#define CW_COMMON_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads exactly len bytes at off: 0, -errno, or -EBADMSG when the file
 * ends first (a short file is malformed input to every caller). */
int cw_pread_all(int fd, void *buf, size_t len, uint64_t off);
/* Writes all of buf: 0 or -errno (-EIO when the kernel accepts nothing). */
int cw_write_all(int fd, const void *buf, size_t len);

/* Reads from fd until end of file or max bytes: 0 or -errno; *len is how
 * much was read (== max means the file may be longer). */
int cw_read_upto(int fd, void *buf, size_t max, size_t *len);

/* Opens path read-only, never blocking on a FIFO or a device, and keeps
 * it only when it is a regular file: 0 and *fd, -errno, or -EISDIR for a
 * directory and -ESPIPE for any other file that is not regular (a FIFO,
 * a device, a socket: nothing a parser can seek in). */
int cw_open_regular(const char *path, int *fd);
/* 0 when fd is a regular file; -EISDIR for a directory, -ESPIPE for
 * anything else (a FIFO or a device would be read forever). */
int cw_fd_check_regular(int fd);
/* "a FIFO", "a character device", ... for the type bits of st_mode. */
const char *cw_file_type_name(mode_t mode);

#endif
