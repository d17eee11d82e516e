/* Safe file creation in the spool. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "collector/spool.h"
#include "common/cleanup.h"

int cw_spool_open_dir(int dirfd, const char *name, mode_t mode)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOTDIR || errno == ELOOP ? -ELOOP : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	return CW_TAKE_FD(fd);
}

int cw_spool_file_begin(int dirfd, struct cw_spool_file *f)
{
	f->tmp_name[0] = 0;
	f->fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (f->fd >= 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	for (int attempt = 0; attempt < 16; attempt++) {
		uint64_t rnd = 0;
		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
			rnd = (uint64_t)getpid() * 2654435761U + (uint64_t)attempt;
		snprintf(f->tmp_name, sizeof(f->tmp_name), ".#tmp-%016" PRIx64, rnd);
		f->fd = openat(dirfd, f->tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f->fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	int r = -errno;
	f->tmp_name[0] = 0;
	return r;
}

/* A POSIX ACL "user:UID:r" on fd (the xattr format of
 * system.posix_acl_access, as setfacl writes it). */
static int grant_read(int fd, uid_t uid, mode_t mode)
{
	enum { USER_OBJ = 0x01, USER = 0x02, GROUP_OBJ = 0x04, MASK = 0x10, OTHER = 0x20 };
	const struct { uint16_t tag, perm; uint32_t id; } entries[] = {
		{ USER_OBJ, (mode >> 6) & 7, UINT32_MAX },
		{ USER, 4, uid },
		{ GROUP_OBJ, (mode >> 3) & 7, UINT32_MAX },
		{ MASK, 4 | ((mode >> 3) & 7), UINT32_MAX },
		{ OTHER, mode & 7, UINT32_MAX },
	};
	unsigned char buf[4 + sizeof(entries) / sizeof(entries[0]) * 8], *p = buf;

	p[0] = 2, p[1] = p[2] = p[3] = 0; /* POSIX_ACL_XATTR_VERSION, little endian */
	p += 4;
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++, p += 8) {
		p[0] = (unsigned char)entries[i].tag;
		p[1] = (unsigned char)(entries[i].tag >> 8);
		p[2] = (unsigned char)entries[i].perm;
		p[3] = 0;
		for (int b = 0; b < 4; b++)
			p[4 + b] = (unsigned char)(entries[i].id >> (8 * b));
	}
	if (fsetxattr(fd, "system.posix_acl_access", buf, sizeof(buf), 0) < 0)
		return -errno;
	return 0;
}

int cw_spool_file_commit(int dirfd, struct cw_spool_file *f, const char *name, mode_t mode, int64_t reader_uid,
			 bool *reader_granted)
{
	int r = 0;

	if (reader_granted)
		*reader_granted = false;
	if (f->fd < 0)
		return -EBADF;
	if (fchmod(f->fd, mode) < 0) {
		r = -errno;
		cw_spool_file_abort(dirfd, f);
		return r;
	}
	/* Owned by root; the crashing user may read it through an ACL (where
	 * the file system has none, the file stays root's only). */
	if (reader_uid > 0 && reader_uid < UINT32_MAX && grant_read(f->fd, (uid_t)reader_uid, mode) == 0 &&
	    reader_granted)
		*reader_granted = true;
	if (f->tmp_name[0]) {
		if (renameat2(dirfd, f->tmp_name, dirfd, name, RENAME_NOREPLACE) < 0)
			r = -errno;
	} else if (linkat(f->fd, "", dirfd, name, AT_EMPTY_PATH) < 0) {
		char proc[64];
		r = -errno;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f->fd);
		if (r != -EEXIST && linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0)
			r = 0;
	}
	if (r < 0) {
		cw_spool_file_abort(dirfd, f);
		return r;
	}
	f->tmp_name[0] = 0;
	close(f->fd);
	f->fd = -1;
	return 0;
}

void cw_spool_file_abort(int dirfd, struct cw_spool_file *f)
{
	if (f->tmp_name[0]) {
		(void)unlinkat(dirfd, f->tmp_name, 0);
		f->tmp_name[0] = 0;
	}
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
}
