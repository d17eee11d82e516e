/* Watching the spool: inotify for new ID.meta files plus one scan at
 * start-up, so nothing written while the daemon was down is lost. Each
 * entry found goes to the work queue (work_queue.c). */
#include "config.h"
#include "daemon/daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/spool_id.h"
#include "daemon/spool_record.h"

/* "ID.meta" -> true and the ID length */
static bool meta_name(const char *name, size_t *idlen)
{
	size_t len = strlen(name);
	if (name[0] == '.' || len <= 5 || strcmp(name + len - 5, ".meta") != 0)
		return false;
	*idlen = len - 5;
	return cw_spool_id_valid(name, *idlen);
}

int cw_spool_scan(struct cw_daemon *d)
{
	int fd = dup(d->spool_fd);
	if (fd < 0)
		return -errno;
	_cleanup_closedir_ DIR *dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	struct dirent *de;
	while ((de = readdir(dir))) {
		size_t idlen;
		if (!meta_name(de->d_name, &idlen))
			continue;
		char id[65];
		snprintf(id, sizeof(id), "%.*s", (int)idlen, de->d_name);
		int r = cw_queue_push(d, id);
		if (r < 0)
			return r;
	}
	cw_queue_kick(d);
	return 0;
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
	struct cw_daemon *d = userdata;
	if (ev->mask & IN_Q_OVERFLOW) {
		cw_log_warning("inotify queue overflowed, rescanning the spool");
		(void)cw_spool_scan(d);
		return 0;
	}
	size_t idlen;
	if (ev->len == 0 || !meta_name(ev->name, &idlen))
		return 0;
	char id[65];
	snprintf(id, sizeof(id), "%.*s", (int)idlen, ev->name);
	int r = cw_queue_push(d, id);
	if (r < 0)
		cw_log_errno(LOG_ERR, r, "queueing %s", id);
	cw_queue_kick(d);
	return 0;
}

int cw_spool_watch_start(struct cw_daemon *d)
{
	int r = sd_event_add_inotify(d->ev, &d->inotify_src, d->spool_dir,
				     IN_CREATE | IN_MOVED_TO | IN_ONLYDIR | IN_DONT_FOLLOW, on_inotify, d);
	if (r < 0)
		return r;
	return cw_spool_scan(d);
}
