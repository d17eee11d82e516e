/* crashwatch info: a crash's record and its analysis as text (like `analyze`). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/analysis.h"
#include "cli/cli.h"
#include "cli/match.h"
#include "cli/terminal.h"
#include "cli/verbs.h"
#include "common/exit_codes.h"
#include "storage/crash_container.h"
#include "storage/crash_json.h"

struct info_ctx {
	bool json, color, all;
	size_t n;
	struct json_object *arr;
};

static void info_usage(FILE *f)
{
	fprintf(f, "Usage: crashwatch info [OPTIONS] [ID|MATCH...]\n\n"
		"Show crashes with their analysis (default: the newest crash).\n\n"
		"  -S, --since TIME / -U, --until TIME / -F, --fingerprint HEX  as for list\n"
		"                          (every crash that matches)\n"
		CW_MATCH_CONTAINER_USAGE
		"                          (alone: the newest crash that matches)\n"
		"  -a, --all               print every goroutine group in full\n"
		"      --json              the record plus \"analysis\" (and a container crash's\n"
		"                          kept \"libraries\") as JSON\n"
		"      --no-pager          do not pipe into a pager\n"
		"  -c, --config FILE       configuration file\n");
}

static void field(const char *name, const char *value)
{
	if (value && *value)
		printf("%15s: %s\n", name, value);
}

/* A container crash's kept libraries: path, short build id, whether the
 * copy is still there (retention or an operator may have removed it). */
static void print_libraries(const struct cw_crash_record *c)
{
	char head[96];
	if (!c->n_libraries && !c->libraries_truncated)
		return;
	snprintf(head, sizeof(head), "%zu kept from the container%s", c->n_libraries,
		 c->libraries_truncated ? " (list truncated: more were mapped than were kept)" : "");
	field("Libraries", head);
	for (size_t i = 0; i < c->n_libraries; i++) {
		const struct cw_crash_library *l = &c->libraries[i];
		const char *state = "copy kept";
		if (!l->copy)
			state = "no copy";
		else if (access(l->copy, F_OK) < 0)
			state = errno == ENOENT ? "copy removed" : "copy not accessible";
		printf("%15s  %s (build id %.12s, %s)\n", "", l->path, l->build_id ? l->build_id : "unknown", state);
	}
}

static int print_info(const struct cw_crash_record *c, void *ud)
{
	struct info_ctx *x = ud;
	if (x->json) {
		json_object_array_add(x->arr, cw_crash_to_json(c, true));
		x->n++;
		return 0;
	}
	if (x->n++)
		putchar('\n');
	char t[32], sig[16], num[64], core[96];
	cw_format_time(c->time_usec, t, sizeof(t));
	snprintf(num, sizeof(num), "%lld", (long long)c->id);
	field("ID", num);
	field("Time", t);
	snprintf(num, sizeof(num), "%lld (thread %lld)", (long long)c->pid, (long long)c->tid);
	field("PID", num);
	snprintf(num, sizeof(num), "%lld / %lld", (long long)c->uid, (long long)c->gid);
	field("UID / GID", num);
	field("Signal", cw_cli_signal_name(c->signal, sig, sizeof(sig)));
	field("Executable", c->exe);
	field("Command", c->comm);
	field("Command line", c->cmdline);
	field("Unit", c->unit);
	field("Container", c->container);
	for (size_t i = 0; i < CW_CRASH_CONTAINER_NFIELDS; i++)
		field(cw_crash_container_fields[i].label, cw_crash_container_get(&c->ctr, i));
	field("Host", c->host);
	field("Boot ID", c->boot_id);
	field("Build ID", c->build_id);
	field("Go", c->go_version);
	field("Module", c->go_module);
	field("Message", c->message);
	field("Location", c->fault_location);
	field("Fingerprint", c->fingerprint);
	snprintf(core, sizeof(core), "%s, %lld bytes (%lld on disk)", cw_core_state_name(c->core_state),
		 (long long)c->core_size, (long long)c->core_disk_size);
	field("Core", c->core_state == CW_CORE_REMOVED ? "removed (record kept)" : core);
	field("Analysis", cw_analysis_status_name(c->analysis_status));
	field("Analysis error", c->analysis_error);
	print_libraries(c);
	if (!c->analysis_json)
		return 0;
	struct json_object *a = json_tokener_parse(c->analysis_json);
	if (!a) {
		fprintf(stderr, "crashwatch info: stored analysis of crash %lld is not valid JSON\n", (long long)c->id);
		return 0;
	}
	putchar('\n');
	struct cw_text_opts o = { .color = x->color, .all_goroutines = x->all };
	fflush(stdout);
	int r = cw_report_text(a, stdout, &o);
	json_object_put(a);
	return r < 0 ? r : 0;
}

int cw_verb_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 'S' }, { "until", required_argument, NULL, 'U' },
		{ "fingerprint", required_argument, NULL, 'F' }, { "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' }, { "no-pager", no_argument, NULL, 'P' },
		{ "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
		CW_MATCH_CONTAINER_OPTIONS, { 0 },
	};
	struct cw_crash_filter f = { .with_analysis = true };
	struct info_ctx x = { 0 };
	bool no_pager = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "S:U:F:ac:h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
		case 'U':
			if (cw_match_time(optarg, c == 'S' ? &f.since_usec : &f.until_usec) < 0) {
				fprintf(stderr, "crashwatch info: cannot parse time \"%s\"\n", optarg);
				return CW_EXIT_USAGE;
			}
			break;
		case 'F': f.fingerprint = optarg; break;
		case 'a': x.all = true; break;
		case 'j': x.json = true; break;
		case 'P': no_pager = true; break;
		case 'c': cw_set_config_path(optarg); break;
		case 'h': info_usage(stdout); return CW_EXIT_OK;
		default:
			if (cw_match_container_opt(c, optarg, &f))
				break;
			info_usage(stderr);
			return CW_EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++)
		if (cw_match_id_or_match(argv[i], &f) < 0) {
			fprintf(stderr, "crashwatch info: cannot use \"%s\" as a match\n", argv[i]);
			return CW_EXIT_USAGE;
		}
	/* the container filters alone pick the newest crash they match, as no filter does */
	if (optind == argc && !f.since_usec && !f.until_usec && !f.fingerprint)
		f.newest = 1;
	struct cw_source *src = NULL;
	int rc = cw_source_open(NULL, &src);
	if (rc != CW_EXIT_OK)
		return rc;
	if (x.json)
		x.arr = json_object_new_array();
	else {
		x.color = cw_use_color(); /* before the pager takes stdout */
		cw_pager_open(no_pager);
	}
	int r = cw_source_crashes(src, &f, print_info, &x);
	if (r < 0)
		rc = cw_report_error(src, "info", r);
	else if (x.n == 0) {
		fprintf(stderr, "crashwatch info: no matching crash\n");
		rc = CW_EXIT_NOTFOUND;
	} else if (x.json) {
		struct json_object *out = x.n == 1 ? json_object_array_get_idx(x.arr, 0) : x.arr;
		puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(x.arr);
	cw_pager_close();
	cw_source_close(src);
	return rc;
}
