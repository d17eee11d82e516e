/* The work queue: spool entries waiting for analysis, oldest first, taken
 * one at a time through ingest.c. */
#include "config.h"
#include "daemon/daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

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

void cw_queue_clear(struct cw_daemon *d)
{
	for (size_t i = 0; i < d->queue_len; i++)
		free(d->queue[i]);
	free(d->queue);
	d->queue = NULL;
	d->queue_len = d->queue_cap = 0;
}
