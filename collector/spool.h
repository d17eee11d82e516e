/* Safe file creation in the spool (docs/spool.md): root-owned directories
 * opened without following links, files made atomically (O_TMPFILE +
 * linkat, or a .# name + renameat2(RENAME_NOREPLACE)). */
#ifndef CW_COLLECTOR_SPOOL_H
#define CW_COLLECTOR_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Opens (creating if missing, with mode) dirfd/name as a directory without
 * following a link, and checks it is owned by us (root) and not writable by
 * group or others. dirfd may be AT_FDCWD with an absolute name. Returns the
 * fd, -ELOOP/-ENOTDIR for a link or non-directory, -EPERM for bad
 * ownership or mode. */
int cw_spool_open_dir(int dirfd, const char *name, mode_t mode);

struct cw_spool_file {
	int fd;                /* open for writing, -1 when none */
	char tmp_name[96];     /* "" with O_TMPFILE, else the .# name to rename */
};

/* Starts an anonymous file in dirfd. */
int cw_spool_file_begin(int dirfd, struct cw_spool_file *f);
/* Sets the mode (the file stays root's), lets reader_uid (> 0) read it
 * through a POSIX ACL when the file system allows (*reader_granted, may be
 * NULL), then gives it its final name (never replacing an existing one:
 * -EEXIST). Closes the fd. */
int cw_spool_file_commit(int dirfd, struct cw_spool_file *f, const char *name, mode_t mode, int64_t reader_uid,
			 bool *reader_granted);
/* Drops the file: nothing remains. Safe to call twice. */
void cw_spool_file_abort(int dirfd, struct cw_spool_file *f);

#endif
