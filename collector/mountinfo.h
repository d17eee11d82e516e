/* /proc/PID/mountinfo, line by line (proc(5)), and what it is for here:
 * the host path of a file a containerised process sees at another path.
 * Mount points and roots are the process owner's to choose (in their own
 * mount namespace): every field is bounded and unescaped with care. */
#ifndef CW_COLLECTOR_MOUNTINFO_H
#define CW_COLLECTOR_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CW_MOUNTINFO_PATH_MAX 4096

struct cw_mount {
	unsigned major, minor;
	char root[CW_MOUNTINFO_PATH_MAX];       /* path inside the file system, unescaped */
	char mount_point[CW_MOUNTINFO_PATH_MAX]; /* unescaped */
};

/* Parses the line starting at *off in buf (len bytes) into m and moves
 * *off past it. Returns 1 for a mount, 0 at the end, -EBADMSG for a line
 * that is not a mount (skipped: *off still moves). */
int cw_mountinfo_next(const char *buf, size_t len, size_t *off, struct cw_mount *m);

/* The path on the host (in this process's mount namespace) of the file at
 * inner_path in the mount table inner (a process's mountinfo), found
 * through outer (our mountinfo): the inner mount holding inner_path (the
 * longest mount point that is a prefix), then an outer mount of the same
 * device whose root contains the inner mount's root. Every candidate is
 * checked with stat() against dev/ino, so a wrong guess is never
 * returned. 0 and a malloc'd *out, or -ENOENT. */
int cw_mountinfo_host_path(const char *inner, size_t inner_len, const char *outer, size_t outer_len,
			   const char *inner_path, dev_t dev, ino_t ino, char **out);

#endif
