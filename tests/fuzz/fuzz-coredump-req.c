/* The kernel-side bytes of the @@ core socket protocol, as hostile input:
 * classification, request parsing, the ack built for it, the mark. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/coredump_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_coredump_req req;
	uint8_t ack[CW_COREDUMP_ACK_SIZE_VER0];
	uint64_t mask;
	uint32_t mark;

	/* an exact-size copy: ASan sees any read past what was received */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	(void)cw_coredump_is_request(buf, size);
	for (size_t len = 0; len <= size && len <= CW_COREDUMP_REQ_SIZE_VER0 + 8; len++) {
		int r = cw_coredump_req_parse(buf, len, &req);
		if (r > 0 && (size_t)r > len)
			abort(); /* never more consumed than received */
	}
	int r = cw_coredump_req_parse(buf, size, &req);
	if (r > 0) {
		if ((size_t)r > size || r < (int)CW_COREDUMP_REQ_SIZE_VER0)
			abort();
		for (int reject = 0; reject < 2; reject++)
			if (cw_coredump_choose(&req, reject, &mask) == 0 &&
			    cw_coredump_ack_build(&req, mask, ack, sizeof(ack)) != (int)sizeof(ack))
				abort(); /* a chosen mask is always a valid ack */
		(void)cw_coredump_ack_build(&req, req.mask, ack, sizeof(ack));
		if ((size_t)r + CW_COREDUMP_MARK_SIZE <= size &&
		    cw_coredump_mark_parse(buf + r, size - (size_t)r, &mark) != -EAGAIN)
			(void)cw_coredump_mark_name(mark);
	}
	free(buf);
	return 0;
}
