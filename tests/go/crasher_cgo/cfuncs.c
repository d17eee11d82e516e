/* C side of the crasher's cgo modes. */
#include <stddef.h>
#include <unistd.h>

#include "_cgo_export.h"

struct cw_record {
	long id;
	long value;
};

/* Not static and not inlined, so it shows as its own native frame. */
__attribute__((noinline)) long cw_c_fault(struct cw_record *r)
{
	return r->value + 1;
}

__attribute__((noinline)) void cw_c_call_back(int n)
{
	cwGoCallback(n);
}

__attribute__((noinline)) void cw_c_block(void)
{
	for (;;)
		pause();
}
