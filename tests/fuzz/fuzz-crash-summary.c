/* libFuzzer harness: the list_summary parser behind `crashwatch list`. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "storage/crash_summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_crash_summary s;
	if (cw_crash_summary_parse((const char *)data, size, &s) == 0) {
		/* every view lies inside the input */
		const struct cw_text *t[] = { &s.raw, &s.id_text, &s.pid_text, &s.uid_text, &s.fingerprint, &s.exe, &s.message };
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (t[i]->p < (const char *)data || t[i]->p + t[i]->len > (const char *)data + size)
				__builtin_trap();
	}
	return 0;
}
