/* libFuzzer harness: the daemon's query socket request parser. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "common/query_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_query_request req;
	(void)cw_query_request_parse((const char *)data, size, &req);
	return 0;
}
