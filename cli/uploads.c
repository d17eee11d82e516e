/* crashwatch uploads: the outbox's deliveries and dead letters;
 * crashwatch uploads retry ID|--all: queue dead letters again.
 * Reads (and for retry writes) the database directly: root only, since
 * the outbox spans every user's crashes. crashwatchd picks requeued rows
 * up within CW_UPLOAD_POLL_MS. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/verbs.h"
#include "common/cleanup.h"
#include "common/cwconfig.h"
#include "common/exit_codes.h"
#include "common/parse.h"
#include "storage/outbox.h"
#include "storage/storage.h"

#define DEFAULT_LIMIT 50

CW_DEFINE_CLEANUP(struct cw_db *, cw_db_close)

struct uploads_opts {
	bool json;
	bool all;               /* retry --all */
	struct cw_outbox_filter filter;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: crashwatch uploads [--json] [--state STATE] [--crash ID] [-n N]\n"
		"       crashwatch uploads retry ID|--all\n\n"
		"Deliveries of crash reports to the [Upload] endpoints, newest first, and\n"
		"dead letters (deliveries that gave up); retry queues dead letters again.\n\n"
		"  --state STATE  only pending, sending, delivered or dead deliveries\n"
		"  --crash ID     only the deliveries of crash ID\n"
		"  -n, --lines N  at most N deliveries (default %d, 0 for all)\n"
		"  --json         JSON output\n"
		"  --all          (retry) every dead letter\n"
		"  -c, --config FILE  configuration file\n", DEFAULT_LIMIT);
}

static void fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t <= 0 || !localtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "-");
}

static int open_db(bool write, struct cw_db **out)
{
	struct cw_config cfg;
	char err[512];
	const char *path = cw_config_path(NULL);
	int r = cw_config_load(path, getenv(CW_CONFIG_ENV) != NULL, &cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "crashwatch uploads: %s\n", err[0] ? err : strerror(-r));
		cw_config_free(&cfg);
		return CW_EXIT_CONFIG;
	}
	_cleanup_free_ char *db_path = cw_config_db_path(&cfg);
	cw_config_free(&cfg);
	if (!db_path)
		return CW_EXIT_FAILURE;
	/* never create the database: that is crashwatchd's job */
	if (access(db_path, F_OK) < 0 && errno == ENOENT) {
		fprintf(stderr, "crashwatch uploads: %s: no database yet (has crashwatchd run?)\n", db_path);
		return CW_EXIT_UNAVAILABLE;
	}
	if (access(db_path, write ? W_OK : R_OK) < 0) {
		fprintf(stderr, "crashwatch uploads: %s: %s (uploads are for root)\n", db_path, strerror(errno));
		return CW_EXIT_PERMISSION;
	}
	r = cw_db_open(db_path, write ? CW_DB_READWRITE : CW_DB_READONLY, out);
	if (r < 0) {
		fprintf(stderr, "crashwatch uploads: %s: %s\n", db_path, strerror(-r));
		return r == -EACCES || r == -EPERM ? CW_EXIT_PERMISSION : CW_EXIT_UNAVAILABLE;
	}
	return CW_EXIT_OK;
}

static struct json_object *entry_to_json(const struct cw_outbox_entry *e)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_int64(e->id));
	json_object_object_add(o, "delivery_id", json_object_new_string(e->delivery_id));
	json_object_object_add(o, "crash_id", json_object_new_string(e->crash_id));
	json_object_object_add(o, "endpoint", json_object_new_string(e->endpoint));
	json_object_object_add(o, "format", json_object_new_string(e->format));
	json_object_object_add(o, "state", json_object_new_string(cw_outbox_state_name(e->state)));
	json_object_object_add(o, "attempts", json_object_new_int64(e->attempts));
	json_object_object_add(o, "created_at", json_object_new_int64(e->created_at));
	json_object_object_add(o, "next_attempt_at", e->state == CW_OUTBOX_PENDING
			       ? json_object_new_int64(e->next_attempt_at) : NULL);
	json_object_object_add(o, "last_attempt_at", e->last_attempt_at ? json_object_new_int64(e->last_attempt_at) : NULL);
	json_object_object_add(o, "delivered_at", e->delivered_at ? json_object_new_int64(e->delivered_at) : NULL);
	json_object_object_add(o, "last_status", e->last_status ? json_object_new_int(e->last_status) : NULL);
	json_object_object_add(o, "last_error", e->last_error ? json_object_new_string(e->last_error) : NULL);
	return o;
}

static void print_entry(const struct cw_outbox_entry *e)
{
	char last[32], next[32], status[16];
	fmt_time(e->last_attempt_at, last, sizeof(last));
	fmt_time(e->state == CW_OUTBOX_PENDING ? e->next_attempt_at : 0, next, sizeof(next));
	if (e->last_status)
		snprintf(status, sizeof(status), "%d", e->last_status);
	else
		snprintf(status, sizeof(status), "-");
	/* the error text came from a remote server: printable characters only */
	char err[CW_OUTBOX_ERROR_MAX + 1];
	size_t k = 0;
	for (const char *p = e->last_error; p && *p && k < sizeof(err) - 1; p++)
		err[k++] = ((unsigned char)*p >= 0x20 && *p != 0x7f) ? *p : '?';
	err[k] = '\0';
	printf("%-6" PRId64 " %-8s %-20.20s %-9s %8" PRId64 "  %-19s %-19s %6s  %s\n", e->id, e->crash_id,
	       e->endpoint, cw_outbox_state_name(e->state), e->attempts, last, next, status, k ? err : "-");
}

static int list(const struct uploads_opts *o)
{
	CW_CLEANUP(cw_db_closep) struct cw_db *db = NULL;
	int rc = open_db(false, &db);
	if (rc != CW_EXIT_OK)
		return rc;
	struct cw_outbox_entry *e = NULL;
	size_t n = 0;
	struct cw_outbox_counts counts;
	int r = cw_outbox_list(db, &o->filter, &e, &n);
	if (r == 0)
		r = cw_outbox_counts(db, &counts);
	if (r < 0) {
		cw_outbox_entries_free(e, n);
		fprintf(stderr, "crashwatch uploads: reading the outbox: %s\n", strerror(-r));
		return CW_EXIT_FAILURE;
	}
	if (o->json) {
		struct json_object *root = json_object_new_object();
		struct json_object *arr = json_object_new_array();
		struct json_object *c = json_object_new_object();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, entry_to_json(&e[i]));
		json_object_object_add(c, "pending", json_object_new_int64(counts.pending));
		json_object_object_add(c, "delivered", json_object_new_int64(counts.delivered));
		json_object_object_add(c, "dead", json_object_new_int64(counts.dead));
		json_object_object_add(root, "uploads", arr);
		json_object_object_add(root, "counts", c);
		puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	} else {
		printf("%-6s %-8s %-20s %-9s %8s  %-19s %-19s %6s  %s\n", "ID", "CRASH", "ENDPOINT", "STATE",
		       "ATTEMPTS", "LAST ATTEMPT", "NEXT ATTEMPT", "STATUS", "ERROR");
		for (size_t i = 0; i < n; i++)
			print_entry(&e[i]);
		printf("\n%" PRId64 " delivered, %" PRId64 " pending, %" PRId64 " dead", counts.delivered,
		       counts.pending, counts.dead);
		printf(counts.dead ? " (queue them again with: crashwatch uploads retry --all)\n" : "\n");
	}
	cw_outbox_entries_free(e, n);
	return CW_EXIT_OK;
}

static int retry(const struct uploads_opts *o, const char *id)
{
	if (!o->all == !id) {
		fprintf(stderr, "crashwatch uploads retry: give one ID or --all\n");
		return CW_EXIT_USAGE;
	}
	CW_CLEANUP(cw_db_closep) struct cw_db *db = NULL;
	int rc = open_db(true, &db);
	if (rc != CW_EXIT_OK)
		return rc;
	int64_t row = -1;
	int r = 0;
	if (id && (r = cw_outbox_find_id(db, id, &row)) < 0) {
		fprintf(stderr, "crashwatch uploads retry: %s: %s\n", id,
			r == -ENOENT ? "no such delivery" : strerror(-r));
		return r == -ENOENT ? CW_EXIT_NOTFOUND : CW_EXIT_FAILURE;
	}
	int changed = 0;
	r = cw_outbox_retry(db, row, (int64_t)time(NULL), &changed);
	if (r == -ENOENT) {
		fprintf(stderr, "crashwatch uploads retry: %s: already delivered or being sent\n", id);
		return CW_EXIT_NOTFOUND;
	}
	if (r < 0) {
		fprintf(stderr, "crashwatch uploads retry: %s\n", strerror(-r));
		return CW_EXIT_FAILURE;
	}
	if (o->json)
		printf("{ \"requeued\": %d }\n", changed);
	else
		printf("%d deliver%s queued again\n", changed, changed == 1 ? "y" : "ies");
	return CW_EXIT_OK;
}

int cw_verb_uploads(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "state", required_argument, NULL, 's' },
		{ "crash", required_argument, NULL, 'C' }, { "lines", required_argument, NULL, 'n' },
		{ "all", no_argument, NULL, 'a' }, { "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct uploads_opts o = { .filter = { .any_state = true, .limit = DEFAULT_LIMIT } };
	uint64_t lines;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o.json = true; break;
		case 'a': o.all = true; break;
		case 's':
			if (cw_outbox_state_from_name(optarg, &o.filter.state) < 0) {
				fprintf(stderr, "crashwatch uploads: --state: expected pending, sending, delivered or dead\n");
				return CW_EXIT_USAGE;
			}
			o.filter.any_state = false;
			break;
		case 'C': o.filter.crash_id = optarg; break;
		case 'n':
			if (cw_parse_u64(optarg, 0, 1000000, &lines) < 0) {
				fprintf(stderr, "crashwatch uploads: -n: expected a number\n");
				return CW_EXIT_USAGE;
			}
			o.filter.limit = (size_t)lines;
			break;
		case 'c': setenv(CW_CONFIG_ENV, optarg, 1); break;
		case 'h': usage(stdout); return CW_EXIT_OK;
		default: usage(stderr); return CW_EXIT_USAGE;
		}
	}
	if (optind < argc && strcmp(argv[optind], "retry") == 0) {
		/* options may also follow "retry" */
		int rest = argc - optind;
		char **rargv = argv + optind;
		optind = 1;
		while ((c = getopt_long(rest, rargv, "c:h", opts, NULL)) != -1) {
			switch (c) {
			case 'a': o.all = true; break;
			case 'j': o.json = true; break;
			case 'c': setenv(CW_CONFIG_ENV, optarg, 1); break;
			case 'h': usage(stdout); return CW_EXIT_OK;
			default: usage(stderr); return CW_EXIT_USAGE;
			}
		}
		if (rest - optind > 1) {
			usage(stderr);
			return CW_EXIT_USAGE;
		}
		return retry(&o, optind < rest ? rargv[optind] : NULL);
	}
	if (optind < argc) {
		usage(stderr);
		return CW_EXIT_USAGE;
	}
	return list(&o);
}
