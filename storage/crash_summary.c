/* list_summary: parsing the stored text into views (crash_summary.h). */
#include "config.h"
#include "storage/crash_summary.h"

#include <errno.h>
#include <string.h>

#define SUMMARY_FIELDS 11
#define DECIMAL_MAX 20 /* "-" and 19 digits */

/* Eight digits at once (little-endian hosts): -1 when p[0..7] are not all
 * digits. Listings parse 100,000 sixteen-digit times. */
static int64_t eight_digits(const char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t x;
	memcpy(&x, p, 8);
	/* every byte 0x30..0x39: high nibble 3, and adding 6 carries into no high nibble */
	if ((x & 0xf0f0f0f0f0f0f0f0ULL) != 0x3030303030303030ULL ||
	    ((x + 0x0606060606060606ULL) & 0xf0f0f0f0f0f0f0f0ULL) != 0x3030303030303030ULL)
		return -1;
	x -= 0x3030303030303030ULL;
	x = x * 10 + (x >> 8);                                   /* pairs: 2-digit values in bytes 0, 2, 4, 6 */
	x = ((x & 0x000000ff000000ffULL) * (100 + (1000000ULL << 32)) +
	     ((x >> 16) & 0x000000ff000000ffULL) * (1 + (10000ULL << 32))) >> 32;
	return (int64_t)x;
#else
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) {
		unsigned d = (unsigned char)p[i] - '0';
		if (d > 9)
			return -1;
		v = v * 10 + d;
	}
	return (int64_t)v;
#endif
}

/* A decimal integer that is the whole field: optional '-', 1 to 19 digits. */
static int parse_decimal(struct cw_text t, int64_t *out)
{
	if (t.len == 0 || t.len > DECIMAL_MAX)
		return -EBADMSG;
	size_t i = t.p[0] == '-';
	if (i == t.len || t.len - i > 19)
		return -EBADMSG;
	uint64_t v = 0;
	for (; t.len - i >= 8; i += 8) {
		int64_t e = eight_digits(t.p + i);
		if (e < 0)
			return -EBADMSG;
		v = v * 100000000 + (uint64_t)e;
	}
	for (; i < t.len; i++) {
		unsigned d = (unsigned char)t.p[i] - '0';
		if (d > 9)
			return -EBADMSG;
		v = v * 10 + d;
	}
	if (v > INT64_MAX)
		return -EBADMSG;
	*out = t.p[0] == '-' ? -(int64_t)v : (int64_t)v;
	return 0;
}

int cw_crash_summary_parse(const char *s, size_t len, struct cw_crash_summary *out)
{
	struct cw_text field[SUMMARY_FIELDS];
	const char *p = s, *end = s + len;
	/* ten separators; the message (last) may hold anything */
	for (size_t n = 0; n < SUMMARY_FIELDS - 1; n++) {
		const char *sep = memchr(p, '\x1f', (size_t)(end - p));
		if (!sep)
			return -EBADMSG;
		field[n] = (struct cw_text){ p, (size_t)(sep - p) };
		p = sep + 1;
	}
	field[SUMMARY_FIELDS - 1] = (struct cw_text){ p, (size_t)(end - p) };

	int64_t sig;
	memset(out, 0, sizeof(*out));
	if (parse_decimal(field[0], &out->id) < 0 || parse_decimal(field[1], &out->time_usec) < 0 ||
	    parse_decimal(field[4], &sig) < 0 || sig < 0 || sig > INT32_MAX ||
	    cw_core_state_from_text(field[5].p, field[5].len, &out->core_state) < 0 ||
	    cw_analysis_status_from_text(field[6].p, field[6].len, &out->analysis_status) < 0)
		return -EBADMSG;
	int64_t ignored;
	if (parse_decimal(field[2], &ignored) < 0 || parse_decimal(field[3], &ignored) < 0)
		return -EBADMSG;
	out->signal = (int)sig;
	out->raw = (struct cw_text){ s, len };
	out->id_text = field[0];
	out->pid_text = field[2];
	out->uid_text = field[3];
	out->fingerprint = field[7];
	out->exe = field[8];
	out->container = field[9];
	out->message = field[10];
	return 0;
}
