/* UTF-8 as crash data needs it: Go strings, command lines and file names
 * are bytes, and every JSON crashwatch writes must still be valid UTF-8. */
#ifndef CW_COMMON_UTF8_H
#define CW_COMMON_UTF8_H

#include <stddef.h>

/* The length (1 to 4) of the well-formed UTF-8 sequence at s, n bytes
 * left, or 0 when there is none: a bad lead or continuation byte, an
 * overlong form, a surrogate (U+D800..U+DFFF), a code point above
 * U+10FFFF, a sequence cut short, or n == 0. Strict RFC 3629, the
 * sequences Go's utf8.DecodeRune accepts. */
size_t cw_utf8_seq_len(const unsigned char *s, size_t n);

/* Length of the longest prefix of s of at most max bytes made of whole,
 * well-formed UTF-8 characters (stops at the first malformed byte or NUL). */
size_t cw_utf8_prefix(const char *s, size_t max);

#endif
