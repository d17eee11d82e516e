/* libFuzzer harness for the Go release name parser (analyzer/go_version.c):
 * runtime.buildVersion comes from the binary, so any bytes; a parsed name
 * must format and parse back to the same release, and pick a layout table
 * and quirks without reading out of bounds. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/go_layout.h"
#include "analyzer/go_quirks.h"
#include "analyzer/go_version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct cw_go_version v, back;
	if (cw_go_version_parse(s, &v) == 0) {
		char buf[64];
		cw_go_version_format(&v, buf, sizeof(buf));
		if (cw_go_version_parse(buf, &back) != 0 || cw_go_version_cmp(&v, &back) != 0)
			abort();
		bool approx;
		(void)cw_go_layout_for_version(&v, &approx);
		for (int q = 0; q < CW_GO_QUIRK_COUNT; q++)
			(void)cw_go_quirk(&v, (enum cw_go_quirk)q);
	}
	free(s);
	return 0;
}
