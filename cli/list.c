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

static int print_row(const struct cw_crash_record *c, void *ud)
{
	struct list_ctx *l = ud;
	l->n++;
	if (l->json) {
		json_object_array_add(l->arr, cw_crash_to_json(c, false));
		return 0;
	}
	char t[32], sig[16], fp[13];
	cw_format_time(c->time_usec, t, sizeof(t));
	snprintf(fp, sizeof(fp), "%s", c->fingerprint ? c->fingerprint : "-");
	const char *msg = c->message ? c->message :
			  c->analysis_status == CW_ANALYSIS_FAILED ? "(analysis failed)" : "-";
	printf("%-6lld %s %7lld %5lld %-7s %-12s %-13s %s%s%s\n", (long long)c->id, t, (long long)c->pid,
	       (long long)c->uid, cw_cli_signal_name(c->signal, sig, sizeof(sig)), fp,
	       cw_core_state_name(c->core_state), c->exe ? c->exe : c->comm ? c->comm : "?",
	       l->color ? "  " CW_ANSI_BOLD : "  ", msg);
	if (l->color)
		fputs(CW_ANSI_RESET, stdout);
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
	struct list_ctx l = { .legend = true };
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
		cw_pager_open(no_pager);
		l.color = cw_use_color();
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
