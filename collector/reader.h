/* Read-ahead of the core stream: a thread keeps the kernel's pipe drained
 * into a few chunk buffers while the collector compresses, so reading,
 * compressing and writing overlap (memory: nbuf chunks). */
#ifndef CW_COLLECTOR_READER_H
#define CW_COLLECTOR_READER_H

#include <stddef.h>

struct cw_reader;

/* Starts reading fd ahead in chunks of `chunk` bytes (each chunk full
 * except the last). Without a thread it reads synchronously instead. */
int cw_reader_new(int fd, size_t chunk, unsigned nbuf, struct cw_reader **out);

/* The next chunk (valid until the next call): 1 with *buf and *len, 0 at the
 * end of the stream, a negative errno after a read error. */
int cw_reader_next(struct cw_reader *r, const unsigned char **buf, size_t *len);

/* Stops (after the thread reaches the end of the stream) and frees. */
void cw_reader_free(struct cw_reader *r);

#endif
