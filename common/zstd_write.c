/* The write half of common/zstd_seekable.h: a zstd seekable-format writer.
 *
 * Input is cut into frames of frame_size bytes; each frame is compressed in
 * one shot (so it records its content size) and written to the fd, and its
 * sizes are remembered for the seek table written by cw_zsw_finish().
 * Memory: one input frame, CW_ZSW_SLOTS output bounds, the zstd context,
 * 8 bytes per frame for the table. All-zero frames are detected with a
 * cheap scan and cost one cached compressed frame instead of a compression.
 *
 * Compressed frames are written by a writer thread so that compression
 * overlaps the (possibly throttled) writes, like the zstd CLI's async I/O.
 * A write error is sticky and reported by the next cw_zsw_write() or, at the
 * latest, by cw_zsw_finish(). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "common/io.h"
#include "common/zstd_seekable.h"

/* The seekable format limits the number of frames (ZSTD_SEEKABLE_MAXFRAMES). */
#define CW_ZSW_MAX_FRAMES 0x8000000U
#define CW_ZSW_TABLE_ENTRY 8U      /* compressed u32, decompressed u32 (no checksum) */
#define CW_ZSW_FOOTER 9U           /* frames u32, descriptor u8, magic u32 */
#define CW_ZSW_SLOTS 8U            /* compressed frames in flight to the writer thread */
#define CW_ZSW_BATCH 4U            /* wake the writer per this many frames, and the
                                    * compressor when this many slots are free: fewer
                                    * wake-ups on a busy machine */

struct cw_zsw_slot {
	unsigned char *buf;         /* ZSTD_compressBound(frame_size) */
	const unsigned char *data;  /* buf, or the cached zero frame */
	size_t len;
};

struct cw_zsw {
	int fd;
	uint32_t frame_size;
	ZSTD_CCtx *cctx;
	unsigned char *in;          /* pending input, < frame_size bytes */
	size_t in_len;
	unsigned char *out;         /* ZSTD_compressBound(frame_size): scratch */
	size_t out_cap;
	/* The writer thread and its queue (all below under lock). */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;        /* queue changed */
	struct cw_zsw_slot slots[CW_ZSW_SLOTS];
	unsigned head, count;       /* next slot to fill, slots queued */
	bool stopping;              /* no more frames; exit when the queue is empty */
	bool abandon;               /* exit now, write nothing more */
	int write_error;            /* negative errno from the writer thread */
	unsigned char *zero_frame;  /* compressed all-zero frame of frame_size, lazily */
	size_t zero_frame_len;
	uint32_t *table;            /* pairs: compressed, decompressed */
	size_t n_frames;
	size_t table_cap;           /* in frames */
	uint64_t bytes_in;
	uint64_t bytes_out;
	int error;                  /* sticky negative errno */
	bool finished;
};

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* True when every byte is zero. Stops at the first non-zero word, so data
 * that is not zero costs almost nothing to check. */
static bool all_zero(const unsigned char *p, size_t len)
{
	size_t i = 0;

	for (; i < len && ((uintptr_t)(p + i) & 7U); i++)
		if (p[i])
			return false;
	for (; i + 64 <= len; i += 64) {
		const uint64_t *w = (const uint64_t *)(const void *)(p + i);
		if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
			return false;
	}
	for (; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void stop_writer(struct cw_zsw *w, bool abandon)
{
	if (!w->thread_started)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	w->abandon = w->abandon || abandon;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->thread_started = false;
}

static void *writer_main(void *arg)
{
	struct cw_zsw *w = arg;
	unsigned tail = 0;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->count < CW_ZSW_BATCH && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->abandon || w->count == 0)
			break;
		struct cw_zsw_slot *slot = &w->slots[tail];
		int err = w->write_error;
		pthread_mutex_unlock(&w->lock);
		if (!err)
			err = cw_write_all(w->fd, slot->data, slot->len);
		pthread_mutex_lock(&w->lock);
		if (err && !w->write_error)
			w->write_error = err;
		tail = (tail + 1) % CW_ZSW_SLOTS;
		w->count--;
		if (w->count == CW_ZSW_SLOTS - CW_ZSW_BATCH || w->count == 0)
			pthread_cond_broadcast(&w->cond); /* the compressor waits only on a full queue */
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* A free slot to compress into (waits for the writer), or NULL when the
 * writer is not running. */
static struct cw_zsw_slot *slot_get(struct cw_zsw *w, int *err)
{
	*err = 0;
	if (!w->thread_started)
		return NULL;
	pthread_mutex_lock(&w->lock);
	while (w->count == CW_ZSW_SLOTS && !w->write_error)
		pthread_cond_wait(&w->cond, &w->lock);
	*err = w->write_error;
	pthread_mutex_unlock(&w->lock);
	return &w->slots[w->head];
}

static void slot_post(struct cw_zsw *w)
{
	pthread_mutex_lock(&w->lock);
	w->head = (w->head + 1) % CW_ZSW_SLOTS;
	w->count++;
	if (w->count == CW_ZSW_BATCH)
		pthread_cond_broadcast(&w->cond); /* the writer waits for a batch */
	pthread_mutex_unlock(&w->lock);
}

/* Waits until every queued frame is written; the writer's error, if any. */
static int writer_drain(struct cw_zsw *w)
{
	int err;

	if (!w->thread_started)
		return 0;
	stop_writer(w, false);
	pthread_mutex_lock(&w->lock);
	err = w->write_error;
	pthread_mutex_unlock(&w->lock);
	return err;
}

int cw_zsw_new(int fd, int level, uint32_t frame_size, struct cw_zsw **out)
{
	struct cw_zsw *w;

	if (fd < 0 || !out || frame_size == 0 || frame_size > CW_ZSTD_SEEKABLE_MAX_FRAME)
		return -EINVAL;
	if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->fd = fd;
	w->frame_size = frame_size;
	w->out_cap = ZSTD_compressBound(frame_size);
	w->cctx = ZSTD_createCCtx();
	w->in = malloc(frame_size);
	w->out = malloc(w->out_cap);
	if (!w->cctx || !w->in || !w->out) {
		cw_zsw_free(w);
		return -ENOMEM;
	}
	bool slots_ok = true;
	for (unsigned i = 0; i < CW_ZSW_SLOTS; i++)
		slots_ok = slots_ok && (w->slots[i].buf = malloc(w->out_cap)) != NULL;
	/* Without memory or a thread, frames are written synchronously. */
	if (slots_ok && pthread_create(&w->thread, NULL, writer_main, w) == 0)
		w->thread_started = true;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 0))) {
		cw_zsw_free(w);
		return -EINVAL;
	}
	*out = w;
	return 0;
}

static int table_add(struct cw_zsw *w, size_t compressed, size_t decompressed)
{
	if (w->n_frames >= CW_ZSW_MAX_FRAMES || compressed > UINT32_MAX || decompressed > UINT32_MAX)
		return -EFBIG;
	if (w->n_frames == w->table_cap) {
		size_t cap = w->table_cap ? w->table_cap * 2 : 256;
		uint32_t *t;
		if (cap > CW_ZSW_MAX_FRAMES)
			cap = CW_ZSW_MAX_FRAMES;
		t = realloc(w->table, cap * 2 * sizeof(uint32_t));
		if (!t)
			return -ENOMEM;
		w->table = t;
		w->table_cap = cap;
	}
	w->table[2 * w->n_frames] = (uint32_t)compressed;
	w->table[2 * w->n_frames + 1] = (uint32_t)decompressed;
	w->n_frames++;
	return 0;
}

static int compress_frame(struct cw_zsw *w, const unsigned char *src, size_t len,
			  unsigned char *dst, size_t dst_cap, size_t *out_len)
{
	size_t n = ZSTD_compress2(w->cctx, dst, dst_cap, src, len);
	if (ZSTD_isError(n))
		return -EIO;
	*out_len = n;
	return 0;
}

/* Compresses and writes (or queues for the writer) one frame of len
 * (<= frame_size) bytes. */
static int emit_frame(struct cw_zsw *w, const unsigned char *src, size_t len)
{
	const unsigned char *frame;
	size_t frame_len;
	struct cw_zsw_slot *slot;
	int r;

	slot = slot_get(w, &r);
	if (r < 0)
		return r;
	unsigned char *dst = slot ? slot->buf : w->out;
	if (len == w->frame_size && all_zero(src, len)) {
		if (!w->zero_frame) {
			r = compress_frame(w, src, len, w->out, w->out_cap, &frame_len);
			if (r < 0)
				return r;
			w->zero_frame = malloc(frame_len);
			if (!w->zero_frame)
				return -ENOMEM;
			memcpy(w->zero_frame, w->out, frame_len);
			w->zero_frame_len = frame_len;
		}
		frame = w->zero_frame;
		frame_len = w->zero_frame_len;
	} else {
		r = compress_frame(w, src, len, dst, w->out_cap, &frame_len);
		if (r < 0)
			return r;
		frame = dst;
	}
	r = table_add(w, frame_len, len);
	if (r < 0)
		return r;
	if (slot) {
		slot->data = frame;
		slot->len = frame_len;
		slot_post(w);
	} else {
		r = cw_write_all(w->fd, frame, frame_len);
		if (r < 0)
			return r;
	}
	w->bytes_out += frame_len;
	return 0;
}

int cw_zsw_write(struct cw_zsw *w, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	int r = 0;

	if (!w || (!buf && len))
		return -EINVAL;
	if (w->error)
		return w->error;
	if (w->finished)
		return -EINVAL;
	while (len > 0) {
		if (w->in_len == 0 && len >= w->frame_size) {
			/* Whole frame straight from the caller's buffer: no copy. */
			r = emit_frame(w, p, w->frame_size);
			if (r < 0)
				break;
			p += w->frame_size;
			len -= w->frame_size;
			w->bytes_in += w->frame_size;
			continue;
		}
		size_t take = w->frame_size - w->in_len;
		if (take > len)
			take = len;
		memcpy(w->in + w->in_len, p, take);
		w->in_len += take;
		p += take;
		len -= take;
		w->bytes_in += take;
		if (w->in_len == w->frame_size) {
			r = emit_frame(w, w->in, w->in_len);
			w->in_len = 0;
			if (r < 0)
				break;
		}
	}
	if (r < 0)
		w->error = r;
	return r;
}

int cw_zsw_finish(struct cw_zsw *w)
{
	unsigned char head[8], footer[CW_ZSW_FOOTER];
	uint64_t table_len;
	int r;

	if (!w)
		return -EINVAL;
	if (w->error)
		return w->error;
	if (w->finished)
		return 0;
	if (w->in_len > 0) {
		r = emit_frame(w, w->in, w->in_len);
		w->in_len = 0;
		if (r < 0)
			return (w->error = r);
	}
	r = writer_drain(w);
	if (r < 0)
		return (w->error = r);
	table_len = (uint64_t)w->n_frames * CW_ZSW_TABLE_ENTRY + CW_ZSW_FOOTER;
	if (table_len > UINT32_MAX)
		return (w->error = -EFBIG);
	put_le32(head, CW_ZSTD_SKIPPABLE_SEEKTABLE);
	put_le32(head + 4, (uint32_t)table_len);
	r = cw_write_all(w->fd, head, sizeof(head));
	if (r < 0)
		return (w->error = r);
	/* Serialise the table through the output buffer in bounded chunks. */
	size_t i = 0;
	while (i < w->n_frames) {
		size_t chunk = w->out_cap / CW_ZSW_TABLE_ENTRY;
		size_t n;
		if (chunk > w->n_frames - i)
			chunk = w->n_frames - i;
		for (n = 0; n < chunk; n++) {
			put_le32(w->out + n * 8, w->table[2 * (i + n)]);
			put_le32(w->out + n * 8 + 4, w->table[2 * (i + n) + 1]);
		}
		r = cw_write_all(w->fd, w->out, chunk * CW_ZSW_TABLE_ENTRY);
		if (r < 0)
			return (w->error = r);
		i += chunk;
	}
	put_le32(footer, (uint32_t)w->n_frames);
	footer[4] = 0; /* descriptor: no checksums */
	put_le32(footer + 5, CW_ZSTD_SEEKABLE_MAGIC);
	r = cw_write_all(w->fd, footer, sizeof(footer));
	if (r < 0)
		return (w->error = r);
	w->bytes_out += sizeof(head) + table_len;
	w->finished = true;
	return 0;
}

uint64_t cw_zsw_bytes_in(const struct cw_zsw *w) { return w ? w->bytes_in : 0; }
uint64_t cw_zsw_bytes_out(const struct cw_zsw *w) { return w ? w->bytes_out : 0; }

void cw_zsw_free(struct cw_zsw *w)
{
	if (!w)
		return;
	stop_writer(w, true);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	for (unsigned i = 0; i < CW_ZSW_SLOTS; i++)
		free(w->slots[i].buf);
	ZSTD_freeCCtx(w->cctx);
	free(w->in);
	free(w->out);
	free(w->zero_frame);
	free(w->table);
	free(w);
}
