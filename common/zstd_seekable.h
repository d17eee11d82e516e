/* zstd's seekable format: a zstd stream cut into independently
 * decompressible frames, followed by a skippable frame holding the seek
 * table (see zstd's contrib/seekable_format/zstd_seekable_compression_format.md).
 * The plain `zstd -d` CLI decompresses these files; our reader uses the
 * table for random access. */
#ifndef CW_COMMON_ZSTD_SEEKABLE_H
#define CW_COMMON_ZSTD_SEEKABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_ZSTD_MAGIC 0xFD2FB528U
#define CW_ZSTD_SEEKABLE_MAGIC 0x8F92EAB1U
#define CW_ZSTD_SKIPPABLE_SEEKTABLE 0x184D2A5EU
#define CW_ZSTD_SEEKABLE_MAX_FRAME (1U << 30)
/* Frame size the collector uses: small enough for cheap random access,
 * large enough for a good ratio. */
#define CW_ZSTD_SEEKABLE_FRAME_SIZE (1U << 20)

/* True if the first four bytes are the zstd frame magic. */
bool cw_is_zstd(const void *first4, size_t len);

/* Writer: streams data into fd (which must be positioned where the output
 * starts). Memory is bounded by one frame. */
struct cw_zsw;
int cw_zsw_new(int fd, int level, uint32_t frame_size, struct cw_zsw **out);
int cw_zsw_write(struct cw_zsw *w, const void *buf, size_t len);
/* Flushes the last frame and writes the seek table. */
int cw_zsw_finish(struct cw_zsw *w);
uint64_t cw_zsw_bytes_in(const struct cw_zsw *w);
uint64_t cw_zsw_bytes_out(const struct cw_zsw *w);
void cw_zsw_free(struct cw_zsw *w);

/* Reader: random access by decompressed offset. -EBADMSG for a file that
 * is not zstd, -ENOTSUP for a zstd file without a seek table (callers then
 * decompress it whole, see cw_zstd_decompress_fd). */
struct cw_zsr;
int cw_zsr_open(int fd, struct cw_zsr **out);
uint64_t cw_zsr_size(const struct cw_zsr *r);
/* Reads up to len bytes at decompressed offset off; *nread < len only at end. */
int cw_zsr_pread(struct cw_zsr *r, void *buf, size_t len, uint64_t off, size_t *nread);
void cw_zsr_free(struct cw_zsr *r);

/* Decompresses any zstd stream from in_fd to out_fd (streaming, bounded memory). */
int cw_zstd_decompress_fd(int in_fd, int out_fd, uint64_t max_out);

#endif
