/* libFuzzer harness: the collector's fallback parser of a core's notes
 * (NT_PRPSINFO, NT_FILE, NT_SIGINFO, NT_PRSTATUS) on a hostile prefix. */
#include <stddef.h>
#include <stdint.h>

#include "collector/corenotes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_procinfo p;

	cw_procinfo_init(&p);
	(void)cw_core_notes_parse(data, size, &p);
	cw_procinfo_free(&p);
	return 0;
}
