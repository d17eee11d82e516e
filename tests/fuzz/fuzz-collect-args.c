/* libFuzzer harness: the collector's core_pattern argument parser (input
 * cut at NULs into an argv) and the ForwardTo= specifier expansion. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/collect.h"
#include "collector/forward.h"

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
	if (cw_crash_from_args(argc, argv, &c) == 0) {
		/* ForwardTo= expansion of every argument with what was parsed. */
		char out[256];
		for (int i = 0; i < argc; i++)
			(void)cw_forward_expand(argv[i], &c, argv[0], 3, out, sizeof(out));
	}
	free(copy);
	return 0;
}
