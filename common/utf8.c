/* UTF-8 validation (common/utf8.h), after the table of well-formed byte
 * sequences in the Unicode standard (chapter 3, table 3-7). */
#include "config.h"
#include "common/utf8.h"

#include <string.h>

size_t cw_utf8_seq_len(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;   /* bounds of the second byte */
	if (c >= 0xc2 && c <= 0xdf) {         /* 0xc0, 0xc1: overlong */
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;                /* overlong */
		else if (c == 0xed)
			hi = 0x9f;                /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;                /* overlong */
		else if (c == 0xf4)
			hi = 0x8f;                /* above U+10FFFF */
	} else {
		return 0;                         /* continuation byte, 0xf5..0xff */
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t cw_utf8_prefix(const char *s, size_t max)
{
	size_t len = strnlen(s, max), i = 0;
	while (i < len) {
		size_t n = cw_utf8_seq_len((const unsigned char *)s + i, len - i);
		if (n == 0)
			break;
		i += n;
	}
	return i;
}
