/* libFuzzer harness: the daemon's query socket request parser. A request
 * it accepts (any verb, "loops" included) must format and parse back to
 * the same request: the CLI's formatter and the daemon's parser agree. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/query_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cw_query_request req, back;
	int r = cw_query_request_parse((const char *)data, size, &req);
	if (r != 0 && r != -EBADMSG && r != -EOPNOTSUPP && r != -ENOMEM)
		abort(); /* the documented answers only */
	if (r != 0)
		return 0;
	char *text = NULL;
	if (cw_query_request_format(req.verb, &req.filter, &text) < 0)
		return 0;
	if (cw_query_request_parse(text, strlen(text), &back) != 0)
		abort();
	free(text);
	const struct cw_crash_filter *a = &req.filter, *b = &back.filter;
	if (back.verb != req.verb || a->id != b->id || a->pid != b->pid || a->since_usec != b->since_usec ||
	    a->until_usec != b->until_usec || a->newest != b->newest || !same_str(a->match, b->match) ||
	    !same_str(a->fingerprint, b->fingerprint) || !same_str(a->container, b->container) ||
	    !same_str(a->pod, b->pod) || !same_str(a->pod_namespace, b->pod_namespace) ||
	    !same_str(a->unit, b->unit) || b->restrict_uid)
		abort();
	return 0;
}
