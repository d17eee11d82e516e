/* crashwatch list: one line per crash, oldest first (newest last). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/match.h"
#include "cli/terminal.h"
#include "cli/verbs.h"
#include "cli/loops_text.h"
#include "common/exit_codes.h"
#include "storage/crash_json.h"

static void list_usage(FILE *f)
{
	fprintf(f, "Usage: crashwatch list [OPTIONS] [MATCH...]\n\n"
		"List stored crashes, newest last. MATCH: a PID, an executable path, a command\n"
		"name, #ID, or fingerprint:HEX.\n\n"
		"  -S, --since TIME        only crashes at or after TIME\n"
		"  -U, --until TIME        only crashes at or before TIME\n"
		"  -F, --fingerprint HEX   only crashes with this fingerprint (prefix)\n"
		CW_MATCH_CONTAINER_USAGE
		"  -1                      only the newest crash\n"
		"  -n, --lines N           only the N newest crashes\n"
		"      --json              a JSON array of objects\n"
		"      --no-legend         no header line\n"
		"      --no-pager          do not pipe into a pager\n"
		"  -c, --config FILE       configuration file\n");
}

/* Rows are written by hand into one output buffer: listing 100,000 crashes
 * is dominated by printf and per-row stdio calls otherwise. */
#define OUT_SIZE (1U << 16)
#define ROW_MAX 8192 /* a row longer than this is cut (messages are short) */

struct out {
	char buf[OUT_SIZE + ROW_MAX];
	size_t n;
};

struct list_ctx {
	bool json, color, legend, no_pager;
	bool container_column;       /* some crash listed has a container */
	struct cw_time_cache tc;
	int last_signal;
	char signal_name[16];
	size_t n;
	struct out out;
};

static void out_flush(struct out *o)
{
	if (o->n)
		fwrite(o->buf, 1, o->n, stdout);
	o->n = 0;
}

/* A row: fixed-width columns written over a run of spaces (prefilled up to
 * `filled`), so padding is mostly free. Every put checks the room left. */
struct row {
	char *p, *filled, *end;
};

static void pad(struct row *r, size_t n)
{
	size_t room = (size_t)(r->end - r->p);
	if (n > room)
		n = room;
	if (r->p + n > r->filled)
		memset(r->p, ' ', n);
	r->p += n;
}

static void put_left(struct row *r, const char *s, size_t len, size_t width)
{
	size_t room = (size_t)(r->end - r->p);
	if (len > room)
		len = room;
	memcpy(r->p, s, len);
	r->p += len;
	if (width > len)
		pad(r, width - len);
}

static void put_right(struct row *r, const char *s, size_t len, size_t width)
{
	if (width > len)
		pad(r, width - len);
	put_left(r, s, len, 0);
}

static void put_text(struct row *r, struct cw_text t, size_t width, bool left)
{
	if (left)
		put_left(r, t.p, t.len, width);
	else
		put_right(r, t.p, t.len, width);
}

static void put_str(struct row *r, const char *s, size_t width)
{
	put_left(r, s, strlen(s), width);
}

static int add_json(const struct cw_crash_record *c, void *ud)
{
	struct list_ctx *x = ud;
	x->n++;
	/* streamed: one object at a time, never the whole array in memory */
	struct json_object *o = cw_crash_to_json(c, false);
	if (!o)
		return -ENOMEM;
	fputs(x->n == 1 ? "[\n" : ",\n", stdout);
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						   JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
	json_object_put(o);
	return 0;
}

static int print_row(const struct cw_crash_summary *c, void *ud)
{
	struct list_ctx *x = ud;
	x->n++;
	struct out *o = &x->out;
	if (o->n >= OUT_SIZE)
		out_flush(o);
	char *line = o->buf + o->n;
	/* the fixed columns are under 112 bytes: pre-fill them with spaces */
	memset(line, ' ', 112);
	struct row r = { line, line + 112, line + ROW_MAX - 1 }; /* room for the newline */
	char t[32];
	cw_format_time_cached(&x->tc, c->time_usec, t);
	if (c->signal != x->last_signal || !x->signal_name[0]) {
		cw_cli_signal_name(c->signal, x->signal_name, sizeof(x->signal_name));
		x->last_signal = c->signal;
	}
	/* the columns of the legend: %-6s %-19s %7s %5s %-7s %-12s %-13s %s */
	put_text(&r, c->id_text, 6, true);
	pad(&r, 1);
	put_left(&r, t, strlen(t), 19);
	pad(&r, 1);
	put_text(&r, c->pid_text, 7, false);
	pad(&r, 1);
	put_text(&r, c->uid_text, 5, false);
	pad(&r, 1);
	put_str(&r, x->signal_name, 7);
	pad(&r, 1);
	if (c->fingerprint.len)
		put_text(&r, c->fingerprint, 12, true);
	else
		put_left(&r, "-", 1, 12);
	pad(&r, 1);
	put_str(&r, cw_core_state_name(c->core_state), 13);
	pad(&r, 1);
	if (x->container_column) {
		if (c->container.len)
			put_text(&r, c->container.len > 14 ? (struct cw_text){ c->container.p, 14 } : c->container, 14, true);
		else
			put_left(&r, "-", 1, 14);
		pad(&r, 1);
	}
	if (c->exe.len)
		put_text(&r, c->exe, 0, true);
	else
		put_left(&r, "?", 1, 0);
	put_str(&r, x->color ? "  " CW_ANSI_BOLD : "  ", 0);
	if (c->message.len)
		put_text(&r, c->message, 0, true);
	else
		put_str(&r, c->analysis_status == CW_ANALYSIS_FAILED ? "(analysis failed)" : "-", 0);
	if (x->color)
		put_str(&r, CW_ANSI_RESET, 0);
	*r.p++ = '\n';
	o->n += (size_t)(r.p - line);
	return 0;
}

/* Before the first row: the pager, the legend (with a CONTAINER column
 * only when a crash listed has one). */
static void start_table(bool any_container, void *ud)
{
	struct list_ctx *x = ud;
	x->container_column = any_container;
	cw_pager_open(x->no_pager);
	if (x->legend && x->container_column)
		printf("%-6s %-19s %7s %5s %-7s %-12s %-13s %-14s %s\n", "ID", "TIME", "PID", "UID", "SIG",
		       "FINGERPRINT", "CORE", "CONTAINER", "EXE  MESSAGE");
	else if (x->legend)
		printf("%-6s %-19s %7s %5s %-7s %-12s %-13s %s\n", "ID", "TIME", "PID", "UID", "SIG",
		       "FINGERPRINT", "CORE", "EXE  MESSAGE");
}

int cw_verb_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 'S' }, { "until", required_argument, NULL, 'U' },
		{ "fingerprint", required_argument, NULL, 'F' }, { "lines", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' }, { "no-legend", no_argument, NULL, 'L' },
		{ "no-pager", no_argument, NULL, 'P' }, { "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' }, CW_MATCH_CONTAINER_OPTIONS, { 0 },
	};
	struct cw_crash_filter f = { 0 };
	struct list_ctx l = { .legend = true, .tc = { .minute = -1 } };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "S:U:F:n:1c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
		case 'U':
			if (cw_match_time(optarg, c == 'S' ? &f.since_usec : &f.until_usec) < 0) {
				fprintf(stderr, "crashwatch list: cannot parse time \"%s\"\n", optarg);
				return CW_EXIT_USAGE;
			}
			break;
		case 'F': f.fingerprint = optarg; break;
		case 'n': f.newest = (size_t)strtoul(optarg, NULL, 10); if (!f.newest) f.newest = 1; break;
		case '1': f.newest = 1; break;
		case 'j': l.json = true; break;
		case 'L': l.legend = false; break;
		case 'P': l.no_pager = true; break;
		case 'c': cw_set_config_path(optarg); break;
		case 'h': list_usage(stdout); return CW_EXIT_OK;
		default:
			if (cw_match_container_opt(c, optarg, &f))
				break;
			list_usage(stderr);
			return CW_EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++)
		if (cw_match_parse(argv[i], &f) < 0) {
			fprintf(stderr, "crashwatch list: cannot use \"%s\" as a match\n", argv[i]);
			return CW_EXIT_USAGE;
		}
	struct cw_source *src = NULL;
	int rc = cw_source_open(NULL, &src);
	if (rc != CW_EXIT_OK)
		return rc;
	if (!l.json)
		l.color = cw_use_color(); /* before the pager takes stdout */
	int r = l.json ? cw_source_crashes(src, &f, add_json, &l) : cw_source_list(src, &f, start_table, print_row, &l);
	out_flush(&l.out);
	if (r < 0) {
		rc = cw_report_error(src, "list", r);
	} else if (l.json) {
		puts(l.n ? "\n]" : "[]");
	} else if (l.n == 0) {
		fprintf(stderr, "No crashes found.\n");
		rc = CW_EXIT_NOTFOUND;
	} else if (l.legend) {
		cw_print_source_loops(src, stdout);
	}
	cw_pager_close();
	cw_source_close(src);
	return rc;
}
