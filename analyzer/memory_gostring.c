/* cw_mem_gostring: a Go string's bytes read through cw_mem_read. In a file
 * of its own so that a fuzz harness with its own memory stand-in
 * (tests/fuzz/mem-standin.h) links this and not memory.c. */
#include "config.h"
#include "analyzer/memory.h"

#include <errno.h>
#include <stdlib.h>

int cw_mem_gostring(struct cw_mem *m, uint64_t ptr, uint64_t len, size_t max, char **out)
{
	if (!m || !out)
		return -EINVAL;
	if (len > max)
		return -E2BIG;
	char *s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	int ret = cw_mem_read(m, ptr, s, len);
	if (ret < 0) {
		free(s);
		return ret;
	}
	s[len] = 0;
	*out = s;
	return 0;
}
