/* Go build info (.go.buildinfo, see Go's debug/buildinfo and
 * runtime/debug/mod.go): the Go version and the module information text
 * (path, mod, dep, build key=value). Both header formats: strings inline
 * (flag 0x2, Go 1.18+) and pointers to Go strings (older). */
#include "config.h"
#include "analyzer/exe.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

#define BI_MAGIC "\xff Go buildinf:"
#define BI_MAGIC_LEN 14
#define BI_HEADER 32
#define BI_ALIGN 16
#define BI_SEARCH_MAX (64ULL << 20)      /* bytes of data searched for the magic */
#define BI_MAX_STRING (1U << 20)         /* version or modinfo text */
#define BI_MAX_SETTINGS 4096U

void cw_go_buildinfo_free(struct cw_go_buildinfo *bi)
{
	if (!bi)
		return;
	free(bi->go_version);
	free(bi->path);
	free(bi->main_module);
	free(bi->main_version);
	free(bi->main_sum);
	free(bi->vcs_revision);
	for (size_t i = 0; i < bi->n_settings; i++) {
		free(bi->settings[i].key);
		free(bi->settings[i].value);
	}
	free(bi->settings);
	free(bi);
}
CW_DEFINE_CLEANUP(struct cw_go_buildinfo *, cw_go_buildinfo_free)

/* Where the linker put the blob: its own section, else the first
 * writable, non-executable PT_LOAD. */
static int data_start(const struct cw_exe *exe, uint64_t *addr, uint64_t *size)
{
	const struct cw_exe_section *s = cw_exe_section_by_name(exe, ".go.buildinfo");
	if (s && s->addr) {
		*addr = s->addr;
		*size = s->size;
		return 0;
	}
	for (size_t i = 0; i < cw_exe_nsegments(exe); i++) {
		const struct cw_exe_segment *g = cw_exe_segment(exe, i);
		if ((g->flags & (PF_X | PF_W)) == PF_W) {
			*addr = g->vaddr;
			*size = g->memsz;
			return 0;
		}
	}
	return -ENOENT;
}

/* Scans the file-backed bytes of [start, start+size) at 16-byte aligned
 * addresses for the magic, like debug/buildinfo (which also stops at the
 * end of the segment's file data). */
static int search_magic(const struct cw_exe *exe, uint64_t start, uint64_t size, uint64_t *found)
{
	if (size > BI_SEARCH_MAX)
		size = BI_SEARCH_MAX;
	uint64_t end = start + size;
	if (end < start)
		return -ENOENT;
	start = (start + BI_ALIGN - 1) & ~(uint64_t)(BI_ALIGN - 1);
	size_t file_size;
	const uint8_t *data = cw_exe_data(exe, &file_size);
	for (size_t i = 0; i < cw_exe_nsegments(exe); i++) {
		const struct cw_exe_segment *g = cw_exe_segment(exe, i);
		if (start < g->vaddr || start - g->vaddr >= g->filesz)
			continue;
		/* g->filesz is clamped to the file by exe.c */
		uint64_t seg_end = g->vaddr + g->filesz;
		if (end > seg_end)
			end = seg_end;
		for (uint64_t a = start; a < end && end - a >= BI_HEADER; a += BI_ALIGN) {
			const uint8_t *p = data + g->offset + (a - g->vaddr);
			if (memcmp(p, BI_MAGIC, BI_MAGIC_LEN) == 0) {
				*found = a;
				return 0;
			}
		}
		return -ENOENT;
	}
	(void)file_size;
	return -ENOENT;
}

/* uvarint-prefixed string at addr; *next is the address after it. */
static int read_inline_string(const struct cw_exe *exe, uint64_t addr, char **out, size_t *out_len, uint64_t *next)
{
	uint64_t len = 0;
	unsigned shift = 0;
	for (unsigned i = 0;; i++) {
		uint8_t b;
		if (i >= 10 || cw_exe_read_vaddr(exe, addr + i, &b, 1) < 0)
			return -EBADMSG;
		len |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			addr += i + 1;
			break;
		}
	}
	if (len > BI_MAX_STRING)
		return -EBADMSG;
	char *s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	if (cw_exe_read_vaddr(exe, addr, s, len) < 0) {
		free(s);
		return -EBADMSG;
	}
	s[len] = 0;
	*out = s;
	*out_len = (size_t)len;
	*next = addr + len;
	return 0;
}

static uint64_t read_ptr(const uint8_t *p, unsigned ptr_size, bool big)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < ptr_size; i++)
		v |= (uint64_t)p[big ? ptr_size - 1 - i : i] << (8 * i);
	return v;
}

/* A Go string header {ptr, len} at addr (older pointer format). */
static int read_go_string(const struct cw_exe *exe, uint64_t addr, unsigned ptr_size, bool big,
			  char **out, size_t *out_len)
{
	uint8_t hdr[16];
	if (cw_exe_read_vaddr(exe, addr, hdr, 2 * ptr_size) < 0)
		return -EBADMSG;
	uint64_t data = read_ptr(hdr, ptr_size, big), len = read_ptr(hdr + ptr_size, ptr_size, big);
	if (len > BI_MAX_STRING)
		return -EBADMSG;
	char *s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	if (cw_exe_read_vaddr(exe, data, s, len) < 0) {
		free(s);
		return -EBADMSG;
	}
	s[len] = 0;
	*out = s;
	*out_len = (size_t)len;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Appends the UTF-8 encoding of code point cp. */
static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) { o[0] = (char)cp; return 1; }
	if (cp < 0x800) { o[0] = (char)(0xc0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f)); return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18 & 7)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f)); return 4;
}

/* Go-quoted (strconv.Quote or backquoted) prefix of s: the unquoted text
 * into *out and the number of bytes consumed into *used. */
static int go_unquote_prefix(const char *s, size_t n, char **out, size_t *used)
{
	if (n < 2 || (s[0] != '"' && s[0] != '`'))
		return -EBADMSG;
	char q = s[0];
	char *o = malloc(n * 4 + 1);
	if (!o)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (c == q) {
			o[k] = 0;
			*out = o;
			*used = i + 1;
			return 0;
		}
		if (c != '\\' || q == '`') {
			o[k++] = c;
			continue;
		}
		if (++i >= n)
			break;
		unsigned digits = 0;
		switch (s[i]) {
		case 'n': o[k++] = '\n'; break;
		case 't': o[k++] = '\t'; break;
		case 'r': o[k++] = '\r'; break;
		case 'a': o[k++] = '\a'; break;
		case 'b': o[k++] = '\b'; break;
		case 'f': o[k++] = '\f'; break;
		case 'v': o[k++] = '\v'; break;
		case '\\': o[k++] = '\\'; break;
		case '"': o[k++] = '"'; break;
		case '\'': o[k++] = '\''; break;
		case 'x': digits = 2; break;
		case 'u': digits = 4; break;
		case 'U': digits = 8; break;
		default: free(o); return -EBADMSG;
		}
		if (!digits)
			continue;
		uint32_t cp = 0;
		for (unsigned d = 0; d < digits; d++) {
			int h = i + 1 + d < n ? hexval(s[i + 1 + d]) : -1;
			if (h < 0) {
				free(o);
				return -EBADMSG;
			}
			cp = cp << 4 | (uint32_t)h;
		}
		i += digits;
		if (digits == 2)
			o[k++] = (char)cp;
		else if (cp <= 0x10ffff)
			k += put_utf8(o + k, cp);
	}
	free(o);
	return -EBADMSG;
}

static int add_setting(struct cw_go_buildinfo *bi, const char *kv, size_t n)
{
	_cleanup_free_ char *key = NULL, *value = NULL;
	size_t used = 0;
	if (n == 0 || kv[0] == '=')
		return -EBADMSG;
	if (kv[0] == '"' || kv[0] == '`') {
		if (go_unquote_prefix(kv, n, &key, &used) < 0 || used >= n || kv[used] != '=')
			return -EBADMSG;
	} else {
		const char *eq = memchr(kv, '=', n);
		if (!eq)
			return -EBADMSG;
		used = (size_t)(eq - kv);
		key = strndup(kv, used);
		if (!key)
			return -ENOMEM;
	}
	const char *raw = kv + used + 1;
	size_t rn = n - used - 1;
	if (rn > 0 && (raw[0] == '"' || raw[0] == '`')) {
		size_t vused;
		if (go_unquote_prefix(raw, rn, &value, &vused) < 0 || vused != rn)
			return -EBADMSG;
	} else {
		value = strndup(raw, rn);
		if (!value)
			return -ENOMEM;
	}
	if (bi->n_settings >= BI_MAX_SETTINGS)
		return -EBADMSG;
	struct cw_go_setting *s = realloc(bi->settings, (bi->n_settings + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	bi->settings = s;
	if (strcmp(key, "vcs.revision") == 0 && !bi->vcs_revision) {
		bi->vcs_revision = strdup(value);
		if (!bi->vcs_revision)
			return -ENOMEM;
	}
	s[bi->n_settings].key = CW_TAKE_PTR(key);
	s[bi->n_settings].value = CW_TAKE_PTR(value);
	bi->n_settings++;
	return 0;
}

/* "mod\tpath\tversion[\tsum]" */
static int parse_mod_line(struct cw_go_buildinfo *bi, const char *p, size_t n)
{
	char *fields[3] = { NULL, NULL, NULL };
	size_t nf = 0;
	const char *end = p + n;
	while (p <= end && nf < 3) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		const char *fe = tab ? tab : end;
		fields[nf] = strndup(p, (size_t)(fe - p));
		if (!fields[nf])
			goto nomem;
		nf++;
		if (!tab)
			break;
		p = tab + 1;
	}
	if (nf < 2) {
		for (size_t i = 0; i < nf; i++)
			free(fields[i]);
		return -EBADMSG;
	}
	free(bi->main_module);
	free(bi->main_version);
	free(bi->main_sum);
	bi->main_module = fields[0];
	bi->main_version = fields[1];
	bi->main_sum = fields[2];
	return 0;
nomem:
	for (size_t i = 0; i < nf; i++)
		free(fields[i]);
	return -ENOMEM;
}

/* mod is len bytes (the sentinels may hold NUL bytes) */
static int parse_modinfo(struct cw_go_buildinfo *bi, const char *mod, size_t len)
{
	/* sentinels of 16 bytes around the text (cmd/go modload.infoStart/infoEnd) */
	if (len >= 33 && mod[len - 17] == '\n') {
		mod += 16;
		len -= 32;
	}
	const char *p = mod, *end = mod + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		size_t n = (size_t)(nl - p);
		int ret = 0;
		if (n >= 5 && memcmp(p, "path\t", 5) == 0) {
			free(bi->path);
			bi->path = strndup(p + 5, n - 5);
			ret = bi->path ? 0 : -ENOMEM;
		} else if (n >= 4 && memcmp(p, "mod\t", 4) == 0) {
			ret = parse_mod_line(bi, p + 4, n - 4);
		} else if (n >= 6 && memcmp(p, "build\t", 6) == 0) {
			ret = add_setting(bi, p + 6, n - 6);
		}
		if (ret == -ENOMEM)
			return ret;   /* malformed lines are skipped, like a lenient reader */
		p = nl + 1;
	}
	return 0;
}

int cw_exe_go_buildinfo(const struct cw_exe *exe, struct cw_go_buildinfo **out)
{
	if (!exe || !out)
		return -EINVAL;
	uint64_t start, size, addr;
	if (data_start(exe, &start, &size) < 0 || search_magic(exe, start, size, &addr) < 0)
		return -ENOENT;
	uint8_t hdr[BI_HEADER];
	if (cw_exe_read_vaddr(exe, addr, hdr, sizeof(hdr)) < 0)
		return -ENOENT;
	CW_CLEANUP(cw_go_buildinfo_freep) struct cw_go_buildinfo *bi = calloc(1, sizeof(*bi));
	if (!bi)
		return -ENOMEM;
	_cleanup_free_ char *mod = NULL;
	size_t vlen = 0, mlen = 0;
	int ret;
	uint8_t flags = hdr[15];
	if (flags & 0x2) {
		uint64_t next;
		ret = read_inline_string(exe, addr + BI_HEADER, &bi->go_version, &vlen, &next);
		if (ret == 0)
			ret = read_inline_string(exe, next, &mod, &mlen, &next);
	} else {
		unsigned ptr_size = hdr[14];
		bool big = flags & 0x1;
		if (ptr_size != 4 && ptr_size != 8)
			return -EBADMSG;
		ret = read_go_string(exe, read_ptr(hdr + 16, ptr_size, big), ptr_size, big, &bi->go_version, &vlen);
		if (ret == 0)
			ret = read_go_string(exe, read_ptr(hdr + 16 + ptr_size, ptr_size, big), ptr_size, big, &mod, &mlen);
	}
	if (ret < 0)
		return ret == -ENOMEM ? ret : -EBADMSG;
	if (!bi->go_version[0])
		return -ENOENT;
	ret = parse_modinfo(bi, mod, mlen);
	if (ret < 0)
		return ret;
	*out = CW_TAKE_PTR(bi);
	return 0;
}
