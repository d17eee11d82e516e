/* The text report for people, rendered from the analysis JSON so that a
 * stored analysis (crashwatch info) reads the same as a fresh one: the
 * panic or fatal error first, the crashing goroutine with its user frames
 * and source lines, the faulting instruction, then goroutines grouped by
 * identical stacks. */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analysis.h"
#include "common/cleanup.h"
#include "common/json_util.h"
#include "common/signal_name.h"

#define GROUP_FRAMES_SHOWN 12
#define GROUP_IDS_SHOWN 20
#define SOURCE_LINE_MAX 240

struct style {
	const char *bold, *red, *dim, *cyan, *yellow, *reset;
};

static const struct style style_color = { "\033[1m", "\033[1;31m", "\033[2m", "\033[36m", "\033[33m", "\033[0m" };
static const struct style style_plain = { "", "", "", "", "", "" };

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	return json_object_get_int64(v);
}

static bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v;
	return o && json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static size_t jlen(struct json_object *arr)
{
	return arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

/* Line LINE of FILE if the file is readable here (the build machine's
 * sources are often not), without its trailing newline. */
static char *source_line(const char *file, int64_t line)
{
	if (!file || line <= 0 || line > 10000000)
		return NULL;
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	if (!f)
		return NULL;
	char buf[4096];
	int64_t n = 0;
	while (fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf);
		bool whole = len > 0 && buf[len - 1] == '\n';
		if (++n == line) {
			if (whole)
				buf[len - 1] = '\0';
			char *p = buf;
			while (*p == ' ' || *p == '\t')
				p++;
			if (strlen(p) > SOURCE_LINE_MAX)
				p[SOURCE_LINE_MAX] = '\0';
			return strdup(p);
		}
		/* a line longer than the buffer: skip its remainder */
		while (!whole && fgets(buf, sizeof(buf), f)) {
			len = strlen(buf);
			whole = len > 0 && buf[len - 1] == '\n';
		}
	}
	return NULL;
}

static bool is_runtime_frame(const char *fn)
{
	return fn && (strncmp(fn, "runtime.", 8) == 0 || strncmp(fn, "runtime/", 8) == 0 ||
		      strncmp(fn, "internal/runtime/", 17) == 0);
}

static void print_frame(FILE *out, const struct style *st, struct json_object *f, bool with_source, const char *indent)
{
	const char *fn = jstr(f, "function");
	const char *file = jstr(f, "file");
	int64_t line = jint(f, "line");
	const char *module = jstr(f, "module");
	bool inl = jbool(f, "inlined");
	fprintf(out, "%s%s%s%s%s", indent, is_runtime_frame(fn) ? st->dim : st->bold, fn ? fn : "??",
		inl ? " (inlined)" : "", st->reset);
	if (module)
		fprintf(out, " %s[%s]%s", st->dim, module, st->reset);
	if (file)
		fprintf(out, "\n%s    %s%s:%lld%s", indent, st->cyan, file, (long long)line, st->reset);
	const char *pc = jstr(f, "pc");
	if (pc && !inl)
		fprintf(out, " %spc=%s%s", st->dim, pc, st->reset);
	fputc('\n', out);
	if (with_source && file && !is_runtime_frame(fn)) {
		_cleanup_free_ char *src = source_line(file, line);
		if (src)
			fprintf(out, "%s    %s| %s%s\n", indent, st->yellow, src, st->reset);
	}
}

static void print_header(FILE *out, const struct style *st, struct json_object *a)
{
	struct json_object *exe = jget(a, "executable");
	struct json_object *go = jget(a, "go");
	struct json_object *sig = jget(a, "signal");
	fprintf(out, "%sExecutable:%s %s", st->bold, st->reset, jstr(exe, "path") ? jstr(exe, "path") : "(unknown)");
	if (jint(a, "pid"))
		fprintf(out, " (pid %lld)", (long long)jint(a, "pid"));
	fputc('\n', out);
	if (go) {
		fprintf(out, "%sGo:%s %s", st->bold, st->reset, jstr(go, "version") ? jstr(go, "version") : "?");
		if (jstr(go, "main_module"))
			fprintf(out, ", %s %s", jstr(go, "main_module"),
				jstr(go, "main_version") ? jstr(go, "main_version") : "");
		if (jstr(go, "vcs_revision"))
			fprintf(out, ", revision %s", jstr(go, "vcs_revision"));
		fputc('\n', out);
	}
	if (sig) {
		fprintf(out, "%sSignal:%s %s (%lld)", st->bold, st->reset, jstr(sig, "name") ? jstr(sig, "name") : "?",
			(long long)jint(sig, "number"));
		if (jstr(sig, "address"))
			fprintf(out, " at %s", jstr(sig, "address"));
		fputc('\n', out);
	}
	if (jstr(a, "fingerprint"))
		fprintf(out, "%sFingerprint:%s %s\n", st->bold, st->reset, jstr(a, "fingerprint"));
	struct json_object *w = jget(a, "warnings");
	for (size_t i = 0; i < jlen(w); i++)
		fprintf(out, "%swarning:%s %s\n", st->red, st->reset,
			json_object_get_string(json_object_array_get_idx(w, i)));
	fputc('\n', out);
}

static void print_what_happened(FILE *out, const struct style *st, struct json_object *a)
{
	struct json_object *panics = jget(a, "panics");
	for (size_t i = 0; i < jlen(panics); i++) {
		struct json_object *p = json_object_array_get_idx(panics, i);
		/* the runtime's words; analyses stored before "printed" have the message only */
		const char *text = jstr(p, "printed") ? jstr(p, "printed") : jstr(p, "message");
		fprintf(out, "%s%spanic: %s%s%s", i ? "\t" : "", st->red, text ? text : "",
			jbool(p, "recovered") ? " [recovered]" : "", st->reset);
		if (jbool(p, "goexit"))
			fprintf(out, " %s(runtime.Goexit)%s", st->dim, st->reset);
		if (jstr(p, "type"))
			fprintf(out, " %s(%s)%s", st->dim, jstr(p, "type"), st->reset);
		fputc('\n', out);
	}
	if (jstr(a, "fatal_error"))
		fprintf(out, "%sfatal error: %s%s\n", st->red, jstr(a, "fatal_error"), st->reset);
	if (jbool(a, "panic_during_panic"))
		fprintf(out, "%spanic during panic%s %s(a fault while the runtime printed the crash)%s\n", st->red,
			st->reset, st->dim, st->reset);
	struct json_object *fault = jget(a, "fault");
	if (fault) {
		const char *desc = cw_signal_description(jstr(fault, "signal"));
		fprintf(out, "[signal %s%s%s code=0x%llx addr=%s pc=%s]\n", jstr(fault, "signal") ? jstr(fault, "signal") : "?",
			desc ? ": " : "", desc ? desc : "", (unsigned long long)jint(fault, "code"),
			jstr(fault, "address") ? jstr(fault, "address") : "?", jstr(fault, "pc") ? jstr(fault, "pc") : "?");
	}
	if (!jlen(panics) && !jstr(a, "fatal_error") && !fault && jget(a, "signal"))
		fprintf(out, "%skilled by %s%s\n", st->red, jstr(jget(a, "signal"), "name"), st->reset);
	fputc('\n', out);
}

static void print_fault(FILE *out, const struct style *st, struct json_object *fault)
{
	if (!fault || !jstr(fault, "instruction"))
		return;
	fprintf(out, "%sFaulting instruction%s at %s", st->bold, st->reset, jstr(fault, "pc"));
	if (jstr(fault, "function"))
		fprintf(out, " in %s", jstr(fault, "function"));
	if (jstr(fault, "file"))
		fprintf(out, " (%s:%lld)", jstr(fault, "file"), (long long)jint(fault, "line"));
	fputs(":\n", out);
	struct json_object *ctx = jget(fault, "context");
	int64_t at = jint(fault, "context_index");
	if (jlen(ctx) == 0)
		fprintf(out, "  => %s\n", jstr(fault, "instruction"));
	for (size_t i = 0; i < jlen(ctx); i++) {
		bool here = (int64_t)i == at;
		fprintf(out, "  %s%s %s%s\n", here ? st->red : st->dim, here ? "=>" : "  ",
			json_object_get_string(json_object_array_get_idx(ctx, i)), st->reset);
	}
	fputc('\n', out);
}

static struct json_object *find_goroutine(struct json_object *gs, int64_t id)
{
	for (size_t i = 0; i < jlen(gs); i++) {
		struct json_object *g = json_object_array_get_idx(gs, i);
		if (jint(g, "id") == id)
			return g;
	}
	return NULL;
}

/* A label's key or value as Go 1.27's goroutineheader prints it: bare when
 * it is only [A-Za-z0-9./_], else quoted (the text is terminal-safe
 * already: make_terminal_safe). */
static void print_label_text(FILE *out, const char *s)
{
	bool bare = *s != '\0';
	for (const char *p = s; *p && bare; p++)
		bare = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		       *p == '.' || *p == '/' || *p == '_';
	if (bare) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

/* The goroutine's pprof labels, " {k: v, ...}", printed whether or not
 * the runtime printed them (GODEBUG tracebacklabels). */
static void print_labels(FILE *out, struct json_object *g)
{
	struct json_object *ls = jget(g, "labels");
	if (!jlen(ls))
		return;
	fputs(" {", out);
	for (size_t i = 0; i < jlen(ls); i++) {
		struct json_object *l = json_object_array_get_idx(ls, i);
		if (i)
			fputs(", ", out);
		print_label_text(out, jstr(l, "key") ? jstr(l, "key") : "");
		fputs(": ", out);
		print_label_text(out, jstr(l, "value") ? jstr(l, "value") : "");
	}
	fputc('}', out);
}

static void print_goroutine_header(FILE *out, const struct style *st, struct json_object *g)
{
	fprintf(out, "%sgoroutine %lld [%s", st->bold, (long long)jint(g, "id"),
		jstr(g, "status") ? jstr(g, "status") : "?");
	if (jint(g, "wait_minutes"))
		fprintf(out, ", %lld minutes", (long long)jint(g, "wait_minutes"));
	if (jbool(g, "locked_to_thread"))
		fputs(", locked to thread", out);
	fputc(']', out);
	print_labels(out, g);
	if (jint(g, "thread"))
		fprintf(out, " on thread %lld", (long long)jint(g, "thread"));
	fprintf(out, ":%s\n", st->reset);
}

static void print_created_by(FILE *out, const struct style *st, struct json_object *g, const char *indent)
{
	struct json_object *c = jget(g, "created_by");
	if (!c)
		return;
	fprintf(out, "%s%screated by %s", indent, st->dim, jstr(c, "function") ? jstr(c, "function") : "??");
	if (jint(c, "goroutine"))
		fprintf(out, " in goroutine %lld", (long long)jint(c, "goroutine"));
	if (jstr(c, "file"))
		fprintf(out, "\n%s    %s:%lld", indent, jstr(c, "file"), (long long)jint(c, "line"));
	fprintf(out, "%s\n", st->reset);
}

static void print_crashed(FILE *out, const struct style *st, struct json_object *a)
{
	int64_t id = jint(a, "crashed_goroutine");
	struct json_object *g = id ? find_goroutine(jget(a, "goroutines"), id) : NULL;
	if (g) {
		print_goroutine_header(out, st, g);
		struct json_object *frames = jget(g, "frames");
		for (size_t i = 0; i < jlen(frames); i++)
			print_frame(out, st, json_object_array_get_idx(frames, i), true, "  ");
		if (jbool(g, "frames_truncated"))
			fputs("  ...additional frames elided...\n", out);
		print_created_by(out, st, g, "  ");
		fputc('\n', out);
		return;
	}
	/* not Go, or no goroutine: the crashed thread */
	struct json_object *ts = jget(a, "threads");
	for (size_t i = 0; i < jlen(ts); i++) {
		struct json_object *t = json_object_array_get_idx(ts, i);
		if (!jbool(t, "crashed"))
			continue;
		fprintf(out, "%sthread %lld (crashed)%s:\n", st->bold, (long long)jint(t, "tid"), st->reset);
		struct json_object *frames = jget(t, "frames");
		for (size_t k = 0; k < jlen(frames); k++)
			print_frame(out, st, json_object_array_get_idx(frames, k), true, "  ");
		fputc('\n', out);
	}
}

/* A group's key: status plus every frame's function and file:line. */
static char *stack_key(struct json_object *g)
{
	struct json_object *frames = jget(g, "frames");
	size_t cap = 64, len = 0;
	char *k = malloc(cap);
	if (!k)
		return NULL;
	k[0] = '\0';
	for (size_t i = 0; i <= jlen(frames); i++) {
		char part[1024];
		if (i == 0)
			snprintf(part, sizeof(part), "%s|", jstr(g, "status") ? jstr(g, "status") : "");
		else {
			struct json_object *f = json_object_array_get_idx(frames, i - 1);
			snprintf(part, sizeof(part), "%s@%s:%lld|", jstr(f, "function") ? jstr(f, "function") : "",
				 jstr(f, "file") ? jstr(f, "file") : "", (long long)jint(f, "line"));
		}
		size_t pl = strlen(part);
		if (len + pl + 1 > cap) {
			cap = (cap + pl) * 2;
			char *nk = realloc(k, cap);
			if (!nk) {
				free(k);
				return NULL;
			}
			k = nk;
		}
		memcpy(k + len, part, pl + 1);
		len += pl;
	}
	return k;
}

struct group {
	char *key;
	size_t first;     /* index of the first goroutine in the group */
	size_t *members;
	size_t n, cap;
};

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int cmp_key_index(const void *a, const void *b, void *keys)
{
	char **k = keys;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(k[x], k[y]);
	return c ? c : (x < y ? -1 : x > y);
}

static int print_groups(FILE *out, const struct style *st, struct json_object *a, const struct cw_text_opts *o)
{
	struct json_object *gs = jget(a, "goroutines");
	size_t n = jlen(gs);
	if (n == 0)
		return 0;
	char **keys = calloc(n, sizeof(char *));
	size_t *order = calloc(n, sizeof(size_t));
	struct group *groups = calloc(n, sizeof(struct group));
	int r = 0;
	size_t ngroups = 0;
	if (!keys || !order || !groups) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		keys[i] = stack_key(json_object_array_get_idx(gs, i));
		if (!keys[i]) {
			r = -ENOMEM;
			goto out;
		}
		order[i] = i;
	}
	qsort_r(order, n, sizeof(size_t), cmp_key_index, keys);
	for (size_t i = 0; i < n; i++) {
		size_t gi = order[i];
		struct group *g = ngroups ? &groups[ngroups - 1] : NULL;
		if (!g || strcmp(g->key, keys[gi]) != 0) {
			g = &groups[ngroups++];
			g->key = keys[gi];
			g->first = gi;
		}
		if (g->n == g->cap) {
			size_t cap = g->cap ? g->cap * 2 : 4;
			size_t *m = realloc(g->members, cap * sizeof(size_t));
			if (!m) {
				r = -ENOMEM;
				goto out;
			}
			g->members = m;
			g->cap = cap;
		}
		g->members[g->n++] = gi;
		if (gi < g->first)
			g->first = gi;
	}
	qsort(groups, ngroups, sizeof(struct group), cmp_group);
	fprintf(out, "%s%zu goroutines in %zu groups of identical stacks:%s\n\n", st->bold, n, ngroups, st->reset);
	for (size_t i = 0; i < ngroups; i++) {
		struct group *g = &groups[i];
		struct json_object *first = json_object_array_get_idx(gs, g->first);
		fprintf(out, "%s%zu goroutine%s [%s]:%s ", st->bold, g->n, g->n == 1 ? "" : "s",
			jstr(first, "status") ? jstr(first, "status") : "?", st->reset);
		size_t shown = o->all_goroutines ? g->n : (g->n < GROUP_IDS_SHOWN ? g->n : GROUP_IDS_SHOWN);
		for (size_t k = 0; k < shown; k++)
			fprintf(out, "%s%lld", k ? " " : "", (long long)jint(json_object_array_get_idx(gs, g->members[k]), "id"));
		if (shown < g->n)
			fprintf(out, " ... (%zu more)", g->n - shown);
		fputc('\n', out);
		struct json_object *frames = jget(first, "frames");
		size_t nf = jlen(frames);
		size_t fshown = o->all_goroutines ? nf : (nf < GROUP_FRAMES_SHOWN ? nf : GROUP_FRAMES_SHOWN);
		for (size_t k = 0; k < fshown; k++)
			print_frame(out, st, json_object_array_get_idx(frames, k), false, "    ");
		if (fshown < nf)
			fprintf(out, "    %s... %zu more frames%s\n", st->dim, nf - fshown, st->reset);
		if (g->n == 1)
			print_created_by(out, st, first, "    ");
		fputc('\n', out);
	}
out:
	for (size_t i = 0; keys && i < n; i++)
		free(keys[i]);
	for (size_t i = 0; groups && i < ngroups; i++)
		free(groups[i].members);
	free(keys);
	free(order);
	free(groups);
	return r;
}

static void print_threads(FILE *out, const struct style *st, struct json_object *a)
{
	struct json_object *ts = jget(a, "threads");
	if (jlen(ts) == 0)
		return;
	fprintf(out, "%s%zu threads:%s\n", st->bold, jlen(ts), st->reset);
	for (size_t i = 0; i < jlen(ts); i++) {
		struct json_object *t = json_object_array_get_idx(ts, i);
		fprintf(out, "  thread %lld%s", (long long)jint(t, "tid"), jbool(t, "crashed") ? " (crashed)" : "");
		if (jint(t, "goroutine"))
			fprintf(out, " running goroutine %lld", (long long)jint(t, "goroutine"));
		if (jstr(t, "stack"))
			fprintf(out, " on %s stack", jstr(t, "stack"));
		fputc('\n', out);
		struct json_object *frames = jget(t, "frames");
		/* the crashed thread's system stack in full, others briefly */
		size_t limit = jbool(t, "crashed") ? jlen(frames) : (jlen(frames) < 3 ? jlen(frames) : 3);
		for (size_t k = 0; k < limit; k++)
			print_frame(out, st, json_object_array_get_idx(frames, k), false, "      ");
		if (limit < jlen(frames))
			fprintf(out, "      %s... %zu more frames%s\n", st->dim, jlen(frames) - limit, st->reset);
	}
}

/* *out: a copy of s fit for a terminal, or NULL when s is fit as it is: the
 * analysis carries bytes from the core and the executable (panic values,
 * function and file names of a hostile pclntab), and a control character
 * among them could move the cursor or recolour the screen. C0 controls
 * other than newline and tab, DEL and the C1 controls become visible
 * escapes (\x1b, \u009b); the JSON is valid UTF-8 already. */
static int terminal_safe(const char *s, size_t n, char **safe)
{
	*safe = NULL;
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ||
		    (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f))
			bad++;
	}
	if (!bad)
		return 0;
	if (n > (SIZE_MAX - 1) / 7)
		return -ENOMEM;
	char *out = malloc(n + bad * 6 + 1);
	if (!out)
		return -ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			o += (size_t)sprintf(out + o, "\\x%02x", c);
		} else if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
			   (unsigned char)s[i + 1] <= 0x9f) {
			o += (size_t)sprintf(out + o, "\\u%04x", (unsigned char)s[++i]);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	*safe = out;
	return 0;
}

/* Makes every string of the tree fit for a terminal (see terminal_safe);
 * depth is bounded by the JSON parser's. */
static int make_terminal_safe(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string: {
		_cleanup_free_ char *safe = NULL;
		if (terminal_safe(json_object_get_string(o), (size_t)json_object_get_string_len(o), &safe) < 0)
			return -ENOMEM;
		if (safe && json_object_set_string(o, safe) == 0)
			return -ENOMEM;
		return 0;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			int r = make_terminal_safe(json_object_array_get_idx(o, i));
			if (r < 0)
				return r;
		}
		return 0;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			int r = make_terminal_safe(val);
			if (r < 0)
				return r;
		}
		return 0;
	}
	default:
		return 0;
	}
}

int cw_report_text(struct json_object *analysis, FILE *out, const struct cw_text_opts *o)
{
	struct cw_text_opts defaults = { 0 };
	if (!o)
		o = &defaults;
	_cleanup_json_ struct json_object *a = NULL;
	if (json_object_deep_copy(analysis, &a, NULL) < 0 || !a)
		return -ENOMEM;
	int mr = make_terminal_safe(a);
	if (mr < 0)
		return mr;
	const struct style *st = o->color ? &style_color : &style_plain;
	print_header(out, st, a);
	print_what_happened(out, st, a);
	print_crashed(out, st, a);
	print_fault(out, st, jget(a, "fault"));
	int r = print_groups(out, st, a, o);
	print_threads(out, st, a);
	if (fflush(out) != 0 && r == 0)
		r = -errno;
	return r;
}
