/* Parsers of the container runtimes' state files that are not an OCI
 * bundle (collector/container.c reads the files): containers/storage's
 * containers.json (podman, CRI-O), systemd-machined's machine files and
 * LXC's config. The text is hostile: bounded by len (not NUL-terminated),
 * every value copied bounded. Fuzzed by tests/fuzz/fuzz-container-state.c. */
#ifndef CW_COLLECTOR_CONTAINER_STATE_H
#define CW_COLLECTOR_CONTAINER_STATE_H

#include <stddef.h>

#define CW_STATE_VALUE_MAX 1024 /* a longer name or image is not believed */

/* overlay-containers/containers.json: a JSON array of containers; the one
 * whose "id" is id gives its first "names" entry (*name) and, from its
 * "metadata" (a JSON object in a string, written by podman and CRI-O),
 * "image-name" (*image). Either may stay NULL. 0 when the entry is
 * there, -ENOENT when not, -EBADMSG when buf is not such a file, -ENOMEM. */
int cw_storage_containers_parse(const char *buf, size_t len, const char *id, char **name, char **image);

/* The value of key in a file of "KEY=VALUE" lines (systemd's env files,
 * a value possibly in double quotes with backslash escapes) or of
 * "key = value" lines (LXC's config; '#' starts a comment line). The last
 * assignment wins. 0 with *out (malloc'd), -ENOENT, -ENOMEM; a value
 * longer than CW_STATE_VALUE_MAX or with control characters is -EBADMSG. */
int cw_keyfile_get(const char *buf, size_t len, const char *key, char **out);

/* systemd's unit-name escaping undone ("deb\x2dtest" -> "deb-test") into
 * out (size outlen): -EINVAL when the result would not be a machine name
 * (empty, '/', a NUL or control byte, "." or "..", too long). */
int cw_unit_unescape(const char *s, char *out, size_t outlen);

#endif
