/* Watching the spool: inotify for new ID.meta files plus one scan at
 * start-up, so nothing written while the daemon was down is lost. */
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cw_queue_push(struct cw_daemon *d, const char *id)
{
	for (size_t i = 0; i < d->queue_len; i++)
		if (strcmp(d->queue[i], id) == 0)
			return 0;
	if (d->queue_len == d->queue_cap) {
		size_t ncap = d->queue_cap ? d->queue_cap * 2 : 16;
		char **nq = realloc(d->queue, ncap * sizeof(*nq));
		if (!nq)
			return -ENOMEM;
		d->queue = nq;
		d->queue_cap = ncap;
	}
	char *copy = strdup(id);
	if (!copy)
		return -ENOMEM;
	d->queue[d->queue_len++] = copy;
	/* IDs begin with the zero-padded time: sorting them is oldest first */
	qsort(d->queue, d->queue_len, sizeof(*d->queue), cmp_str);
	return 0;
}

void cw_queue_kick(struct cw_daemon *d)
{
	while (!d->current && !d->stopping && d->queue_len > 0) {
		char *id = d->queue[0];
		memmove(d->queue, d->queue + 1, (d->queue_len - 1) * sizeof(*d->queue));
		d->queue_len--;
		int r = cw_ingest_start(d, id);
		if (r < 0)
			cw_log_errno(LOG_ERR, r, "spool entry %s", id);
		free(id);
	}
	cw_daemon_update_status(d);
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
