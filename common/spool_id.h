/* The spool ID: the name of one crash in the spool (ID.core.zst, ID.meta;
 * docs/spool.md) and its key in the history (crashes.spool_id). The
 * collector makes it, the daemon accepts only names of this form:
 *
 *   [0-9]{16}-[0-9]{1,10}-[0-9a-f]{8}
 *
 * the crash time in microseconds since the epoch, zero-padded to 16 digits
 * so that IDs sort by time; the crashing PID in the global namespace (0
 * when unknown); 8 random lowercase hex digits. An ID holds no '/' and no
 * '.', so it is safe as a file name. */
#ifndef CW_COMMON_SPOOL_ID_H
#define CW_COMMON_SPOOL_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CW_SPOOL_ID_MAX 64 /* the longest name cw_spool_id_valid accepts (bytes, no NUL) */

/* Writes the ID of a crash at time_usec of pid (>= 0) into id (len bytes,
 * with the NUL); -ENAMETOOLONG when it does not fit. */
int cw_spool_new_id(uint64_t time_usec, pid_t pid, char *id, size_t len);
/* True if the len bytes at name are a spool ID (hostile input: no NUL needed). */
bool cw_spool_id_valid(const char *name, size_t len);

#endif
