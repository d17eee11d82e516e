/* libFuzzer harness: the JSON writer and the text report on strings of
 * any bytes, as a core and a hostile pclntab supply them (panic values,
 * function and file names, statuses). The JSON must be valid UTF-8 that
 * json-c reads back, and the text report must hold no control character
 * but newline and tab (and no C1 control). */
#include "config.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analysis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strict UTF-8 (RFC 3629): no overlong forms, surrogates or code points
 * above U+10FFFF. Written independently of report_json.c's decoder. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t len;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			cp = c & 0x1f, len = 2;
		} else if ((c & 0xf0) == 0xe0) {
			cp = c & 0x0f, len = 3;
		} else if ((c & 0xf8) == 0xf0) {
			cp = c & 0x07, len = 4;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* The input cut at NULs into up to 4 strings. */
static char *piece(const uint8_t *data, size_t size, size_t *pos)
{
	size_t start = *pos, end = start;
	while (end < size && data[end] != 0)
		end++;
	*pos = end < size ? end + 1 : end;
	return strndup((const char *)data + start, end - start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	struct cw_analysis *a = calloc(1, sizeof(*a));
	struct cw_goroutine *g = calloc(1, sizeof(*g));
	struct cw_frame *f = calloc(1, sizeof(*f));
	struct cw_panic *p = calloc(1, sizeof(*p));
	if (!a || !g || !f || !p)
		abort();
	a->is_go = true;
	a->panics = p;
	a->npanics = 1;
	p->message = piece(data, size, &pos);
	p->printed = piece(data, size, &pos);
	f->function = piece(data, size, &pos);
	f->file = piece(data, size, &pos);
	g->id = 1;
	g->status = strdup("running");
	g->frames = f;
	g->nframes = 1;
	a->goroutines = g;
	a->ngoroutines = 1;
	a->crashed_goroutine = 1;

	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out || cw_analysis_write_json(a, out, size & 1) < 0)
		abort();
	fclose(out);
	if (!valid_utf8((const unsigned char *)buf, len))
		__builtin_trap();
	struct json_object *j = json_tokener_parse(buf);
	if (!j)
		__builtin_trap();
	free(buf);

	buf = NULL;
	out = open_memstream(&buf, &len);
	struct cw_text_opts o = { 0 };
	if (!out || cw_report_text(j, out, &o) < 0)
		abort();
	fclose(out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ||
		    (c == 0xc2 && i + 1 < len && (unsigned char)buf[i + 1] >= 0x80 && (unsigned char)buf[i + 1] <= 0x9f))
			__builtin_trap();
	}
	if (!valid_utf8((const unsigned char *)buf, len))
		__builtin_trap();
	free(buf);
	json_object_put(j);
	cw_analysis_free(a);
	return 0;
}
