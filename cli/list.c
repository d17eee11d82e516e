/* crashwatch list: one line per crash, oldest first (newest last). */
#include "config.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/exit_codes.h"
#include "cli/match.h"
#include "cli/terminal.h"
#include "cli/verbs.h"
#include "storage/crash_json.h"

struct list_ctx {
	bool json, color, legend;
	struct cw_time_cache tc;
	size_t n;
	struct json_object *arr;
};

static void list_usage(FILE *f)
{
	fprintf(f, "Usage: crashwatch list [OPTIONS] [MATCH...]\n\n"
		"List stored crashes, newest last. MATCH: a PID, an executable path, a command\n"
		"name, #ID, or fingerprint:HEX.\n\n"
		"  -S, --since TIME        only crashes at or after TIME\n"
		"  -U, --until TIME        only crashes at or before TIME\n"
		"  -F, --fingerprint HEX   only crashes with this fingerprint (prefix)\n"
		"  -1                      only the newest crash\n"
		"  -n, --lines N           only the N newest crashes\n"
		"      --json              a JSON array of objects\n"
		"      --no-legend         no header line\n"
		"      --no-pager          do not pipe into a pager\n"
		"  -c, --config FILE       configuration file\n");
}

/* A line built by hand: listing 100,000 crashes is dominated by printf otherwise. */
struct line {
	char buf[8192];
	size_t n;
};

/* Appends len bytes of s padded to width (left- or right-aligned), never
 * past the buffer. */
static void put_mem(struct line *l, const char *s, size_t len, size_t width, bool left)
{
	size_t room = sizeof(l->buf) - l->n - 2; /* keep space for the newline */
	if (len > room)
		len = room;
	size_t pad = len < width ? width - len : 0;
	if (len + pad > room)
		pad = room - len;
	char *p = l->buf + l->n;
	if (!left)
		for (size_t i = 0; i < pad; i++)
			*p++ = ' ';
	memcpy(p, s, len);
	p += len;
	if (left)
		for (size_t i = 0; i < pad; i++)
			*p++ = ' ';
	l->n = (size_t)(p - l->buf);
}

static void put_str(struct line *l, const char *s, size_t width, bool left)
{
	put_mem(l, s, strlen(s), width, left);
}

static void put_char(struct line *l, char c)
{
	if (l->n < sizeof(l->buf) - 2)
		l->buf[l->n++] = c;
}

static void put_int(struct line *l, long long v, size_t width, bool left)
{
	char tmp[24];
	size_t k = sizeof(tmp);
	bool neg = v < 0;
	unsigned long long u = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		tmp[--k] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg)
		tmp[--k] = '-';
	put_mem(l, tmp + k, sizeof(tmp) - k, width, left);
}

static int print_row(const struct cw_crash_record *c, void *ud)
{
	struct list_ctx *x = ud;
	x->n++;
	if (x->json) {
		json_object_array_add(x->arr, cw_crash_to_json(c, false));
		return 0;
	}
	struct line l;
	l.n = 0;
	char t[32], sig[16], fp[13] = "-";
	cw_format_time_cached(&x->tc, c->time_usec, t);
	if (c->fingerprint) {
		memcpy(fp, c->fingerprint, strnlen(c->fingerprint, 12));
		fp[strnlen(c->fingerprint, 12)] = '\0';
	}
	const char *msg = c->message ? c->message :
			  c->analysis_status == CW_ANALYSIS_FAILED ? "(analysis failed)" : "-";
	put_int(&l, c->id, 6, true);
	put_char(&l, ' ');
	put_str(&l, t, 19, true);
	put_char(&l, ' ');
	put_int(&l, c->pid, 7, false);
	put_char(&l, ' ');
	put_int(&l, c->uid, 5, false);
	put_char(&l, ' ');
	put_str(&l, cw_cli_signal_name(c->signal, sig, sizeof(sig)), 7, true);
	put_char(&l, ' ');
	put_str(&l, fp, 12, true);
	put_char(&l, ' ');
	put_str(&l, cw_core_state_name(c->core_state), 13, true);
	put_char(&l, ' ');
	put_str(&l, c->exe ? c->exe : c->comm ? c->comm : "?", 0, true);
	put_str(&l, x->color ? "  " CW_ANSI_BOLD : "  ", 0, true);
	put_str(&l, msg, 0, true);
	if (x->color)
		put_str(&l, CW_ANSI_RESET, 0, true);
	l.buf[l.n++] = '\n';
	fwrite(l.buf, 1, l.n, stdout);
	return 0;
}

int cw_verb_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 'S' }, { "until", required_argument, NULL, 'U' },
		{ "fingerprint", required_argument, NULL, 'F' }, { "lines", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' }, { "no-legend", no_argument, NULL, 'L' },
		{ "no-pager", no_argument, NULL, 'P' }, { "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct cw_crash_filter f = { 0 };
	struct list_ctx l = { .legend = true, .tc = { .minute = -1 } };
	bool no_pager = false;
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
		case 'P': no_pager = true; break;
		case 'c': cw_set_config_path(optarg); break;
		case 'h': list_usage(stdout); return CW_EXIT_OK;
		default: list_usage(stderr); return CW_EXIT_USAGE;
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
	if (l.json)
		l.arr = json_object_new_array();
	else {
		f.summary_only = true;
		setvbuf(stdout, NULL, _IOFBF, 1 << 16); /* long listings: fewer writes */
		l.color = cw_use_color(); /* before the pager takes stdout */
		cw_pager_open(no_pager);
		if (l.legend)
			printf("%-6s %-19s %7s %5s %-7s %-12s %-13s %s\n", "ID", "TIME", "PID", "UID", "SIG",
			       "FINGERPRINT", "CORE", "EXE  MESSAGE");
	}
	int r = cw_source_crashes(src, &f, print_row, &l);
	if (r < 0) {
		rc = cw_report_error(src, "list", r);
	} else if (l.json) {
		puts(json_object_to_json_string_ext(l.arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (l.n == 0) {
		fprintf(stderr, "No crashes found.\n");
		rc = CW_EXIT_NOTFOUND;
	}
	json_object_put(l.arr);
	cw_pager_close();
	cw_source_close(src);
	return rc;
}
