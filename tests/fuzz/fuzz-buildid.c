/* libFuzzer harness: GNU build id extraction from a hostile ELF file. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "collector/procinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("elf", MFD_CLOEXEC);
	char *id = NULL;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size && cw_elf_build_id(fd, &id) == 0)
		free(id);
	close(fd);
	return 0;
}
