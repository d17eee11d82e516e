/* The crashwatch.analysis.v1 JSON (contract: docs/analysis-json.md).
 * Written as a stream: an analysis of 100,000 goroutines has a million
 * frames, and building a json-c tree of them costs seconds and gigabytes,
 * where streaming costs a fraction of a second and no memory. The tree
 * (cw_analysis_to_json) is parsed back from the stream, so the field names
 * live in one place. Field names never change; new ones may be added. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analysis.h"
#include "common/utf8.h"

#define JW_MAX_DEPTH 16

#define JW_BUF 65536
/* Escaped strings cached by address: frames share their function and file
 * names (cw_frame.shared), so a million frames have a few hundred strings. */
#define JW_CACHE 4096

struct jw_cached {
	const char *key;
	char *quoted;        /* the string escaped and in quotes */
	size_t len;
};

struct jw {
	FILE *out;
	bool pretty;
	bool failed;
	int depth;
	bool first[JW_MAX_DEPTH];   /* nothing written yet at this depth */
	size_t len;
	char buf[JW_BUF];           /* own buffer: stdio's per-call locking costs more than the JSON */
	struct jw_cached cache[JW_CACHE];
};

static void jw_flush(struct jw *w)
{
	if (w->len && fwrite(w->buf, 1, w->len, w->out) != w->len)
		w->failed = true;
	w->len = 0;
}

static inline void jw_putc(struct jw *w, char c)
{
	if (w->len == JW_BUF)
		jw_flush(w);
	w->buf[w->len++] = c;
}

static inline void jw_write(struct jw *w, const char *s, size_t n)
{
	if (w->len + n <= JW_BUF && n <= 16) {
		/* most pieces are a few bytes: a call to memcpy costs more */
		char *d = w->buf + w->len;
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
		w->len += n;
		return;
	}
	if (w->len + n > JW_BUF)
		jw_flush(w);
	if (n > JW_BUF) {
		if (fwrite(s, 1, n, w->out) != n)
			w->failed = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void jw_puts(struct jw *w, const char *s)
{
	jw_write(w, s, strlen(s));
}

static void jw_u64(struct jw *w, uint64_t v, bool hex)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = "0123456789abcdef"[hex ? v & 15 : v % 10];
		v = hex ? v >> 4 : v / 10;
	} while (v && i > 0);
	jw_write(w, tmp + i, sizeof(tmp) - i);
}

static void jw_i64(struct jw *w, int64_t v)
{
	if (v < 0) {
		jw_putc(w, '-');
		jw_u64(w, (uint64_t)0 - (uint64_t)v, false);
	} else {
		jw_u64(w, (uint64_t)v, false);
	}
}

static void jw_newline(struct jw *w)
{
	if (!w->pretty)
		return;
	jw_putc(w, '\n');
	for (int i = 0; i < w->depth; i++)
		jw_write(w, "  ", 2);
}

/* Before a value or key at the current depth: the comma and indentation. */
static void jw_sep(struct jw *w)
{
	if (w->depth == 0)
		return;
	if (!w->first[w->depth])
		jw_putc(w, ',');
	w->first[w->depth] = false;
	jw_newline(w);
}

/* Writes s escaped and in quotes into dst (room for 6 * n + 2 bytes);
 * returns the length. The result is always valid UTF-8 (RFC 8259): the
 * runtime prints a Go string's bytes as they are, and each byte that is
 * not part of a valid UTF-8 sequence becomes \ufffd, one per byte, as
 * Go's encoding/json writes it. */
static size_t escape_into(char *dst, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	dst[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e = 0;
		if (c >= 0x80) {
			size_t len = cw_utf8_seq_len((const unsigned char *)s + i, n - i);
			if (len == 0) {
				memcpy(dst + o, "\\ufffd", 6);
				o += 6;
				continue;
			}
			memcpy(dst + o, s + i, len);
			o += len;
			i += len - 1;
			continue;
		}
		switch (c) {
		case '"': e = '"'; break;
		case '\\': e = '\\'; break;
		case '\n': e = 'n'; break;
		case '\t': e = 't'; break;
		case '\r': e = 'r'; break;
		case '\b': e = 'b'; break;
		case '\f': e = 'f'; break;
		default:
			if (c >= 0x20 && c != 0x7f) {
				dst[o++] = (char)c;
				continue;
			}
		}
		dst[o++] = '\\';
		if (e) {
			dst[o++] = e;
		} else {
			dst[o++] = 'u';
			dst[o++] = '0';
			dst[o++] = '0';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o++] = '"';
	return o;
}

#define JW_CACHE_MAX_LEN 512

static void jw_string_raw(struct jw *w, const char *s)
{
	struct jw_cached *c = &w->cache[((uintptr_t)s >> 3) % JW_CACHE];
	if (c->key == s) {   /* every string outlives the write: same address, same text */
		jw_write(w, c->quoted, c->len);
		return;
	}
	size_t n = strlen(s);
	if (n > SIZE_MAX / 6 - 2) {
		w->failed = true;
		return;
	}
	char *q = malloc(6 * n + 2);
	if (!q) {
		w->failed = true;
		return;
	}
	size_t len = escape_into(q, s, n);
	jw_write(w, q, len);
	if (n > JW_CACHE_MAX_LEN) {
		free(q);
		return;
	}
	free(c->quoted);
	c->key = s;
	c->quoted = q;
	c->len = len;
}

static void jw_open(struct jw *w, char c)
{
	jw_putc(w, c);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void jw_close(struct jw *w, char c)
{
	bool empty = w->first[w->depth];
	if (w->depth > 0)
		w->depth--;
	if (!empty)
		jw_newline(w);
	jw_putc(w, c);
}

static void jw_key(struct jw *w, const char *key)
{
	jw_sep(w);
	jw_string_raw(w, key);
	jw_puts(w, w->pretty ? ": " : ":");
}

/* Object members: key then value, the value written without a separator. */
static void m_str(struct jw *w, const char *key, const char *v)
{
	jw_key(w, key);
	if (v)
		jw_string_raw(w, v);
	else
		jw_puts(w, "null");
}

static void m_int(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_i64(w, v);
}

static void m_int_or_null(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	if (v)
		jw_i64(w, v);
	else
		jw_puts(w, "null");
}

static void m_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_puts(w, v ? "true" : "false");
}

static void m_hex(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_write(w, "\"0x", 3);
	jw_u64(w, v, true);
	jw_putc(w, '"');
}

static void m_null(struct jw *w, const char *key)
{
	jw_key(w, key);
	jw_puts(w, "null");
}

static void frame_members(struct jw *w, const struct cw_frame *f, bool with_inlined)
{
	m_str(w, "function", f->function ? f->function : "??");
	m_str(w, "file", f->file);
	m_int(w, "line", f->line);
	m_hex(w, "pc", f->pc);
	if (with_inlined)
		m_bool(w, "inlined", f->inlined);
	if (f->sp)
		m_hex(w, "sp", f->sp);
	if (f->module)
		m_str(w, "module", f->module);
}

static void frames(struct jw *w, const char *key, const struct cw_frame *fr, size_t n)
{
	jw_key(w, key);
	jw_open(w, '[');
	for (size_t i = 0; i < n; i++) {
		jw_sep(w);
		jw_open(w, '{');
		frame_members(w, &fr[i], true);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static void goroutine(struct jw *w, const struct cw_goroutine *g)
{
	jw_sep(w);
	jw_open(w, '{');
	m_int(w, "id", g->id);
	m_str(w, "status", g->status ? g->status : "unknown");
	if (g->status_at_core)
		m_str(w, "status_at_core", g->status_at_core);
	m_int(w, "wait_minutes", g->wait_minutes);
	m_bool(w, "locked_to_thread", g->locked_to_thread);
	m_int_or_null(w, "thread", g->thread);
	m_bool(w, "system", g->system);
	if (g->nlabels) {
		jw_key(w, "labels");
		jw_open(w, '[');
		for (size_t i = 0; i < g->nlabels; i++) {
			jw_sep(w);
			jw_open(w, '{');
			m_str(w, "key", g->labels[i].key);
			m_str(w, "value", g->labels[i].value);
			jw_close(w, '}');
		}
		jw_close(w, ']');
	}
	frames(w, "frames", g->frames, g->nframes);
	m_bool(w, "frames_truncated", g->frames_truncated);
	if (g->has_created_by) {
		jw_key(w, "created_by");
		jw_open(w, '{');
		frame_members(w, &g->created_by, false);
		m_int(w, "goroutine", g->created_by_goroutine);
		jw_close(w, '}');
	} else {
		m_null(w, "created_by");
	}
	m_hex(w, "g", g->g_addr);
	if (g->unwind_error)
		m_str(w, "unwind_error", g->unwind_error);
	jw_close(w, '}');
}

static void thread(struct jw *w, const struct cw_thread *t)
{
	jw_sep(w);
	jw_open(w, '{');
	m_int(w, "tid", t->tid);
	m_bool(w, "crashed", t->crashed);
	m_int_or_null(w, "goroutine", t->goroutine);
	m_str(w, "stack", t->stack_kind);
	frames(w, "frames", t->frames, t->nframes);
	jw_close(w, '}');
}

static void go_info(struct jw *w, const struct cw_analysis *a)
{
	if (!a->is_go) {
		m_null(w, "go");
		return;
	}
	jw_key(w, "go");
	jw_open(w, '{');
	m_str(w, "version", a->go.version);
	m_str(w, "path", a->go.path);
	m_str(w, "main_module", a->go.main_module);
	m_str(w, "main_version", a->go.main_version);
	m_str(w, "vcs_revision", a->go.vcs_revision);
	jw_key(w, "settings");
	jw_open(w, '{');
	for (size_t i = 0; i < a->go.nsettings; i++)
		if (a->go.setting_keys[i])
			m_str(w, a->go.setting_keys[i], a->go.setting_values[i]);
	jw_close(w, '}');
	jw_close(w, '}');
}

static void signal_info(struct jw *w, const struct cw_signal_info *s)
{
	if (!s->present) {
		m_null(w, "signal");
		return;
	}
	jw_key(w, "signal");
	jw_open(w, '{');
	m_int(w, "number", s->number);
	m_str(w, "name", s->name);
	m_int(w, "code", s->code);
	if (s->has_address)
		m_hex(w, "address", s->address);
	else
		m_null(w, "address");
	jw_close(w, '}');
}

static void fault(struct jw *w, const struct cw_fault *f)
{
	if (!f->present) {
		m_null(w, "fault");
		return;
	}
	jw_key(w, "fault");
	jw_open(w, '{');
	m_str(w, "signal", f->signal);
	m_int(w, "code", f->code);
	m_hex(w, "address", f->address);
	m_hex(w, "pc", f->pc);
	m_str(w, "function", f->function);
	m_str(w, "file", f->file);
	m_int_or_null(w, "line", f->line);
	m_str(w, "instruction", f->instruction);
	jw_key(w, "context");
	jw_open(w, '[');
	for (size_t i = 0; i < f->ncontext; i++) {
		jw_sep(w);
		jw_string_raw(w, f->context[i]);
	}
	jw_close(w, ']');
	m_int(w, "context_index", (int64_t)f->context_pc_index);
	jw_close(w, '}');
}

int cw_analysis_write_json(const struct cw_analysis *a, FILE *out, bool pretty)
{
	struct jw *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->out = out;
	w->pretty = pretty;
	jw_open(w, '{');
	m_str(w, "schema", CW_ANALYSIS_SCHEMA);
	jw_key(w, "executable");
	jw_open(w, '{');
	m_str(w, "path", a->exe_path);
	m_str(w, "build_id", a->build_id);
	m_str(w, "go_build_id", a->go_build_id);
	m_str(w, "core_build_id", a->core_build_id);
	jw_close(w, '}');
	if (a->pid)
		m_int(w, "pid", a->pid);
	m_str(w, "comm", a->comm);
	go_info(w, a);
	signal_info(w, &a->signal);

	jw_key(w, "panics");
	jw_open(w, '[');
	for (size_t i = 0; i < a->npanics; i++) {
		const struct cw_panic *p = &a->panics[i];
		jw_sep(w);
		jw_open(w, '{');
		/* null only for the value a panic during panic could not print */
		m_str(w, "message", p->message || p->printed ? p->message : "");
		m_str(w, "printed", p->printed ? p->printed : p->message ? p->message : "");
		m_bool(w, "recovered", p->recovered);
		m_bool(w, "repanicked", p->repanicked);
		m_bool(w, "goexit", p->goexit);
		m_str(w, "type", p->type);
		jw_close(w, '}');
	}
	jw_close(w, ']');
	m_str(w, "fatal_error", a->fatal_error);
	m_bool(w, "panic_during_panic", a->panic_during_panic);
	if (a->traceback_labels != CW_LABELS_UNKNOWN)
		m_bool(w, "traceback_labels", a->traceback_labels == CW_LABELS_SHOWN);
	fault(w, &a->fault);
	m_int_or_null(w, "crashed_goroutine", a->crashed_goroutine);

	jw_key(w, "goroutines");
	jw_open(w, '[');
	for (size_t i = 0; i < a->ngoroutines; i++)
		goroutine(w, &a->goroutines[i]);
	jw_close(w, ']');
	jw_key(w, "threads");
	jw_open(w, '[');
	for (size_t i = 0; i < a->nthreads; i++)
		thread(w, &a->threads[i]);
	jw_close(w, ']');
	m_str(w, "fingerprint", a->fingerprint);
	jw_key(w, "warnings");
	jw_open(w, '[');
	for (size_t i = 0; i < a->nwarnings; i++) {
		jw_sep(w);
		jw_string_raw(w, a->warnings[i]);
	}
	jw_close(w, ']');
	jw_close(w, '}');
	if (pretty)
		jw_putc(w, '\n');
	jw_flush(w);
	bool failed = w->failed;
	for (size_t i = 0; i < JW_CACHE; i++)
		free(w->cache[i].quoted);
	free(w);
	return failed || ferror(out) ? -EIO : 0;
}

struct json_object *cw_analysis_to_json(const struct cw_analysis *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	int r = cw_analysis_write_json(a, f, false);
	if (fclose(f) != 0 || r < 0) {
		free(buf);
		return NULL;
	}
	struct json_tokener *tok = json_tokener_new_ex(JW_MAX_DEPTH + 4);
	struct json_object *o = tok ? json_tokener_parse_ex(tok, buf, (int)len) : NULL;
	if (tok)
		json_tokener_free(tok);
	free(buf);
	return o;
}
