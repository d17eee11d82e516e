/* Test driver for the upload integration tests: stores crashes through the
 * real insert transaction (with the upload hook), runs the real uploader
 * loop against a test server, and runs `crashwatch uploads`. The database
 * and endpoints come from $CRASHWATCH_CONFIG.
 *
 *   upload-harness store SPOOL_ID ANALYSIS.json|- [TIME_SEC] prints the crash id ("-": analysis failed)
 *   upload-harness run SECONDS [--until-idle]                 prints one line per attempt
 *   upload-harness uploads [ARGS...]                          crashwatch uploads ARGS
 *
 * With CW_HARNESS_WIPE_CHECK=1, run puts libcurl on allocator hooks that
 * follow every string libcurl duplicates that starts like a header holding
 * a secret ("Authorization: Bearer ", "X-Sentry-Auth: "): curl_slist_append's
 * copies. At the end it prints "wipe-check: checked=N unwiped=M" to
 * stderr; M counts the copies freed with the secret still in them. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <curl/curl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/verbs.h"
#include "common/cwconfig.h"
#include "daemon/upload.h"
#include "storage/outbox.h"
#include "storage/storage.h"

/* ---- CW_HARNESS_WIPE_CHECK: libcurl's copies of secret headers ---- */
static pthread_mutex_t wipe_lock = PTHREAD_MUTEX_INITIALIZER;
static void *wipe_tracked[256];
static unsigned wipe_checked, wipe_unwiped;

static bool secret_header(const char *s)
{
	return strncmp(s, "Authorization: Bearer ", 22) == 0 || strncmp(s, "X-Sentry-Auth: ", 15) == 0;
}

static char *hook_strdup(const char *s)
{
	char *d = strdup(s);
	if (d && secret_header(s)) {
		pthread_mutex_lock(&wipe_lock);
		for (size_t i = 0; i < sizeof(wipe_tracked) / sizeof(wipe_tracked[0]); i++)
			if (!wipe_tracked[i]) {
				wipe_tracked[i] = d;
				break;
			}
		pthread_mutex_unlock(&wipe_lock);
	}
	return d;
}

static void hook_free(void *p)
{
	if (p) {
		pthread_mutex_lock(&wipe_lock);
		for (size_t i = 0; i < sizeof(wipe_tracked) / sizeof(wipe_tracked[0]); i++)
			if (wipe_tracked[i] == p) {
				wipe_tracked[i] = NULL;
				wipe_checked++;
				if (secret_header(p))
					wipe_unwiped++;
			}
		pthread_mutex_unlock(&wipe_lock);
	}
	free(p);
}

static int load(struct cw_config *cfg, struct cw_db **db)
{
	char err[512];
	int r = cw_config_load(cw_config_path(NULL), true, cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "config: %s\n", err);
		return r;
	}
	char *path = cw_config_db_path(cfg);
	r = path ? cw_db_open(path, CW_DB_READWRITE, db) : -ENOMEM;
	if (r < 0)
		fprintf(stderr, "db %s: %s\n", path ? path : "?", strerror(-r));
	free(path);
	return r;
}

static int store(const char *spool_id, const char *analysis_path, int64_t when)
{
	struct cw_config cfg;
	struct cw_db *db = NULL;
	int r = load(&cfg, &db);
	if (r < 0) {
		cw_config_free(&cfg);
		return 1;
	}
	/* "-": a crash whose analysis failed (no analysis JSON) */
	bool none = strcmp(analysis_path, "-") == 0;
	struct json_object *a = none ? json_object_new_object() : json_object_from_file(analysis_path);
	if (!a) {
		fprintf(stderr, "%s: not JSON\n", analysis_path);
		cw_db_close(db);
		cw_config_free(&cfg);
		return 1;
	}
	struct json_object *v = NULL, *exe = NULL;
	json_object_object_get_ex(a, "executable", &exe);
	struct cw_crash_record c = {
		.spool_id = spool_id,
		.time_usec = when * 1000000,
		.host = "testhost",
		.pid = 4242, .tid = 4242, .uid = 1000, .gid = 1000,
		.signal = 6,
		.exe = json_object_object_get_ex(exe, "path", &v) ? json_object_get_string(v) : "/usr/bin/unanalysed",
		.cmdline = "/srv/api --secret-flag=swordfish",
		.fingerprint = json_object_object_get_ex(a, "fingerprint", &v) ? json_object_get_string(v) : NULL,
		.core_state = CW_CORE_METADATA_ONLY,
		.analysis_status = none ? CW_ANALYSIS_FAILED : CW_ANALYSIS_OK,
		.analysis_json = none ? NULL : json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN),
	};
	int64_t id = 0;
	/* as the collector records them (only a few Go variables) */
	static const char *const environment[] = { "GOTRACEBACK=crash", "GODEBUG=madvdontneed=1", NULL };
	c.environment = environment;
	r = cw_crash_insert_hooked(db, &c, cw_upload_crash_hook, &cfg, &id);
	if (r < 0)
		fprintf(stderr, "insert: %s: %s\n", strerror(-r), cw_db_errmsg(db));
	else
		printf("%" PRId64 "\n", id);
	json_object_put(a);
	cw_db_close(db);
	cw_config_free(&cfg);
	return r < 0 ? 1 : 0;
}

static void print_result(void *userdata, const struct cw_upload_result *r)
{
	printf("attempt endpoint=\"%s\" crash=%s delivery=%s state=%s attempts=%" PRId64 " status=%d next_in=%" PRId64 "\n",
	       r->endpoint, r->crash_id, r->delivery_id, cw_outbox_state_name(r->state), r->attempts,
	       r->http_status, r->state == CW_OUTBOX_PENDING ? r->next_attempt_at - (int64_t)time(NULL) : 0);
	fflush(stdout);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run(int seconds, bool until_idle)
{
	struct cw_config cfg;
	struct cw_db *db = NULL;
	struct cw_uploader *u = NULL;
	char err[512];
	bool wipe_check = getenv("CW_HARNESS_WIPE_CHECK") != NULL;
	if (wipe_check && curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, hook_free, realloc, hook_strdup,
					       calloc) != CURLE_OK)
		return 1;
	int r = load(&cfg, &db);
	if (r == 0 && (r = cw_uploader_new(&cfg, db, print_result, NULL, &u, err, sizeof(err))) < 0)
		fprintf(stderr, "uploader: %s (%s)\n", err, strerror(-r));
	/* the uploader copies what it needs: the configuration may go (SIGHUP) */
	cw_config_free(&cfg);
	int64_t end = now_ms() + (int64_t)seconds * 1000;
	while (r == 0 && now_ms() < end) {
		r = cw_uploader_dispatch(u);
		if (r < 0) {
			fprintf(stderr, "dispatch: %s\n", strerror(-r));
			break;
		}
		struct cw_outbox_counts k;
		if (until_idle && cw_uploader_in_flight(u) == 0 &&
		    cw_outbox_counts(db, &k) == 0 && k.pending == 0)
			break;
		int64_t left = end - now_ms();
		int t = cw_uploader_timeout_ms(u);
		if (t < 0 || t > left)
			t = (int)(left > 0 ? left : 0);
		struct pollfd p = { .fd = cw_uploader_fd(u), .events = POLLIN };
		if (poll(&p, 1, t) < 0 && errno != EINTR)
			r = -errno;
	}
	cw_uploader_free(u);
	cw_db_close(db);
	if (wipe_check) {
		fprintf(stderr, "wipe-check: checked=%u unwiped=%u\n", wipe_checked, wipe_unwiped);
		curl_global_cleanup();
	}
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "store") == 0)
		return store(argv[2], argv[3], argc > 4 ? strtoll(argv[4], NULL, 10) : (int64_t)time(NULL));
	if (argc >= 3 && strcmp(argv[1], "run") == 0)
		return run(atoi(argv[2]), argc > 3 && strcmp(argv[3], "--until-idle") == 0);
	if (argc >= 2 && strcmp(argv[1], "uploads") == 0)
		return cw_verb_uploads(argc - 1, argv + 1);
	fprintf(stderr, "usage: upload-harness store SPOOL_ID ANALYSIS.json [TIME] | run SECONDS [--until-idle] | uploads ARGS\n");
	return 2;
}
