/* crashwatch status: daemon health, spool, store usage, queue. */
#include "config.h"

#include <dirent.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/loops_text.h"
#include "cli/verbs.h"
#include "common/cleanup.h"
#include "common/exit_codes.h"

/* ID.meta files waiting in the spool; -1 when the spool cannot be read. */
static int64_t spool_waiting(const struct cw_config *cfg)
{
	_cleanup_free_ char *spool = cw_config_spool_dir(cfg);
	_cleanup_closedir_ DIR *d = spool ? opendir(spool) : NULL;
	if (!d)
		return -1;
	int64_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] != '.' && len > 5 && strcmp(de->d_name + len - 5, ".meta") == 0)
			n++;
	}
	return n;
}

static int64_t get_i(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

int cw_verb_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'c': cw_set_config_path(optarg); break;
		case 'h':
			printf("Usage: crashwatch status [--json]\n\nDaemon health, spool, store usage and queue.\n");
			return CW_EXIT_OK;
		default: return CW_EXIT_USAGE;
		}
	}
	struct cw_source *src = NULL;
	int rc = cw_source_open(NULL, &src);
	if (rc != CW_EXIT_OK)
		return rc;
	struct json_object *st = NULL;
	int r = cw_source_status(src, &st);
	if (r < 0) {
		rc = cw_report_error(src, "status", r);
		cw_source_close(src);
		return rc;
	}
	const struct cw_config *cfg = cw_source_config(src);
	json_object_object_add(st, "storage", json_object_new_string(cfg->storage_dir));
	int64_t waiting = spool_waiting(cfg);
	if (waiting >= 0)
		json_object_object_add(st, "spool_waiting", json_object_new_int64(waiting));
	struct json_object *v;
	bool up = json_object_object_get_ex(st, "daemon", &v) && json_object_get_boolean(v);
	if (json) {
		puts(json_object_to_json_string_ext(st, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		printf("      Daemon: %s", up ? "running" : "not reachable");
		if (up)
			printf(" (pid %lld), %lld in queue, %lld stored since start",
			       (long long)get_i(st, "daemon_pid"), (long long)get_i(st, "queue"),
			       (long long)get_i(st, "ingested"));
		printf("\n     Storage: %s\n", cfg->storage_dir);
		if (waiting >= 0)
			printf("       Spool: %lld waiting\n", (long long)waiting);
		printf("     Crashes: %lld in %lld groups, %lld analyses failed\n", (long long)get_i(st, "crashes"),
		       (long long)get_i(st, "groups"), (long long)get_i(st, "analyses_failed"));
		printf("       Cores: %lld stored, %.1f MiB on disk\n", (long long)get_i(st, "cores_stored"),
		       (double)get_i(st, "cores_disk_bytes") / 1048576.0);
		struct json_object *loops;
		if (json_object_object_get_ex(st, "crash_loops", &loops) && json_object_is_type(loops, json_type_array))
			printf(" Crash loops: %zu in the last day%s\n", json_object_array_length(loops),
			       json_object_array_length(loops) ? ":" : "");
		cw_print_crash_loops(stdout, st, "  ");
		/* uploads: present for root (the outbox spans every user) */
		if (json_object_object_get_ex(st, "uploads_dead", &v))
			printf("     Uploads: %lld delivered, %lld pending, %lld dead%s\n",
			       (long long)get_i(st, "uploads_delivered"), (long long)get_i(st, "uploads_pending"),
			       (long long)get_i(st, "uploads_dead"),
			       get_i(st, "uploads_dead") ? " (see crashwatch uploads)" : "");
	}
	json_object_put(st);
	cw_source_close(src);
	return up ? CW_EXIT_OK : CW_EXIT_UNAVAILABLE;
}
