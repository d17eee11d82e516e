/* libFuzzer harness: the runtimes' state files that are not OCI bundles
 * (collector/container_state.c): containers/storage's containers.json,
 * machined's and LXC's key files, systemd's unit-name escaping; hostile,
 * never NUL-terminated. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/container_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const char *v)
{
	if (v && (strlen(v) == 0 || strlen(v) > CW_STATE_VALUE_MAX))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: ASan sees any read past the end */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	char *name = NULL, *image = NULL, *v = NULL;
	if (cw_storage_containers_parse(buf, size, "4c9f1d2e3b5a", &name, &image) == 0) {
		check_value(name);
		check_value(image);
	}
	free(name);
	free(image);
	static const char *const keys[] = { "ROOT", "CLASS", "SERVICE", "lxc.rootfs.path" };
	for (size_t i = 0; i < 4; i++) {
		if (cw_keyfile_get(buf, size, keys[i], &v) == 0)
			check_value(v);
		free(v);
		v = NULL;
	}
	char *s = strndup(buf, size > 512 ? 512 : size), out[129];
	if (s && cw_unit_unescape(s, out, sizeof(out)) == 0 && (strlen(out) == 0 || strchr(out, '/')))
		abort();
	free(s);
	free(buf);
	return 0;
}
