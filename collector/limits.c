/* Store-wide and per-executable limits. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "collector/limits.h"
#include "collector/spool.h"
#include "common/cleanup.h"

#define AUTO_CAP (4ULL << 30)
#define MAX_ENTRIES_PER_DIR 200000

static const char *const store_dirs[] = { "spool", "cores", "executables" };

static int dir_usage(int storage_fd, const char *name, uint64_t *sum)
{
	int fd = openat(storage_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	unsigned n = 0;

	if (fd < 0) /* missing, or not a directory (a planted link): nothing of ours to count */
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)) && n++ < MAX_ENTRIES_PER_DIR) {
		struct stat st;
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			*sum += (uint64_t)st.st_blocks * 512;
	}
	return 0;
}

static uint64_t auto_value(uint64_t configured, const struct statvfs *sv, unsigned percent)
{
	if (configured != UINT64_MAX)
		return configured;
	uint64_t fs = (uint64_t)sv->f_blocks * sv->f_frsize / 100 * percent;
	return fs < AUTO_CAP ? fs : AUTO_CAP;
}

int cw_store_limits_init(const struct cw_config *cfg, int storage_fd, struct cw_store_limits *l)
{
	struct statvfs sv;

	if (fstatvfs(storage_fd, &sv) < 0)
		return -errno;
	l->avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	l->max_use = auto_value(cfg->max_use, &sv, 10);
	l->keep_free = auto_value(cfg->keep_free, &sv, 15);
	l->used = 0;
	for (size_t i = 0; i < sizeof(store_dirs) / sizeof(store_dirs[0]); i++) {
		int r = dir_usage(storage_fd, store_dirs[i], &l->used);
		if (r < 0)
			return r;
	}
	return 0;
}

int cw_store_limits_check(const struct cw_store_limits *l, int storage_fd, uint64_t more)
{
	struct statvfs sv;

	if (l->used > l->max_use || more > l->max_use - l->used)
		return -EDQUOT;
	if (fstatvfs(storage_fd, &sv) < 0)
		return -errno;
	uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	uint64_t expected = l->avail > more ? l->avail - more : 0;
	if (expected < avail)
		avail = expected;
	if (avail < l->keep_free)
		return -ENOSPC;
	return 0;
}

/* FNV-1a: names the state file of an executable (not a security boundary:
 * a collision only shares a counter). */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* Forgets executables not seen for an interval (bounded scan), so that
 * collect-state/ does not grow with every program that ever crashed. */
static void prune_rate_state(int state_fd, const struct cw_config *cfg, int64_t now, const char *keep)
{
	int fd = openat(state_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	unsigned n = 0;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) && n++ < MAX_ENTRIES_PER_DIR) {
		struct stat st;
		if (strncmp(de->d_name, "rl-", 3) || !strcmp(de->d_name, keep) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (now > st.st_mtime && (uint64_t)(now - st.st_mtime) > cfg->rate_limit_interval_sec)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
}

int cw_rate_limit_hit(const struct cw_config *cfg, int storage_fd, const char *key, int64_t now)
{
	_cleanup_close_ int state_fd = -1, fd = -1;
	char name[32], buf[64];
	long long start = 0;
	unsigned long long count = 0;
	ssize_t n;

	if (cfg->rate_limit_interval_sec == 0 || cfg->rate_limit_burst == 0 || !key)
		return 0;
	state_fd = cw_spool_open_dir(storage_fd, "collect-state", 0700);
	if (state_fd < 0)
		return state_fd;
	snprintf(name, sizeof(name), "rl-%016" PRIx64, fnv1a(key));
	fd = openat(state_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0)
		return -errno;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = 0;
		if (sscanf(buf, "%lld %llu", &start, &count) != 2)
			start = 0, count = 0;
	}
	if (now < start || (uint64_t)(now - start) >= cfg->rate_limit_interval_sec) {
		start = now;
		count = 0;
	}
	if (n <= 0)
		prune_rate_state(state_fd, cfg, now, name); /* a new executable: forget idle ones */
	count++;
	int len = snprintf(buf, sizeof(buf), "%lld %llu\n", start, count);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		return -errno;
	return count > cfg->rate_limit_burst ? -EBUSY : 0;
}

/* Crash-loop markers: collect-state/loop-HASH (HASH: the executable's
 * path) holds "UNTIL BUILDID": crashwatchd's word that this executable is
 * in a crash loop whose cores it has (storage/loops.c), until UNTIL, for
 * the crashes of one user (UID after the hash). */
static void loop_marker_name(const char *exe, int64_t uid, char *name, size_t len)
{
	snprintf(name, len, "loop-%016" PRIx64 "-%lld", fnv1a(exe), (long long)uid);
}

int cw_loop_marker_hit(int storage_fd, const char *exe, int64_t uid, const char *build_id, int64_t now)
{
	char name[48], buf[160], id[129];
	long long until = 0;
	if (!exe || !build_id)
		return 0;
	_cleanup_close_ int state_fd = openat(storage_fd, "collect-state", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (state_fd < 0)
		return 0;
	loop_marker_name(exe, uid, name, sizeof(name));
	_cleanup_close_ int fd = openat(state_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (sscanf(buf, "%lld %128s", &until, id) != 2)
		return 0;
	return now <= until && !strcmp(id, build_id);
}

int cw_loop_marker_set(int storage_fd, const char *exe, int64_t uid, const char *build_id, int64_t until)
{
	char name[48], tmp[56], buf[160];
	if (!exe || !build_id || strlen(build_id) > 128)
		return -EINVAL;
	_cleanup_close_ int state_fd = cw_spool_open_dir(storage_fd, "collect-state", 0700);
	if (state_fd < 0)
		return state_fd;
	loop_marker_name(exe, uid, name, sizeof(name));
	snprintf(tmp, sizeof(tmp), ".%s", name);
	int len = snprintf(buf, sizeof(buf), "%lld %s\n", (long long)until, build_id);
	_cleanup_close_ int fd = openat(state_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)len) != len)
		return -EIO;
	return renameat(state_fd, tmp, state_fd, name) < 0 ? -errno : 0;
}

int cw_loop_markers_prune(int storage_fd, int64_t now)
{
	int state_fd = openat(storage_fd, "collect-state", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (state_fd < 0)
		return errno == ENOENT ? 0 : -errno;
	_cleanup_closedir_ DIR *d = fdopendir(state_fd);
	if (!d) {
		int r = -errno;
		close(state_fd);
		return r;
	}
	struct dirent *de;
	unsigned n = 0;
	int removed = 0;
	while ((de = readdir(d)) && n++ < MAX_ENTRIES_PER_DIR) {
		struct stat st;
		bool tmp = !strncmp(de->d_name, ".loop-", 6);
		if ((strncmp(de->d_name, "loop-", 5) && !tmp) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		bool expired;
		if (tmp) {
			expired = st.st_mtime < now - 3600;
		} else {
			/* the same bounded read as cw_loop_marker_hit: what it would not believe goes */
			char buf[160];
			long long until = 0;
			_cleanup_close_ int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
			ssize_t k = fd < 0 ? -1 : pread(fd, buf, sizeof(buf) - 1, 0);
			if (k < 0)
				continue;
			buf[k] = 0;
			expired = sscanf(buf, "%lld", &until) != 1 || until < now;
		}
		if (expired && unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
	}
	return removed;
}
