/* libFuzzer harness: the collector's core_pattern argument parser, with
 * the input cut at NULs into an argv. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[64];
	struct cw_crash_info c;
	int argc = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;
	for (size_t i = 0; i <= size && argc < 64;) {
		argv[argc++] = copy + i;
		i += strlen(copy + i) + 1;
	}
	(void)cw_crash_from_args(argc, argv, &c);
	free(copy);
	return 0;
}
