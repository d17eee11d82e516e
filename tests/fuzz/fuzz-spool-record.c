/* libFuzzer harness: the collector's ID.meta record parser. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "common/spool_id.h"
#include "daemon/spool_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_spool_record r;
	if (cw_spool_record_parse((const char *)data, size, &r) == 0)
		cw_spool_record_clear(&r);
	(void)cw_spool_id_valid((const char *)data, size);
	return 0;
}
