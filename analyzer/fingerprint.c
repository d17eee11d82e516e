/* A crash's fingerprint: SHA-256 of a canonical text that stays the same
 * for repeats of one bug across rebuilds and differs between bugs. The
 * rule is documented in docs/fingerprint.md; keep the two in step. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analysis.h"
#include "analyzer/fingerprint.h"
#include "common/cleanup.h"

#define FP_MAX_FRAMES 5

struct fp_buf {
	char *data;
	size_t len, cap;
};

static int buf_add(struct fp_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + n;
		char *d = realloc(b->data, cap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

static int buf_line(struct fp_buf *b, const char *key, const char *value)
{
	int r = buf_add(b, key, strlen(key));
	if (r == 0)
		r = buf_add(b, "=", 1);
	if (r == 0 && value)
		r = buf_add(b, value, strlen(value));
	if (r == 0)
		r = buf_add(b, "\n", 1);
	return r;
}

char *cw_fingerprint_normalize_message(const char *msg)
{
	if (!msg)
		return strdup("");
	size_t n = strlen(msg);
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (msg[i] == '0' && (msg[i + 1] == 'x' || msg[i + 1] == 'X') && isxdigit((unsigned char)msg[i + 2])) {
			i += 2;
			while (i < n && isxdigit((unsigned char)msg[i]))
				i++;
			out[o++] = 'N';
			continue;
		}
		if (isdigit((unsigned char)msg[i])) {
			while (i < n && (isdigit((unsigned char)msg[i]) || msg[i] == '.'))
				i++;
			out[o++] = 'N';
			continue;
		}
		out[o++] = msg[i++];
	}
	out[o] = '\0';
	return out;
}

bool cw_fingerprint_frame_is_internal(const char *fn)
{
	static const char *const prefixes[] = { "runtime.", "runtime/", "internal/runtime/", "internal/abi." };
	static const char *const native[] = { "__restore_rt", "raise", "abort", "__pthread_kill_implementation",
					      "__pthread_kill_internal", "pthread_kill", "gsignal", "__GI_raise",
					      "__GI_abort", "__libc_start_call_main", "__libc_start_main",
					      "_start", "__assert_fail_base", "__assert_fail" };
	if (!fn)
		return true;
	for (size_t i = 0; i < CW_ARRAY_SIZE(prefixes); i++)
		if (strncmp(fn, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	for (size_t i = 0; i < CW_ARRAY_SIZE(native); i++)
		if (strcmp(fn, native[i]) == 0)
			return true;
	return false;
}

static const struct cw_frame *crashed_frames(const struct cw_analysis *a, size_t *n)
{
	const struct cw_goroutine *g = cw_analysis_crashed_goroutine(a);
	if (g) {
		*n = g->nframes;
		return g->frames;
	}
	for (size_t i = 0; i < a->nthreads; i++)
		if (a->threads[i].crashed) {
			*n = a->threads[i].nframes;
			return a->threads[i].frames;
		}
	*n = 0;
	return NULL;
}

/* The panic that killed the program: the last one the runtime prints
 * that was not recovered (or the last one). */
static const struct cw_panic *fatal_panic(const struct cw_analysis *a)
{
	for (size_t i = a->npanics; i > 0; i--)
		if (!a->panics[i - 1].recovered)
			return &a->panics[i - 1];
	return a->npanics ? &a->panics[a->npanics - 1] : NULL;
}

int cw_fingerprint_text(const struct cw_analysis *a, char **out)
{
	struct fp_buf b = { 0 };
	int r = buf_line(&b, "runtime", a->is_go ? "go" : "native");
	const struct cw_panic *p = fatal_panic(a);
	_cleanup_free_ char *kind = NULL;
	_cleanup_free_ char *msg = NULL;
	if (p) {
		if (asprintf(&kind, "panic:%s", p->type ? p->type : "?") < 0)
			kind = NULL;
		msg = cw_fingerprint_normalize_message(p->message);
	} else if (a->fatal_error) {
		kind = strdup("fatal");
		msg = cw_fingerprint_normalize_message(a->fatal_error);
	} else {
		if (asprintf(&kind, "signal:%s", a->signal.name ? a->signal.name : "none") < 0)
			kind = NULL;
		msg = strdup("");
	}
	if (!kind || !msg) {
		free(b.data);
		return -ENOMEM;
	}
	if (r == 0)
		r = buf_line(&b, "kind", kind);
	if (r == 0)
		r = buf_line(&b, "message", msg);

	size_t n;
	const struct cw_frame *frames = crashed_frames(a, &n);
	size_t kept = 0;
	for (size_t i = 0; r == 0 && i < n && kept < FP_MAX_FRAMES; i++) {
		if (cw_fingerprint_frame_is_internal(frames[i].function))
			continue;
		r = buf_line(&b, "frame", frames[i].function);
		kept++;
	}
	/* nothing but runtime frames: keep those rather than nothing */
	for (size_t i = 0; r == 0 && kept == 0 && i < n && i < FP_MAX_FRAMES; i++)
		r = buf_line(&b, "frame", frames[i].function ? frames[i].function : "??");
	if (r == 0 && !b.data)
		r = buf_add(&b, "", 0);
	if (r < 0) {
		free(b.data);
		return r;
	}
	*out = b.data;
	return 0;
}

int cw_fingerprint(const struct cw_analysis *a, char out_hex[65])
{
	_cleanup_free_ char *text = NULL;
	int r = cw_fingerprint_text(a, &text);
	if (r < 0)
		return r;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -EIO;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out_hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}
