/* See container_state.h. */
#include "config.h"
#include "collector/container_state.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

#define MAX_CONTAINERS 65536
#define METADATA_MAX (64U << 10)

CW_DEFINE_CLEANUP(json_object *, json_object_put)
CW_DEFINE_CLEANUP(json_tokener *, json_tokener_free)

static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* A copy of a JSON string value that is a believable name: bounded, no
 * control characters (nor a NUL inside). NULL when it is not one. */
static int dup_value(json_object *v, char **out)
{
	if (*out || !v || !json_object_is_type(v, json_type_string))
		return 0;
	int len = json_object_get_string_len(v);
	const char *s = json_object_get_string(v);
	if (len <= 0 || len > CW_STATE_VALUE_MAX || !printable(s, (size_t)len))
		return 0;
	*out = strndup(s, (size_t)len);
	return *out ? 0 : -ENOMEM;
}

static json_object *parse_json(const char *buf, size_t len)
{
	if (len == 0 || len > INT_MAX)
		return NULL;
	CW_CLEANUP(json_tokener_freep) json_tokener *tok = json_tokener_new(); /* depth 32 */
	if (!tok)
		return NULL;
	json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
	if (o && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int cw_storage_containers_parse(const char *buf, size_t len, const char *id, char **name, char **image)
{
	*name = *image = NULL;
	if (!id || !*id)
		return -ENOENT;
	CW_CLEANUP(json_object_putp) json_object *arr = parse_json(buf, len);
	if (!arr || !json_object_is_type(arr, json_type_array))
		return -EBADMSG;
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n && i < MAX_CONTAINERS; i++) {
		json_object *c = json_object_array_get_idx(arr, i), *v = NULL, *names = NULL, *meta = NULL;
		if (!json_object_is_type(c, json_type_object) || !json_object_object_get_ex(c, "id", &v) ||
		    !json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), id) != 0)
			continue;
		int r = 0;
		if (json_object_object_get_ex(c, "names", &names) && json_object_is_type(names, json_type_array) &&
		    json_object_array_length(names) > 0)
			r = dup_value(json_object_array_get_idx(names, 0), name);
		if (r == 0 && json_object_object_get_ex(c, "metadata", &meta) && json_object_is_type(meta, json_type_string) &&
		    (size_t)json_object_get_string_len(meta) <= METADATA_MAX) {
			CW_CLEANUP(json_object_putp) json_object *m =
				parse_json(json_object_get_string(meta), (size_t)json_object_get_string_len(meta));
			json_object *img = NULL;
			if (m && json_object_is_type(m, json_type_object) && json_object_object_get_ex(m, "image-name", &img))
				r = dup_value(img, image);
		}
		if (r < 0) {
			free(*name);
			*name = NULL;
		}
		return r;
	}
	return -ENOENT;
}

/* The value after "=" (len bytes at s): unquoted, bounded. */
static int keyfile_value(const char *s, size_t len, char **out)
{
	char buf[CW_STATE_VALUE_MAX + 1];
	size_t o = 0;
	while (len > 0 && (s[0] == ' ' || s[0] == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		for (size_t i = 1; i + 1 < len; i++) {
			char ch = s[i];
			if (ch == '\\' && i + 2 < len)
				ch = s[++i];
			if (o == CW_STATE_VALUE_MAX)
				return -EBADMSG;
			buf[o++] = ch;
		}
	} else {
		if (len > CW_STATE_VALUE_MAX)
			return -EBADMSG;
		memcpy(buf, s, len);
		o = len;
	}
	if (o == 0)
		return -ENOENT;
	if (!printable(buf, o))
		return -EBADMSG;
	*out = strndup(buf, o);
	return *out ? 0 : -ENOMEM;
}

int cw_keyfile_get(const char *buf, size_t len, const char *key, char **out)
{
	size_t kl = strlen(key);
	const char *val = NULL;
	size_t vlen = 0;
	*out = NULL;
	for (size_t i = 0; i < len;) {
		const char *line = buf + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;
		i += ll + 1;
		size_t k = 0;
		while (k < ll && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (ll - k <= kl || memcmp(line + k, key, kl) != 0)
			continue;
		k += kl;
		while (k < ll && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k == ll || line[k] != '=')
			continue;
		val = line + k + 1;
		vlen = ll - k - 1;
	}
	return val ? keyfile_value(val, vlen, out) : -ENOENT;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int cw_unit_unescape(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\\' && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
			ch = (unsigned char)(hexval(s[i + 2]) << 4 | hexval(s[i + 3]));
			i += 3;
		}
		if (ch < 0x20 || ch == 0x7f || ch == '/' || o + 1 >= outlen)
			return -EINVAL;
		out[o++] = (char)ch;
	}
	out[o] = 0;
	if (o == 0 || !strcmp(out, ".") || !strcmp(out, ".."))
		return -EINVAL;
	return 0;
}
