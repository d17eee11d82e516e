/* Bounded whole-file reads. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "collector/readfile.h"
#include "common/cleanup.h"

int cw_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *len)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	size_t cap = 4096, used = 0;

	if (fd < 0)
		return -errno;
	if (cap > max)
		cap = max;
	buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	while (used < max) {
		if (used == cap) {
			size_t ncap = cap * 2 > max ? max : cap * 2;
			char *n = realloc(buf, ncap + 1);
			if (!n)
				return -ENOMEM;
			buf = n;
			cap = ncap;
		}
		ssize_t k = read(fd, buf + used, cap - used);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		used += (size_t)k;
	}
	buf[used] = 0;
	*len = used;
	*out = CW_TAKE_PTR(buf);
	return 0;
}
