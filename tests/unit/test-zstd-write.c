/* cw_zsw_*: the seekable-format writer. Round trips through libzstd's
 * streaming decoder (what `zstd -d` does) and checks the seek table by
 * walking the frames by hand. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <zstd.h>

#include "common/zstd_seekable.h"

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Deterministic mixed input: text-like, random and zero regions. */
static unsigned char *make_input(size_t len)
{
	unsigned char *b = malloc(len);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	static const char words[] = "goroutine runtime.gopanic main.main /src/main.go:42 ";

	assert_non_null(b);
	for (size_t i = 0; i < len; i++) {
		size_t region = (i / 65536) % 3;
		if (region == 0) {
			b[i] = (unsigned char)words[i % (sizeof(words) - 1)];
		} else if (region == 1) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			b[i] = (unsigned char)x;
		} else {
			b[i] = 0;
		}
	}
	return b;
}

static int tmp_fd(void)
{
	int fd = memfd_create("zsw", MFD_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static unsigned char *slurp(int fd, size_t *len)
{
	struct stat st;
	unsigned char *b;

	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	b = malloc(*len ? *len : 1);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, *len, 0), (ssize_t)*len);
	return b;
}

/* Streaming decompression of the whole file, skippable frames skipped. */
static void check_stream(const unsigned char *z, size_t zlen, const unsigned char *want, size_t want_len)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	unsigned char *got = malloc(want_len + 1);
	ZSTD_inBuffer in = { z, zlen, 0 };
	ZSTD_outBuffer out = { got, want_len + 1, 0 };

	assert_non_null(d);
	assert_non_null(got);
	for (int guard = 0; in.pos < in.size && guard < 1000000; guard++) {
		size_t r = ZSTD_decompressStream(d, &out, &in);
		assert_false(ZSTD_isError(r));
	}
	assert_int_equal(out.pos, want_len);
	assert_memory_equal(got, want, want_len);
	free(got);
	ZSTD_freeDCtx(d);
}

/* Walks the seek table and checks it against the frames themselves. */
static void check_table(const unsigned char *z, size_t zlen, size_t in_len, uint32_t frame_size)
{
	assert_true(zlen >= 17);
	assert_int_equal(get_le32(z + zlen - 4), CW_ZSTD_SEEKABLE_MAGIC);
	assert_int_equal(z[zlen - 5], 0);
	uint32_t n = get_le32(z + zlen - 9);
	size_t table_len = (size_t)n * 8 + 9;
	assert_true(zlen >= table_len + 8);
	const unsigned char *skip = z + zlen - table_len - 8;
	assert_int_equal(get_le32(skip), CW_ZSTD_SKIPPABLE_SEEKTABLE);
	assert_int_equal(get_le32(skip + 4), table_len);
	assert_int_equal(n, (in_len + frame_size - 1) / frame_size);

	size_t off = 0, total = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t c = get_le32(skip + 8 + i * 8), dsz = get_le32(skip + 12 + i * 8);
		assert_true(off + c <= (size_t)(skip - z));
		assert_int_equal(ZSTD_findFrameCompressedSize(z + off, c), c);
		assert_int_equal(ZSTD_getFrameContentSize(z + off, c), dsz);
		assert_true(dsz == frame_size || i == n - 1);
		off += c;
		total += dsz;
	}
	assert_int_equal(off, (size_t)(skip - z));
	assert_int_equal(total, in_len);
}

static void round_trip(size_t len, uint32_t frame_size, size_t chunk)
{
	unsigned char *data = make_input(len);
	int fd = tmp_fd();
	struct cw_zsw *w = NULL;

	assert_int_equal(cw_zsw_new(fd, 1, frame_size, &w), 0);
	for (size_t off = 0; off < len;) {
		size_t n = len - off < chunk ? len - off : chunk;
		assert_int_equal(cw_zsw_write(w, data + off, n), 0);
		off += n;
	}
	assert_int_equal(cw_zsw_finish(w), 0);
	assert_int_equal(cw_zsw_bytes_in(w), len);

	size_t zlen;
	unsigned char *z = slurp(fd, &zlen);
	assert_int_equal(cw_zsw_bytes_out(w), zlen);
	check_table(z, zlen, len, frame_size);
	check_stream(z, zlen, data, len);
	cw_zsw_free(w);
	free(z);
	free(data);
	close(fd);
}

/* What the writer produces, the reader (cw_zsr_*) reads at any offset. */
static void test_random_access_read(void **state)
{
	const size_t len = 5 * 65536 + 1234;
	unsigned char *data = make_input(len), got[100000];
	int fd = tmp_fd();
	struct cw_zsw *w = NULL;
	struct cw_zsr *r = NULL;
	size_t nread;

	assert_int_equal(cw_zsw_new(fd, 1, 65536, &w), 0);
	assert_int_equal(cw_zsw_write(w, data, len), 0);
	assert_int_equal(cw_zsw_finish(w), 0);
	cw_zsw_free(w);
	assert_int_equal(cw_zsr_open(fd, &r), 0);
	assert_int_equal(cw_zsr_size(r), len);
	static const size_t offs[] = { 0, 65535, 65536, 100000, 3 * 65536 - 7, 5 * 65536 };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		size_t want = len - offs[i] < sizeof(got) ? len - offs[i] : sizeof(got);
		assert_int_equal(cw_zsr_pread(r, got, sizeof(got), offs[i], &nread), 0);
		assert_int_equal(nread, want);
		assert_memory_equal(got, data + offs[i], want);
	}
	cw_zsr_free(r);
	free(data);
	close(fd);
}

static void test_round_trip_small_chunks(void **state) { round_trip(300000, 65536, 4093); }
static void test_round_trip_whole_frames(void **state) { round_trip(4 * 65536, 65536, 65536); }
static void test_round_trip_big_writes(void **state) { round_trip(1000001, 65536, 1000001); }
static void test_round_trip_default_frame(void **state) { round_trip(3 * CW_ZSTD_SEEKABLE_FRAME_SIZE + 17, CW_ZSTD_SEEKABLE_FRAME_SIZE, 131072); }

static void test_empty(void **state)
{
	int fd = tmp_fd();
	struct cw_zsw *w = NULL;
	size_t zlen;

	assert_int_equal(cw_zsw_new(fd, 1, 4096, &w), 0);
	assert_int_equal(cw_zsw_finish(w), 0);
	unsigned char *z = slurp(fd, &zlen);
	assert_int_equal(zlen, 17);
	check_table(z, zlen, 0, 4096);
	free(z);
	cw_zsw_free(w);
	close(fd);
}

/* All-zero frames are cheap: they compress to a tiny cached frame. */
static void test_zero_frames(void **state)
{
	const size_t frames = 64;
	unsigned char *zeros = calloc(frames, CW_ZSTD_SEEKABLE_FRAME_SIZE);
	int fd = tmp_fd();
	struct cw_zsw *w = NULL;
	size_t zlen, len = frames * CW_ZSTD_SEEKABLE_FRAME_SIZE;

	assert_non_null(zeros);
	zeros[len - 1] = 1; /* the last frame is not all zero */
	assert_int_equal(cw_zsw_new(fd, 1, CW_ZSTD_SEEKABLE_FRAME_SIZE, &w), 0);
	assert_int_equal(cw_zsw_write(w, zeros, len), 0);
	assert_int_equal(cw_zsw_finish(w), 0);
	unsigned char *z = slurp(fd, &zlen);
	assert_true(zlen < frames * 200);
	check_table(z, zlen, len, CW_ZSTD_SEEKABLE_FRAME_SIZE);
	check_stream(z, zlen, zeros, len);
	free(z);
	free(zeros);
	cw_zsw_free(w);
	close(fd);
}

static void test_write_error_is_sticky(void **state)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	struct cw_zsw *w = NULL;
	unsigned char *data = make_input(200000);

	assert_true(fd >= 0);
	assert_int_equal(cw_zsw_new(fd, 1, 65536, &w), 0);
	/* Frames are written by a thread: the error shows at the latest in finish. */
	int r = cw_zsw_write(w, data, 200000);
	assert_true(r == 0 || r == -ENOSPC);
	assert_int_equal(cw_zsw_finish(w), -ENOSPC);
	assert_int_equal(cw_zsw_write(w, data, 10), -ENOSPC);
	assert_int_equal(cw_zsw_finish(w), -ENOSPC);
	cw_zsw_free(w);
	free(data);
	close(fd);
}

static void test_bad_arguments(void **state)
{
	struct cw_zsw *w = NULL;

	assert_int_equal(cw_zsw_new(-1, 1, 4096, &w), -EINVAL);
	assert_int_equal(cw_zsw_new(1, 1, 0, &w), -EINVAL);
	assert_int_equal(cw_zsw_new(1, 1, CW_ZSTD_SEEKABLE_MAX_FRAME + 1, &w), -EINVAL);
	assert_int_equal(cw_zsw_new(1, 1000, 4096, &w), -EINVAL);
	assert_null(w);
	cw_zsw_free(NULL);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* A seekable file of one frame whose seek table claims dsize bytes. */
static int one_frame_file(const void *frame, size_t flen, uint32_t dsize)
{
	int fd = tmp_fd();
	unsigned char tail[8 + 8 + 9];
	put_le32(tail, CW_ZSTD_SKIPPABLE_SEEKTABLE);
	put_le32(tail + 4, 8 + 9);
	put_le32(tail + 8, (uint32_t)flen);
	put_le32(tail + 12, dsize);
	put_le32(tail + 16, 1);
	tail[20] = 0;
	put_le32(tail + 21, CW_ZSTD_SEEKABLE_MAGIC);
	assert_int_equal(write(fd, frame, flen), (ssize_t)flen);
	assert_int_equal(write(fd, tail, sizeof(tail)), (ssize_t)sizeof(tail));
	return fd;
}

/* One zstd frame of data, with or without the content size in its header. */
static unsigned char *compress_frame(const void *data, size_t len, int content_size, size_t *flen)
{
	size_t cap = ZSTD_compressBound(len);
	unsigned char *f = malloc(cap);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	assert_non_null(f);
	assert_non_null(c);
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, content_size)));
	ZSTD_inBuffer in = { data, len, 0 };
	ZSTD_outBuffer out = { f, cap, 0 };
	size_t left = ZSTD_compressStream2(c, &out, &in, ZSTD_e_end);
	assert_int_equal(left, 0);
	ZSTD_freeCCtx(c);
	*flen = out.pos;
	return f;
}

/* cw_zsr_open + cw_zsr_pread of 16 bytes at 0 in a child whose address
 * space is limited to 256 MiB more than it uses (not under ASan, whose
 * shadow memory needs far more): returns the read's errno (0 on success).
 * A reader that believes a lying table asks malloc for 1 GiB and fails
 * with ENOMEM instead of rejecting the file (EBADMSG). */
static int read_with_bounded_memory(int fd)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
#if !defined(__SANITIZE_ADDRESS__)
		unsigned long pages = 0;
		FILE *f = fopen("/proc/self/statm", "r");
		if (!f || fscanf(f, "%lu", &pages) != 1)
			_exit(100);
		fclose(f);
		rlim_t lim = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (256U << 20);
		struct rlimit rl = { lim, lim };
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(101);
#endif
		struct cw_zsr *r = NULL;
		unsigned char buf[16];
		size_t nread;
		int ret = cw_zsr_open(fd, &r);
		if (ret == 0)
			ret = cw_zsr_pread(r, buf, sizeof(buf), 0, &nread);
		cw_zsr_free(r);
		_exit(-ret);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* A seek table that lies about a frame's size (claiming the format's
 * maximum, 1 GiB) is rejected without allocating what it claims: the
 * frame's header says otherwise, or the frame has no size in its header,
 * or the header lies too. */
static void test_lying_seek_table(void **state)
{
	const size_t len = 65536;
	unsigned char *data = make_input(len);
	size_t flen;

	unsigned char *f = compress_frame(data, len, 1, &flen);
	int fd = one_frame_file(f, flen, CW_ZSTD_SEEKABLE_MAX_FRAME);
	assert_int_equal(read_with_bounded_memory(fd), EBADMSG);
	close(fd);
	free(f);

	f = compress_frame(data, len, 0, &flen);
	assert_int_equal(ZSTD_getFrameContentSize(f, flen), ZSTD_CONTENTSIZE_UNKNOWN);
	fd = one_frame_file(f, flen, CW_ZSTD_SEEKABLE_MAX_FRAME);
	assert_int_equal(read_with_bounded_memory(fd), EBADMSG);
	close(fd);
	fd = one_frame_file(f, flen, (uint32_t)len);    /* the same frame, told true */
	assert_int_equal(read_with_bounded_memory(fd), 0);
	close(fd);
	free(f);

	/* by hand: a frame whose header claims 1 GiB (4-byte content size,
	 * 128 KiB window) holding one raw block of 1000 bytes */
	unsigned char hand[4 + 1 + 1 + 4 + 3 + 1000];
	put_le32(hand, CW_ZSTD_MAGIC);
	hand[4] = 2 << 6;                    /* Frame_Content_Size_flag 2: 4 bytes */
	hand[5] = 7 << 3;                    /* window 2^(10+7) */
	put_le32(hand + 6, CW_ZSTD_SEEKABLE_MAX_FRAME);
	uint32_t bh = 1000U << 3 | 1;        /* raw, last block */
	hand[10] = (unsigned char)bh;
	hand[11] = (unsigned char)(bh >> 8);
	hand[12] = (unsigned char)(bh >> 16);
	memcpy(hand + 13, data, 1000);
	assert_int_equal(ZSTD_getFrameContentSize(hand, sizeof(hand)), CW_ZSTD_SEEKABLE_MAX_FRAME);
	fd = one_frame_file(hand, sizeof(hand), CW_ZSTD_SEEKABLE_MAX_FRAME);
	assert_int_equal(read_with_bounded_memory(fd), EBADMSG);
	close(fd);
	free(data);
	(void)state;
}

/* A frame without its size in the header, larger than the reader's first
 * buffer (one collector frame): the buffer grows and every byte is right. */
static void test_frame_without_content_size(void **state)
{
	const size_t len = 3 * CW_ZSTD_SEEKABLE_FRAME_SIZE + 4321;
	unsigned char *data = make_input(len), *got = malloc(len);
	size_t flen, nread;
	assert_non_null(got);
	unsigned char *f = compress_frame(data, len, 0, &flen);
	int fd = one_frame_file(f, flen, (uint32_t)len);
	struct cw_zsr *r = NULL;
	assert_int_equal(cw_zsr_open(fd, &r), 0);
	assert_int_equal(cw_zsr_pread(r, got, len, 0, &nread), 0);
	assert_int_equal(nread, len);
	assert_memory_equal(got, data, len);
	cw_zsr_free(r);
	/* told one byte short or long, the frame is refused */
	close(fd);
	fd = one_frame_file(f, flen, (uint32_t)len - 1);
	assert_int_equal(read_with_bounded_memory(fd), EBADMSG);
	close(fd);
	fd = one_frame_file(f, flen, (uint32_t)len + 1);
	assert_int_equal(read_with_bounded_memory(fd), EBADMSG);
	close(fd);
	free(f);
	free(got);
	free(data);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_small_chunks),
		cmocka_unit_test(test_round_trip_whole_frames),
		cmocka_unit_test(test_round_trip_big_writes),
		cmocka_unit_test(test_round_trip_default_frame),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_zero_frames),
		cmocka_unit_test(test_write_error_is_sticky),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_random_access_read),
		cmocka_unit_test(test_lying_seek_table),
		cmocka_unit_test(test_frame_without_content_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
