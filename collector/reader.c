/* Read-ahead of the core stream. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "collector/reader.h"

#define MAX_BUFS 16

struct cw_reader {
	int fd;
	size_t chunk;
	unsigned nbuf;
	unsigned char *buf[MAX_BUFS];
	size_t len[MAX_BUFS];
	unsigned head;          /* next buffer the thread fills */
	unsigned tail;          /* next buffer the consumer takes */
	unsigned count;         /* filled, not yet released */
	bool holding;           /* the consumer holds buf[tail - 1] */
	bool eof;
	int error;
	bool threaded;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* Reads up to len bytes; stops short at the end of the stream or on an
 * error (*err: -errno, else 0), returning what came before it. */
static size_t read_full(int fd, unsigned char *buf, size_t len, int *err)
{
	size_t got = 0;

	*err = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*err = -errno; /* EAGAIN: the socket's SO_RCVTIMEO ran out */
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static void *reader_main(void *arg)
{
	struct cw_reader *r = arg;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		while (r->count == r->nbuf)
			pthread_cond_wait(&r->cond, &r->lock);
		unsigned slot = r->head;
		pthread_mutex_unlock(&r->lock);

		int err;
		size_t n = read_full(r->fd, r->buf[slot], r->chunk, &err);

		pthread_mutex_lock(&r->lock);
		if (n > 0) { /* the bytes before an error count too */
			r->len[slot] = n;
			r->head = (r->head + 1) % r->nbuf;
			r->count++;
		}
		if (n < r->chunk) { /* read_full stops short only at the end or on an error */
			r->error = err;
			r->eof = true;
		}
		bool done = r->eof;
		if (done || r->count == 1)
			pthread_cond_broadcast(&r->cond); /* the consumer waits only on an empty queue */
		pthread_mutex_unlock(&r->lock);
		if (done)
			return NULL;
	}
}

int cw_reader_new(int fd, size_t chunk, unsigned nbuf, struct cw_reader **out)
{
	struct cw_reader *r;

	if (fd < 0 || chunk == 0 || nbuf < 2 || nbuf > MAX_BUFS)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	r->chunk = chunk;
	r->nbuf = nbuf;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	for (unsigned i = 0; i < nbuf; i++) {
		r->buf[i] = malloc(chunk);
		if (!r->buf[i]) {
			if (i >= 1) { /* one buffer is enough to read synchronously */
				r->nbuf = 1;
				break;
			}
			cw_reader_free(r);
			return -ENOMEM;
		}
	}
	if (r->nbuf >= 2 && pthread_create(&r->thread, NULL, reader_main, r) == 0)
		r->threaded = true;
	*out = r;
	return 0;
}

int cw_reader_next(struct cw_reader *r, const unsigned char **buf, size_t *len)
{
	if (!r->threaded) {
		if (r->eof)
			return r->error;
		int err;
		size_t n = read_full(r->fd, r->buf[0], r->chunk, &err);
		if (n < r->chunk) {
			r->eof = true;
			r->error = err;
		}
		if (n == 0)
			return r->error;
		*buf = r->buf[0];
		*len = n;
		return 1;
	}
	pthread_mutex_lock(&r->lock);
	if (r->holding) { /* release the previous chunk */
		r->holding = false;
		r->count--;
		/* The reader waits only on a full queue: wake it once half is free. */
		if (r->count == r->nbuf / 2)
			pthread_cond_broadcast(&r->cond);
	}
	while (r->count == 0 && !r->eof)
		pthread_cond_wait(&r->cond, &r->lock);
	int ret;
	if (r->count > 0) {
		*buf = r->buf[r->tail];
		*len = r->len[r->tail];
		r->tail = (r->tail + 1) % r->nbuf;
		r->holding = true;
		ret = 1;
	} else {
		ret = r->error;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void cw_reader_free(struct cw_reader *r)
{
	if (!r)
		return;
	if (r->threaded) {
		/* The thread ends at the end of the stream; make room so it can get there. */
		const unsigned char *b;
		size_t l;
		while (cw_reader_next(r, &b, &l) > 0)
			;
		pthread_join(r->thread, NULL);
	}
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	for (unsigned i = 0; i < MAX_BUFS; i++)
		free(r->buf[i]);
	free(r);
}
