/* crashwatch groups: crashes grouped by fingerprint. */
#include "config.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/loops_text.h"
#include "cli/terminal.h"
#include "cli/verbs.h"
#include "common/exit_codes.h"
#include "storage/crash_json.h"

struct groups_ctx {
	bool json;
	size_t n;
	struct json_object *arr;
};

static int print_group(const struct cw_group *g, void *ud)
{
	struct groups_ctx *x = ud;
	x->n++;
	if (x->json) {
		json_object_array_add(x->arr, cw_group_to_json(g));
		return 0;
	}
	char first[32], last[32], fp[17];
	cw_format_time(g->first_usec, first, sizeof(first));
	cw_format_time(g->last_usec, last, sizeof(last));
	snprintf(fp, sizeof(fp), "%s", g->fingerprint);
	printf("%-16s %6lld %s %s %6lld %s  %s\n", fp, (long long)g->count, first, last,
	       (long long)g->example_id, g->exe ? g->exe : "?", g->message ? g->message : "-");
	return 0;
}

int cw_verb_groups(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "no-pager", no_argument, NULL, 'P' },
		{ "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct groups_ctx x = { 0 };
	bool no_pager = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': x.json = true; break;
		case 'P': no_pager = true; break;
		case 'c': cw_set_config_path(optarg); break;
		case 'h':
			printf("Usage: crashwatch groups [--json] [--no-pager]\n\n"
			       "Crashes grouped by fingerprint: count, first and last seen, an example crash.\n");
			return CW_EXIT_OK;
		default: return CW_EXIT_USAGE;
		}
	}
	struct cw_source *src = NULL;
	int rc = cw_source_open(NULL, &src);
	if (rc != CW_EXIT_OK)
		return rc;
	if (x.json)
		x.arr = json_object_new_array();
	else {
		cw_pager_open(no_pager);
		printf("%-16s %6s %-19s %-19s %6s %s\n", "FINGERPRINT", "COUNT", "FIRST", "LAST", "EXAMPLE", "EXE  MESSAGE");
	}
	int r = cw_source_groups(src, print_group, &x);
	if (r < 0)
		rc = cw_report_error(src, "groups", r);
	else if (x.json)
		puts(json_object_to_json_string_ext(x.arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		cw_print_source_loops(src, stdout);
	json_object_put(x.arr);
	cw_pager_close();
	cw_source_close(src);
	return rc;
}
