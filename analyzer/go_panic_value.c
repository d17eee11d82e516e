/* Panic values printed the way runtime.printpanicval (printany before
 * 1.23) and printanycustomtype print them, per release. */
#include "config.h"
#include "analyzer/go_panic_value.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

/* runtime.printfloat before 1.26: sign, 7 significant digits, 3-digit
 * exponent ("+1.500000e+000"), computed with the same float64 steps.
 * v is finite. */
static void format_float_legacy(double v, char *buf, size_t len)
{
	enum { N = 7 };
	char out[N + 7];
	out[0] = '+';
	int e = 0;
	if (v == 0) {
		if (signbit(v))
			out[0] = '-';
	} else {
		if (v < 0) {
			v = -v;
			out[0] = '-';
		}
		/* bounded: a finite double has |exponent| <= 324 */
		for (int i = 0; i < 400 && v >= 10; i++) {
			e++;
			v /= 10;
		}
		for (int i = 0; i < 400 && v < 1; i++) {
			e--;
			v *= 10;
		}
		double h = 5.0;
		for (int i = 0; i < N; i++)
			h /= 10;
		v += h;
		if (v >= 10) {
			e++;
			v /= 10;
		}
	}
	for (int i = 0; i < N; i++) {
		int s = (int)v;
		out[i + 2] = (char)(s + '0');
		v -= (double)s;
		v *= 10;
	}
	out[1] = out[2];
	out[2] = '.';
	out[N + 2] = 'e';
	out[N + 3] = '+';
	if (e < 0) {
		e = -e;
		out[N + 3] = '-';
	}
	out[N + 4] = (char)(e / 100 + '0');
	out[N + 5] = (char)((e / 10) % 10 + '0');
	out[N + 6] = (char)(e % 10 + '0');
	snprintf(buf, len, "%.*s", (int)sizeof(out), out);
}

/* Shortest decimal digits that read back as v (as float32 when is32):
 * digits into d (no dot), decimal exponent so that v = 0.d * 10^dp. */
static void shortest_digits(double v, bool is32, char *d, size_t dlen, int *nd, int *dp)
{
	char tmp[64];
	for (int p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
		bool ok = is32 ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v;
		if (ok || p == 17)
			break;
	}
	/* tmp is "D.DDDDe+XX" or "De+XX" */
	size_t n = 0;
	const char *s = tmp;
	for (; *s && *s != 'e' && n + 1 < dlen; s++)
		if (*s >= '0' && *s <= '9')
			d[n++] = *s;
	d[n] = '\0';
	int exp10 = *s == 'e' ? atoi(s + 1) : 0;
	while (n > 1 && d[n - 1] == '0')   /* "%.*e" may pad; shortest has no trailing zeros */
		d[--n] = '\0';
	*nd = (int)n;
	*dp = exp10 + 1;
}

/* strconv.FormatFloat(v, 'g', -1, 32|64), the runtime's print from 1.26;
 * v is finite. */
static void format_float_shortest(double v, bool is32, char *buf, size_t len)
{
	const char *sign = signbit(v) ? "-" : "";
	if (v == 0) {
		snprintf(buf, len, "%s0", sign);
		return;
	}
	char d[32];
	int nd, dp;
	shortest_digits(fabs(v), is32, d, sizeof(d), &nd, &dp);
	int exp = dp - 1;
	char out[64];
	size_t o = 0;
	if (exp < -4 || exp >= 6) {
		out[o++] = d[0];
		if (nd > 1) {
			out[o++] = '.';
			for (int i = 1; i < nd; i++)
				out[o++] = d[i];
		}
		int ae = exp < 0 ? -exp : exp;
		snprintf(out + o, sizeof(out) - o, "e%c%s%d", exp < 0 ? '-' : '+', ae < 10 ? "0" : "", ae);
	} else {
		if (dp > 0) {
			for (int i = 0; i < dp; i++)
				out[o++] = i < nd ? d[i] : '0';
		} else {
			out[o++] = '0';
		}
		int frac = nd - dp > 0 ? nd - dp : 0;
		if (frac > 0) {
			out[o++] = '.';
			for (int i = 0; i < frac; i++) {
				int j = dp + i;
				out[o++] = j >= 0 && j < nd ? d[j] : '0';
			}
		}
		out[o] = '\0';
	}
	snprintf(buf, len, "%s%s", sign, out);
}

void cw_go_format_float(double v, bool is32, bool shortest, char *buf, size_t len)
{
	/* both print NaN and infinities alike */
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (shortest)
		format_float_shortest(v, is32, buf, len);
	else
		format_float_legacy(v, buf, len);
}

void cw_go_format_complex(double re, double im, bool is64, bool shortest, char *buf, size_t len)
{
	char r[40], i[40];
	cw_go_format_float(re, is64, shortest, r, sizeof(r));
	cw_go_format_float(im, is64, shortest, i, sizeof(i));
	bool signed_im = i[0] == '+' || i[0] == '-';
	snprintf(buf, len, "(%s%s%si)", r, signed_im ? "" : "+", i);
}

char *cw_go_printed_string(const char *s, size_t len, bool indented)
{
	size_t extra = 0;
	if (indented)
		for (size_t i = 0; i < len; i++)
			extra += s[i] == '\n';
	if (len > SIZE_MAX - extra - 1)
		return NULL;
	char *out = malloc(len + extra + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		out[o++] = s[i];
		if (indented && s[i] == '\n')
			out[o++] = '\t';
	}
	out[o] = '\0';
	return out;
}

char *cw_go_unindented_string(const char *printed, bool indented)
{
	size_t n = strlen(printed);
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		out[o++] = printed[i];
		if (indented && printed[i] == '\n' && printed[i + 1] == '\t')
			i++;
	}
	out[o] = '\0';
	return out;
}

int cw_go_read_string(struct cw_mem *mem, uint64_t ptr, uint64_t len, char **out)
{
	*out = NULL;
	if (len > (uint64_t)1 << 40)
		return -EBADMSG;
	size_t n = len > CW_GO_MESSAGE_MAX ? CW_GO_MESSAGE_MAX : (size_t)len;
	char *s = malloc(n + 1);
	if (!s)
		return -ENOMEM;
	if (n && cw_mem_read(mem, ptr, s, n) < 0) {
		free(s);
		return -EFAULT;
	}
	s[n] = '\0';
	*out = s;
	return 0;
}

/* The integer kinds: size in bytes, and whether print() prints them signed
 * (printint) or not (printuint). */
static const struct int_kind {
	uint8_t size;
	bool is_signed;
} int_kinds[] = {
	[CW_GOKIND_INT] = { 8, true },    [CW_GOKIND_INT8] = { 1, true },   [CW_GOKIND_INT16] = { 2, true },
	[CW_GOKIND_INT32] = { 4, true },  [CW_GOKIND_INT64] = { 8, true },  [CW_GOKIND_UINT] = { 8, false },
	[CW_GOKIND_UINT8] = { 1, false }, [CW_GOKIND_UINT16] = { 2, false }, [CW_GOKIND_UINT32] = { 4, false },
	[CW_GOKIND_UINT64] = { 8, false }, [CW_GOKIND_UINTPTR] = { 8, false },
};

/* The integer of kind k at data, as print() prints it, into buf. */
static int format_int(struct cw_mem *m, const struct int_kind *k, uint64_t data, char *buf, size_t len)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	int64_t s64;
	int r;
	switch (k->size) {
	case 1: r = cw_mem_u8(m, data, &u8); u64 = u8; s64 = (int8_t)u8; break;
	case 2: r = cw_mem_u16(m, data, &u16); u64 = u16; s64 = (int16_t)u16; break;
	case 4: r = cw_mem_u32(m, data, &u32); u64 = u32; s64 = (int32_t)u32; break;
	default: r = cw_mem_u64(m, data, &u64); s64 = (int64_t)u64; break;
	}
	if (r < 0)
		return -EFAULT;
	if (k->is_signed)
		snprintf(buf, len, "%" PRId64, s64);
	else
		snprintf(buf, len, "%" PRIu64, u64);
	return 0;
}

/* The value of a basic kind at data, as print() prints it, into buf. */
static int format_basic(const struct cw_go_types *t, uint8_t kind, uint64_t data, char *buf, size_t len)
{
	struct cw_mem *m = t->mem;
	if (kind < CW_ARRAY_SIZE(int_kinds) && int_kinds[kind].size)
		return format_int(m, &int_kinds[kind], data, buf, len);
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	switch (kind) {
	case CW_GOKIND_BOOL:
		if (cw_mem_u8(m, data, &u8) < 0)
			return -EFAULT;
		snprintf(buf, len, "%s", u8 ? "true" : "false");
		return 0;
	case CW_GOKIND_FLOAT32: {
		if (cw_mem_u32(m, data, &u32) < 0)
			return -EFAULT;
		float f;
		memcpy(&f, &u32, sizeof(f));
		cw_go_format_float((double)f, true, cw_go_types_quirk(t, CW_GO_QUIRK_FLOAT_SHORTEST), buf, len);
		return 0;
	}
	case CW_GOKIND_FLOAT64: {
		if (cw_mem_u64(m, data, &u64) < 0)
			return -EFAULT;
		double f;
		memcpy(&f, &u64, sizeof(f));
		cw_go_format_float(f, false, cw_go_types_quirk(t, CW_GO_QUIRK_FLOAT_SHORTEST), buf, len);
		return 0;
	}
	case CW_GOKIND_COMPLEX64: {
		uint32_t parts[2];
		if (cw_mem_read(m, data, parts, sizeof(parts)) < 0)
			return -EFAULT;
		float re, im;
		memcpy(&re, &parts[0], sizeof(re));
		memcpy(&im, &parts[1], sizeof(im));
		cw_go_format_complex((double)re, (double)im, true, cw_go_types_quirk(t, CW_GO_QUIRK_FLOAT_SHORTEST), buf, len);
		return 0;
	}
	case CW_GOKIND_COMPLEX128: {
		double parts[2];
		if (cw_mem_read(m, data, parts, sizeof(parts)) < 0)
			return -EFAULT;
		cw_go_format_complex(parts[0], parts[1], false, cw_go_types_quirk(t, CW_GO_QUIRK_FLOAT_SHORTEST), buf, len);
		return 0;
	}
	default:
		return -EINVAL;
	}
}

/* A string value {ptr, len} stored at data. */
static int read_string_value(const struct cw_go_types *t, uint64_t data, char **out)
{
	uint64_t sp, sl;
	if (cw_mem_u64(t->mem, data, &sp) < 0 || cw_mem_u64(t->mem, data + 8, &sl) < 0)
		return -EFAULT;
	_cleanup_free_ char *raw = NULL;
	int r = cw_go_read_string(t->mem, sp, sl, &raw);
	if (r < 0)
		return r;
	char *s = cw_go_printed_string(raw, strlen(raw), cw_go_types_quirk(t, CW_GO_QUIRK_PRINT_INDENTED));
	if (!s)
		return -ENOMEM;
	*out = s;
	return 0;
}

/* The type at type_addr as printpanicval sees it: its name (malloc'd),
 * the kind it switches on (Kind_ as stored up to 1.22, Kind() with the flag
 * bits masked after: the quirk KIND_MASKED) and whether the name is the
 * predeclared one of that kind. */
static int printed_kind(const struct cw_go_types *t, uint64_t type_addr, char **name, uint8_t *kind,
			bool *predeclared)
{
	struct cw_go_type ty;
	int r = cw_go_type_read(t, type_addr, &ty);
	if (r < 0)
		return r;
	r = cw_go_type_name(t, type_addr, name);
	if (r < 0)
		return r;
	*kind = cw_go_types_quirk(t, CW_GO_QUIRK_KIND_MASKED) ? ty.kind : ty.kind_raw;
	const char *basic = cw_go_kind_basic_name(*kind);
	*predeclared = basic && strcmp(basic, *name) == 0;
	return 0;
}

int cw_go_panic_value_prefix(const struct cw_go_types *t, uint64_t type_addr, char **printed,
			     char **type_name)
{
	*printed = NULL;
	*type_name = NULL;
	if (type_addr == 0)
		return -EINVAL;                   /* nil prints without reading anything */
	_cleanup_free_ char *name = NULL;
	uint8_t kind;
	bool predeclared;
	int r = printed_kind(t, type_addr, &name, &kind, &predeclared);
	if (r < 0)
		return r;
	/* 1.23+ printanycustomtype: print(typestring, `("`) and then
	 * printindented(*(*string)(eface.data)); every other print evaluates
	 * the value with its other arguments, before printing any */
	if (kind == CW_GOKIND_STRING && !predeclared && cw_go_types_quirk(t, CW_GO_QUIRK_PRINT_INDENTED))
		r = asprintf(printed, "%s(\"", name);
	else
		r = (*printed = strdup("")) ? 0 : -1;
	if (r < 0)
		return -ENOMEM;
	*type_name = CW_TAKE_PTR(name);
	return 0;
}

int cw_go_panic_value(const struct cw_go_types *t, uint64_t type_addr, uint64_t data,
		      char **message, char **type_name)
{
	*message = NULL;
	*type_name = NULL;
	if (type_addr == 0) {
		*message = strdup("nil");
		*type_name = strdup("nil");
		if (!*message || !*type_name) {
			free(*message);
			free(*type_name);
			*message = *type_name = NULL;
			return -ENOMEM;
		}
		return 0;
	}
	_cleanup_free_ char *name = NULL;
	uint8_t kind;
	bool predeclared;
	int r = printed_kind(t, type_addr, &name, &kind, &predeclared);
	if (r < 0)
		return r;
	_cleanup_free_ char *msg = NULL;
	char num[96];

	if (kind == CW_GOKIND_STRING) {
		_cleanup_free_ char *s = NULL;
		r = read_string_value(t, data, &s);
		if (r < 0)
			return r;
		if (predeclared) {
			msg = CW_TAKE_PTR(s);
		} else {
			/* named string types: T("...") (printindented from 1.23) */
			if (asprintf(&msg, "%s(\"%s\")", name, s) < 0)
				return -ENOMEM;
		}
	} else if (cw_go_kind_basic_name(kind)) {
		r = format_basic(t, kind, data, num, sizeof(num));
		if (r < 0)
			return r;
		bool is_complex = kind == CW_GOKIND_COMPLEX64 || kind == CW_GOKIND_COMPLEX128;
		if (predeclared)
			msg = strdup(num);
		else if (is_complex)   /* print(typestring, c): the complex brings its own parens */
			r = asprintf(&msg, "%s%s", name, num);
		else
			r = asprintf(&msg, "%s(%s)", name, num);
		if (r < 0 || !msg)
			return -ENOMEM;
	} else {
		if (asprintf(&msg, "(%s) 0x%" PRIx64, name, data) < 0)
			return -ENOMEM;
	}
	*message = CW_TAKE_PTR(msg);
	*type_name = CW_TAKE_PTR(name);
	return 0;
}
