/* libFuzzer harness: the collector's ID.meta record parser. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/spool_id.h"
#include "daemon/spool_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_spool_record r;
	if (cw_spool_record_parse((const char *)data, size, &r) == 0) {
		/* what ingest stores and debug places in its sysroot: absolute
		 * paths, hex build ids, executables/HEX copies */
		for (size_t i = 0; i < r.n_libraries; i++) {
			const char *p = r.library_paths[i], *b = r.library_build_ids[i];
			if (!r.library_copies[i] || strncmp(r.library_copies[i], "executables/", 12) != 0 ||
			    (p && p[0] != '/') || (b && b[strspn(b, "0123456789abcdef")] != '\0'))
				abort();
		}
		cw_spool_record_clear(&r);
	}
	(void)cw_spool_id_valid((const char *)data, size);
	return 0;
}
