/* See debug_sysroot.h. Every path placed here comes from a crash record
 * or a core: made of plain components only ("." and ".." refused), and
 * placed by descriptor, directories opened with O_NOFOLLOW, so that a
 * symlink placed earlier is never followed out of the directory. */
#include "config.h"
#include "cli/debug_sysroot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/core_file.h"
#include "common/cleanup.h"

#define DELETED_SUFFIX " (deleted)"

/* An absolute path of plain components, at most PATH_MAX, without the
 * kernel's " (deleted)" (the loader's name for the file has none). */
static bool usable_path(const char *p, char *out, size_t outlen)
{
	size_t n = p ? strlen(p) : 0;
	if (n < 2 || p[0] != '/' || n >= outlen)
		return false;
	memcpy(out, p, n + 1);
	size_t sl = sizeof(DELETED_SUFFIX) - 1;
	if (n > sl && strcmp(out + n - sl, DELETED_SUFFIX) == 0)
		out[n - sl] = '\0';
	for (const char *c = out + 1; *c;) {
		const char *e = strchrnul(c, '/');
		size_t len = (size_t)(e - c);
		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!*e)
			break;
		c = e + 1;
	}
	return out[strlen(out) - 1] != '/';
}

/* A symlink at path (usable_path's) under rootfd pointing to target;
 * missing directories made (0700), none followed. 0, -EEXIST when
 * something is at path already, or a negative errno. */
static int place(int rootfd, const char *path, const char *target)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path + 1);
	_cleanup_close_ int dfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0)
		return -errno;
	char *comp = buf;
	for (char *slash; (slash = strchr(comp, '/')); comp = slash + 1) {
		*slash = '\0';
		if (mkdirat(dfd, comp, 0700) < 0 && errno != EEXIST)
			return -errno;
		int next = openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return -errno; /* ENOTDIR: a file or link placed there */
		close(dfd);
		dfd = next;
	}
	return symlinkat(target, dfd, comp) < 0 ? -errno : 0;
}

/* The host's top-level symlinks (/lib -> usr/lib, /lib64 -> usr/lib64 on
 * a merged /usr) where nothing was placed: the loader names libraries by
 * the paths it searched, the core by their canonical ones. Absolute
 * targets become relative, so that they stay inside. */
static void mirror_top_links(int rootfd)
{
	DIR *d = opendir("/");
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		char target[PATH_MAX];
		if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISLNK(st.st_mode))
			continue;
		ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		const char *t = target;
		while (*t == '/')
			t++;
		if (*t && !strstr(t, ".."))
			(void)symlinkat(t, rootfd, e->d_name); /* EEXIST: the container's own directory */
	}
	closedir(d);
}

int cw_debug_sysroot_make(const char *tmpdir, const char *core_path, const struct cw_crash_library *libs,
			  size_t n, char **dir_out, size_t *supplied)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/crashwatch-sysroot-XXXXXX", tmpdir) < 0)
		return -ENOMEM;
	if (!mkdtemp(dir))
		return -errno;
	int r = 0;
	_cleanup_close_ int rootfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0) {
		r = -errno;
		goto fail;
	}
	char path[PATH_MAX];
	size_t placed = 0;
	/* the container's files first: they win over the host's at their path */
	for (size_t i = 0; i < n; i++) {
		if (!libs[i].copy || !usable_path(libs[i].path, path, sizeof(path)) ||
		    access(libs[i].copy, R_OK) < 0)
			continue;
		if (place(rootfd, path, libs[i].copy) == 0)
			placed++;
	}
	struct cw_core *core = NULL;
	r = cw_core_open(core_path, &core);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < cw_core_nfiles(core); i++) {
		const struct cw_core_file_mapping *m = cw_core_file(core, i);
		char p[PATH_MAX];
		if (!m || !m->path || !usable_path(m->path, p, sizeof(p)) || strcmp(p, m->path) != 0)
			continue; /* a deleted file has nothing on the host to point to */
		(void)place(rootfd, p, p); /* taken by a kept library, or unplaceable: gdb looks there in vain */
	}
	cw_core_free(core);
	mirror_top_links(rootfd);
	*supplied = placed;
	*dir_out = dir;
	dir = NULL;
	return 0;
fail:
	cw_debug_sysroot_remove(dir);
	return r;
}

static int remove_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

void cw_debug_sysroot_remove(const char *dir)
{
	if (dir)
		(void)nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}
