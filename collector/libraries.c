/* Opens the shared libraries a container's process mapped, while it is
 * held, through /proc/PID/map_files (libraries.h). Every path here is the
 * process's (hostile) text: it only names what the record says and which
 * host path is stat()'ed to prove the same file; nothing is opened by it. */
#include "config.h"
#include "collector/libraries.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/procinfo.h"
#include "common/cleanup.h"

#define DELETED_SUFFIX " (deleted)"

bool cw_proc_lib_path_deleted(const char *path)
{
	size_t n = strlen(path), k = sizeof(DELETED_SUFFIX) - 1;
	return n > k && memcmp(path + n - k, DELETED_SUFFIX, k) == 0;
}

void cw_proc_libs_free(struct cw_proc_libs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].build_id);
		free(l->v[i].copy);
		if (l->v[i].fd >= 0)
			close(l->v[i].fd);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int other_mount_ns(int proc_fd)
{
	struct stat theirs, ours;
	if (fstatat(proc_fd, "ns/mnt", &theirs, 0) < 0 || stat("/proc/self/ns/mnt", &ours) < 0)
		return -errno;
	return !same_file(&theirs, &ours);
}

/* Already kept (another mapping of the same file)? */
static bool have(const struct cw_proc_libs *l, const struct stat *st, const char *path)
{
	for (size_t i = 0; i < l->n; i++) {
		struct stat o;
		if (strcmp(l->v[i].path, path) == 0)
			return true;
		if (fstat(l->v[i].fd, &o) == 0 && same_file(&o, st))
			return true;
	}
	return false;
}

static int add(struct cw_proc_libs *l, const char *path, char *build_id, int fd, uint64_t size)
{
	if (l->n % 8 == 0) {
		struct cw_proc_lib *v = realloc(l->v, (l->n + 8) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
	}
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	l->v[l->n++] = (struct cw_proc_lib){ .path = p, .build_id = build_id, .fd = fd, .size = size };
	return 0;
}

int cw_proc_libs_open(struct cw_proc_libs *l, int proc_fd, const struct cw_mapping *maps, size_t n_maps,
		      int exe_fd)
{
	struct stat exe_st;
	bool have_exe = exe_fd >= 0 && fstat(exe_fd, &exe_st) == 0;
	uint64_t total = 0;
	unsigned scanned = 0;

	memset(l, 0, sizeof(*l));
	if (other_mount_ns(proc_fd) <= 0)
		return 0;
	l->checked = true;
	for (size_t i = 0; i < n_maps && scanned < CW_LIBS_SCAN_MAX; i++) {
		const struct cw_mapping *m = &maps[i];
		if (!m->path || m->path[0] != '/' || !strchr(m->perms, 'x'))
			continue;
		scanned++;
		char name[64];
		snprintf(name, sizeof(name), "map_files/%" PRIx64 "-%" PRIx64, m->start, m->end);
		/* a mapped device or FIFO is never opened (an open can have effects):
		 * stat() through the link first, then the open file again */
		struct stat st, pre;
		if (fstatat(proc_fd, name, &pre, 0) < 0 || !S_ISREG(pre.st_mode))
			continue;
		_cleanup_close_ int fd = openat(proc_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if ((have_exe && same_file(&st, &exe_st)) || have(l, &st, m->path))
			continue;
		/* the host has the very file at the same path: nothing to keep */
		struct stat host;
		if (!cw_proc_lib_path_deleted(m->path) && stat(m->path, &host) == 0 && same_file(&host, &st))
			continue;
		if (l->n >= CW_LIBS_MAX || (uint64_t)st.st_size > CW_LIBS_TOTAL_MAX - total) {
			l->truncated = true;
			continue;
		}
		char *build_id = NULL;
		if (cw_elf_build_id(fd, &build_id) < 0)
			continue;
		int r = add(l, m->path, build_id, fd, (uint64_t)st.st_size);
		if (r < 0) {
			free(build_id);
			return r;
		}
		fd = -1; /* taken */
		total += (uint64_t)l->v[l->n - 1].size;
	}
	return 0;
}
