/* The read half of common/zstd_seekable.h: recognising zstd, random access
 * through the seek table of zstd's seekable format (with a small bounded
 * cache of decompressed frames), and whole-stream decompression for zstd
 * files without a seek table. Input is hostile: every size is checked
 * against the file and the frame limit before use. */
#include "config.h"
#include "common/io.h"
#include "common/zstd_seekable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "common/cleanup.h"

#define ZSR_FOOTER_SIZE 9            /* nframes u32, descriptor u8, magic u32 */
#define ZSR_SKIPPABLE_HEADER 8       /* magic u32, frame size u32 */
#define ZSR_CACHE_SLOTS 64
#define ZSR_CACHE_MAX_BYTES (64U << 20)  /* the cache never holds more than this besides one frame */
#define ZSR_MAX_FRAMES (1U << 26)

struct zsr_slot {
	uint32_t frame;              /* valid when buf != NULL */
	uint8_t *buf;
	size_t len;
	uint64_t last_use;
};

struct cw_zsr {
	int fd;                      /* not owned */
	uint32_t nframes;
	uint64_t *c_off;             /* nframes + 1 compressed offsets */
	uint64_t *d_off;             /* nframes + 1 decompressed offsets */
	uint8_t *cbuf;               /* scratch for one compressed frame */
	size_t cbuf_cap;
	ZSTD_DCtx *dctx;
	struct zsr_slot slots[ZSR_CACHE_SLOTS];
	int8_t *slot_of;             /* per frame: its cache slot, or -1 */
	uint32_t last_frame;         /* frame of the previous read */
	uint64_t clock;
};

bool cw_is_zstd(const void *first4, size_t len)
{
	const uint8_t *p = first4;
	if (!p || len < 4)
		return false;
	uint32_t m = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return m == CW_ZSTD_MAGIC;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void cw_zsr_free(struct cw_zsr *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < ZSR_CACHE_SLOTS; i++)
		free(r->slots[i].buf);
	free(r->c_off);
	free(r->d_off);
	free(r->slot_of);
	free(r->cbuf);
	ZSTD_freeDCtx(r->dctx);
	free(r);
}
CW_DEFINE_CLEANUP(struct cw_zsr *, cw_zsr_free)

/* Reads the seek table at the end of the file into r's offset arrays. */
static int zsr_load_table(struct cw_zsr *r, uint64_t file_size)
{
	uint8_t footer[ZSR_FOOTER_SIZE];
	if (file_size < 4 + ZSR_SKIPPABLE_HEADER + ZSR_FOOTER_SIZE)
		return -ENOTSUP;
	int ret = cw_pread_all(r->fd, footer, sizeof(footer), file_size - ZSR_FOOTER_SIZE);
	if (ret < 0)
		return ret;
	if (le32(footer + 5) != CW_ZSTD_SEEKABLE_MAGIC)
		return -ENOTSUP;
	uint32_t nframes = le32(footer);
	uint8_t desc = footer[4];
	if (desc & 0x7c)             /* reserved bits must be zero */
		return -EBADMSG;
	uint64_t entry = (desc & 0x80) ? 12 : 8;
	if (nframes == 0 || nframes > ZSR_MAX_FRAMES)
		return -EBADMSG;
	uint64_t table = (uint64_t)nframes * entry + ZSR_FOOTER_SIZE;
	if (table + ZSR_SKIPPABLE_HEADER > file_size)
		return -EBADMSG;
	uint64_t frame_start = file_size - table - ZSR_SKIPPABLE_HEADER;
	uint8_t hdr[ZSR_SKIPPABLE_HEADER];
	ret = cw_pread_all(r->fd, hdr, sizeof(hdr), frame_start);
	if (ret < 0)
		return ret;
	if (le32(hdr) != CW_ZSTD_SKIPPABLE_SEEKTABLE || le32(hdr + 4) != table)
		return -EBADMSG;

	_cleanup_free_ uint8_t *buf = malloc(table - ZSR_FOOTER_SIZE);
	r->c_off = calloc((size_t)nframes + 1, sizeof(uint64_t));
	r->d_off = calloc((size_t)nframes + 1, sizeof(uint64_t));
	if (!buf || !r->c_off || !r->d_off)
		return -ENOMEM;
	ret = cw_pread_all(r->fd, buf, table - ZSR_FOOTER_SIZE, frame_start + ZSR_SKIPPABLE_HEADER);
	if (ret < 0)
		return ret;
	for (uint32_t i = 0; i < nframes; i++) {
		uint32_t csize = le32(buf + i * entry);
		uint32_t dsize = le32(buf + i * entry + 4);
		if (csize == 0 || dsize > CW_ZSTD_SEEKABLE_MAX_FRAME || csize > CW_ZSTD_SEEKABLE_MAX_FRAME)
			return -EBADMSG;
		r->c_off[i + 1] = r->c_off[i] + csize;
		r->d_off[i + 1] = r->d_off[i] + dsize;
	}
	if (r->c_off[nframes] != frame_start)
		return -EBADMSG;
	r->slot_of = malloc(nframes);
	if (!r->slot_of)
		return -ENOMEM;
	memset(r->slot_of, -1, nframes);
	r->nframes = nframes;
	return 0;
}

int cw_zsr_open(int fd, struct cw_zsr **out)
{
	struct stat st;
	uint8_t magic[4];
	if (fd < 0 || !out)
		return -EINVAL;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < 4)
		return -EBADMSG;
	int ret = cw_pread_all(fd, magic, sizeof(magic), 0);
	if (ret < 0)
		return ret;
	if (!cw_is_zstd(magic, sizeof(magic)))
		return -EBADMSG;
	CW_CLEANUP(cw_zsr_freep) struct cw_zsr *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	ret = zsr_load_table(r, (uint64_t)st.st_size);
	if (ret < 0)
		return ret;
	r->dctx = ZSTD_createDCtx();
	if (!r->dctx)
		return -ENOMEM;
	*out = CW_TAKE_PTR(r);
	return 0;
}

uint64_t cw_zsr_size(const struct cw_zsr *r)
{
	return r ? r->d_off[r->nframes] : 0;
}

/* Index of the frame holding decompressed offset off (off < size). */
static uint32_t zsr_find_frame(const struct cw_zsr *r, uint64_t off)
{
	uint32_t lo = 0, hi = r->nframes;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (r->d_off[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void zsr_trim_cache(struct cw_zsr *r, size_t incoming)
{
	size_t total = incoming;
	for (size_t i = 0; i < ZSR_CACHE_SLOTS; i++)
		if (r->slots[i].buf)
			total += r->slots[i].len;
	while (total > ZSR_CACHE_MAX_BYTES) {
		struct zsr_slot *oldest = NULL;
		for (size_t i = 0; i < ZSR_CACHE_SLOTS; i++)
			if (r->slots[i].buf && (!oldest || r->slots[i].last_use < oldest->last_use))
				oldest = &r->slots[i];
		if (!oldest)
			break;
		total -= oldest->len;
		r->slot_of[oldest->frame] = -1;
		free(oldest->buf);
		oldest->buf = NULL;
	}
}

/* Decompresses the frame in r->cbuf (csize bytes), which must give exactly
 * dsize bytes, into a fresh buffer. Neither the table nor the frame header
 * is trusted for the allocation (both may lie, claiming up to
 * CW_ZSTD_SEEKABLE_MAX_FRAME): the buffer starts at one collector frame
 * and doubles only while the decoder produces data, so memory is bounded
 * by twice what the compressed bytes really hold. */
static int zsr_decompress_frame(struct cw_zsr *r, uint64_t csize, uint64_t dsize, uint8_t **out)
{
	size_t cap = dsize < CW_ZSTD_SEEKABLE_FRAME_SIZE ? (size_t)dsize : CW_ZSTD_SEEKABLE_FRAME_SIZE;
	_cleanup_free_ uint8_t *buf = malloc(cap ? cap : 1);
	if (!buf)
		return -ENOMEM;
	if (ZSTD_isError(ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only)))
		return -EBADMSG;
	ZSTD_inBuffer in = { r->cbuf, csize, 0 };
	ZSTD_outBuffer o = { buf, cap, 0 };
	/* each pass ends the frame, grows the full buffer (at most 31 times up
	 * to dsize) or makes progress on the input or the output; a pass that
	 * does none means the frame holds more than dsize or ends early */
	for (;;) {
		size_t in_before = in.pos, out_before = o.pos;
		size_t left = ZSTD_decompressStream(r->dctx, &o, &in);
		if (ZSTD_isError(left))
			return -EBADMSG;
		if (left == 0)
			break;
		if (o.pos == o.size && o.size < dsize) {
			size_t ncap = o.size > dsize / 2 ? (size_t)dsize : o.size * 2;
			uint8_t *nb = realloc(buf, ncap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			o.dst = buf;
			o.size = ncap;
		} else if (in.pos == in_before && o.pos == out_before) {
			return -EBADMSG;
		}
	}
	if (o.pos != dsize || in.pos != in.size)
		return -EBADMSG;
	*out = CW_TAKE_PTR(buf);
	return 0;
}

/* Returns the cache slot holding frame i, decompressing it when needed. */
static int zsr_get_frame(struct cw_zsr *r, uint32_t i, struct zsr_slot **out)
{
	if (r->slot_of[i] >= 0) {
		struct zsr_slot *sl = &r->slots[r->slot_of[i]];
		sl->last_use = ++r->clock;
		*out = sl;
		return 0;
	}
	struct zsr_slot *victim = &r->slots[0];
	for (size_t s = 0; s < ZSR_CACHE_SLOTS; s++) {
		struct zsr_slot *sl = &r->slots[s];
		if (!sl->buf) {
			victim = sl;
			break;
		}
		if (sl->last_use < victim->last_use)
			victim = sl;
	}
	uint64_t csize = r->c_off[i + 1] - r->c_off[i];
	uint64_t dsize = r->d_off[i + 1] - r->d_off[i];
	if (csize > r->cbuf_cap) {
		uint8_t *nb = realloc(r->cbuf, csize);
		if (!nb)
			return -ENOMEM;
		r->cbuf = nb;
		r->cbuf_cap = csize;
	}
	int ret = cw_pread_all(r->fd, r->cbuf, csize, r->c_off[i]);
	if (ret < 0)
		return ret;
	/* the table's size must be the frame's own, when the frame says it */
	unsigned long long fcs = ZSTD_getFrameContentSize(r->cbuf, csize);
	if (fcs == ZSTD_CONTENTSIZE_ERROR || (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != dsize))
		return -EBADMSG;
	if (victim->buf)
		r->slot_of[victim->frame] = -1;
	free(victim->buf);
	victim->buf = NULL;
	zsr_trim_cache(r, dsize);
	uint8_t *dbuf = NULL;
	ret = zsr_decompress_frame(r, csize, dsize, &dbuf);
	if (ret < 0)
		return ret;
	victim->buf = dbuf;
	victim->len = dsize;
	victim->frame = i;
	victim->last_use = ++r->clock;
	r->slot_of[i] = (int8_t)(victim - r->slots);
	*out = victim;
	return 0;
}

int cw_zsr_pread(struct cw_zsr *r, void *buf, size_t len, uint64_t off, size_t *nread)
{
	if (!r || (!buf && len) || !nread)
		return -EINVAL;
	*nread = 0;
	uint64_t size = cw_zsr_size(r);
	uint8_t *p = buf;
	size_t done = 0;
	/* each iteration consumes at least one byte of a non-empty frame */
	while (done < len && off < size) {
		uint32_t fi = r->last_frame;
		if (off < r->d_off[fi] || off >= r->d_off[fi + 1])
			fi = zsr_find_frame(r, off);
		r->last_frame = fi;
		struct zsr_slot *sl;
		int ret = zsr_get_frame(r, fi, &sl);
		if (ret < 0)
			return ret;
		uint64_t in_frame = off - r->d_off[fi];
		if (in_frame >= sl->len)
			return -EBADMSG;
		size_t n = sl->len - in_frame;
		if (n > len - done)
			n = len - done;
		memcpy(p + done, sl->buf + in_frame, n);
		done += n;
		off += n;
	}
	*nread = done;
	return 0;
}

static void dstream_freep(ZSTD_DStream **d)
{
	if (*d)
		ZSTD_freeDStream(*d);
}

/* Returns 0, -EBADMSG for corrupt input, -ENODATA when the input ends
 * inside a frame (what was decoded so far has been written), -EFBIG when
 * the output would exceed max_out, or an I/O error. Reads in_fd from its
 * current position. */
int cw_zstd_decompress_fd(int in_fd, int out_fd, uint64_t max_out)
{
	const size_t in_cap = ZSTD_DStreamInSize(), out_cap = ZSTD_DStreamOutSize();
	_cleanup_free_ uint8_t *inbuf = malloc(in_cap);
	_cleanup_free_ uint8_t *outbuf = malloc(out_cap);
	CW_CLEANUP(dstream_freep) ZSTD_DStream *ds = ZSTD_createDStream();
	if (!inbuf || !outbuf || !ds)
		return -ENOMEM;
	ZSTD_initDStream(ds);
	uint64_t total = 0;
	size_t last = 0;       /* last return of ZSTD_decompressStream: 0 at a frame end */
	bool any = false;
	for (;;) {
		ssize_t n = read(in_fd, inbuf, in_cap);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		any = true;
		ZSTD_inBuffer in = { inbuf, (size_t)n, 0 };
		while (in.pos < in.size) {
			ZSTD_outBuffer o = { outbuf, out_cap, 0 };
			last = ZSTD_decompressStream(ds, &o, &in);
			if (ZSTD_isError(last))
				return -EBADMSG;
			if (o.pos > 0) {
				if (o.pos > max_out - total && max_out != UINT64_MAX)
					return -EFBIG;
				int ret = cw_write_all(out_fd, outbuf, o.pos);
				if (ret < 0)
					return ret;
				total += o.pos;
			}
		}
		/* drain what the decoder still holds for this input */
		for (unsigned guard = 0; guard < 1U << 20; guard++) {
			ZSTD_outBuffer o = { outbuf, out_cap, 0 };
			size_t more = ZSTD_decompressStream(ds, &o, &in);
			if (ZSTD_isError(more))
				return -EBADMSG;
			if (o.pos == 0)
				break; /* nothing held back: keep the frame-end state of the last call */
			last = more;
			if (o.pos > max_out - total && max_out != UINT64_MAX)
				return -EFBIG;
			int ret = cw_write_all(out_fd, outbuf, o.pos);
			if (ret < 0)
				return ret;
			total += o.pos;
		}
	}
	if (!any)
		return -EBADMSG;
	return last == 0 ? 0 : -ENODATA;
}
