/* Unit tests for storage/: migrations (upgrades of databases of every
 * older version holding data too), insert (idempotent), filters,
 * per-uid restriction, groups, retention helpers, a full disk. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <inttypes.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "storage/outbox.h"
#include "storage/storage.h"
#include "storage/crash_json.h"
#include "storage/crash_libraries.h"
#include "storage/crash_summary.h"
#include <json-c/json.h>

struct fixture {
	char dir[64];
	char path[96];
	struct cw_db *db;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/cw-test-storage-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/crashwatch.db", fx->dir);
	if (cw_db_open(fx->path, CW_DB_READWRITE, &fx->db) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char p[160];
	cw_db_close(fx->db);
	static const char *const suffix[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", fx->path, suffix[i]);
		unlink(p);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static struct cw_crash_record make_crash(const char *spool_id, int64_t t, int64_t pid, int64_t uid,
				  const char *exe, const char *comm, const char *fp)
{
	return (struct cw_crash_record){
		.spool_id = spool_id, .time_usec = t, .pid = pid, .tid = pid, .uid = uid, .gid = uid,
		.signal = 6, .exe = exe, .comm = comm, .fingerprint = fp, .message = "boom",
		.core_state = CW_CORE_STORED, .core_size = 1000, .core_disk_size = 100,
		.core_path = "/x/core.zst", .analysis_status = CW_ANALYSIS_OK,
		.analysis_json = "{\"schema\":\"crashwatch.analysis.v1\"}",
	};
}

struct collect {
	int64_t ids[16];
	size_t n;
	char json[128];
};

static int collect_cb(const struct cw_crash_record *c, void *userdata)
{
	struct collect *col = userdata;
	if (col->n < 16)
		col->ids[col->n++] = c->id;
	if (c->analysis_json)
		snprintf(col->json, sizeof(col->json), "%s", c->analysis_json);
	return 0;
}

static void test_migrate_and_reopen(void **state)
{
	struct fixture *fx = *state;
	int v = 0;
	assert_int_equal(cw_db_schema_version(fx->db, &v), 0);
	assert_int_equal(v, cw_db_latest_version());
	struct cw_db *ro = NULL;
	assert_int_equal(cw_db_open(fx->path, CW_DB_READONLY, &ro), 0);
	cw_db_close(ro);
	/* reopening read-write migrates nothing and keeps the version */
	struct cw_db *rw = NULL;
	assert_int_equal(cw_db_open(fx->path, CW_DB_READWRITE, &rw), 0);
	assert_int_equal(cw_db_schema_version(rw, &v), 0);
	assert_int_equal(v, cw_db_latest_version());
	cw_db_close(rw);
	assert_int_equal(cw_db_open("/nonexistent/dir/x.db", CW_DB_READONLY, &ro), -ENOENT);
}

static void test_insert_idempotent(void **state)
{
	struct fixture *fx = *state;
	struct cw_crash_record c = make_crash("0000000000000001-1-aaaaaaaa", 1000, 1, 0, "/bin/a", "a", "f1");
	int64_t id = 0, id2 = 0;
	assert_int_equal(cw_crash_insert(fx->db, &c, &id), 0);
	assert_true(id > 0);
	assert_int_equal(cw_crash_insert(fx->db, &c, &id2), -EEXIST);
	assert_int_equal(id2, id);
	assert_int_equal(cw_crash_exists(fx->db, c.spool_id, &id2), 1);
	assert_int_equal(cw_crash_exists(fx->db, "nope", NULL), 0);
	struct cw_store_stats s;
	assert_int_equal(cw_store_stats(fx->db, false, 0, &s), 0);
	assert_int_equal(s.crashes, 1);
	assert_int_equal(s.groups, 1);
}

static void test_filters(void **state)
{
	struct fixture *fx = *state;
	struct cw_crash_record cs[] = {
		make_crash("s1", 1000, 10, 0, "/usr/bin/api", "api", "aaaa1111"),
		make_crash("s2", 2000, 11, 1000, "/usr/bin/api", "api", "aaaa1111"),
		make_crash("s3", 3000, 12, 1000, "/opt/worker", "work%er", "bbbb2222"),
		make_crash("s4", 4000, 13, 0, "/opt/other", "other", NULL),
	};
	cs[3].restricted = true;
	cs[3].uid = 1000;
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
		assert_int_equal(cw_crash_insert(fx->db, &cs[i], NULL), 0);

	struct collect col = { 0 };
	struct cw_crash_filter f = { 0 };
	assert_int_equal(cw_crashes_foreach(fx->db, &f, collect_cb, &col), 0);
	assert_int_equal(col.n, 4);
	assert_true(col.ids[0] < col.ids[3]); /* oldest first */
	assert_string_equal(col.json, "");    /* not asked for */

	memset(&col, 0, sizeof(col));
	f = (struct cw_crash_filter){ .match = "api" };
	assert_int_equal(cw_crashes_foreach(fx->db, &f, collect_cb, &col), 0);
	assert_int_equal(col.n, 2);

	memset(&col, 0, sizeof(col));
	f = (struct cw_crash_filter){ .match = "/opt/worker", .with_analysis = true };
	assert_int_equal(cw_crashes_foreach(fx->db, &f, collect_cb, &col), 0);
	assert_int_equal(col.n, 1);
	assert_string_equal(col.json, "{\"schema\":\"crashwatch.analysis.v1\"}");

	/* LIKE wildcards in a name are literal */
	memset(&col, 0, sizeof(col));
	f = (struct cw_crash_filter){ .match = "w%r" };
	assert_int_equal(cw_crashes_foreach(fx->db, &f, collect_cb, &col), 0);
	assert_int_equal(col.n, 0);

	memset(&col, 0, sizeof(col));
	f = (struct cw_crash_filter){ .pid = 12 };
	assert_int_equal(cw_crashes_foreach(fx->db, &f, collect_cb, &col), 0);
	assert_int_equal(col.n, 1);

	memset(&col, 0, sizeof(col));
	f = (struct cw_crash_filter){ .since_usec = 2000, .until_usec = 3000 };
	assert_int_equal(cw_crashes_foreach(fx->db, &f, collect_cb, &col), 0);
	assert_int_equal(col.n, 2);

	memset(&col, 0, sizeof(col));
	f = (struct cw_crash_filter){ .fingerprint = "aaaa" };
	assert_int_equal(cw_crashes_foreach(fx->db, &f, collect_cb, &col), 0);
	assert_int_equal(col.n, 2);

	/* -1: the newest only */
	memset(&col, 0, sizeof(col));
	f = (struct cw_crash_filter){ .newest = 2 };
	assert_int_equal(cw_crashes_foreach(fx->db, &f, collect_cb, &col), 0);
	assert_int_equal(col.n, 2);
	assert_true(col.ids[0] < col.ids[1]);

	/* uid 1000 sees its two crashes, not the restricted one */
	memset(&col, 0, sizeof(col));
	f = (struct cw_crash_filter){ .restrict_uid = true, .uid = 1000 };
	assert_int_equal(cw_crashes_foreach(fx->db, &f, collect_cb, &col), 0);
	assert_int_equal(col.n, 2);

	struct cw_store_stats s;
	assert_int_equal(cw_store_stats(fx->db, true, 1000, &s), 0);
	assert_int_equal(s.crashes, 2);
	assert_int_equal(s.groups, 2);
}

struct group_seen {
	int64_t counts[8];
	size_t n;
};

static int group_cb(const struct cw_group *g, void *userdata)
{
	struct group_seen *gs = userdata;
	if (gs->n < 8)
		gs->counts[gs->n++] = g->count;
	assert_non_null(g->exe);
	return 0;
}

static void test_groups(void **state)
{
	struct fixture *fx = *state;
	struct cw_crash_record a = make_crash("g1", 100, 1, 0, "/bin/a", "a", "ffff");
	struct cw_crash_record b = make_crash("g2", 300, 2, 1000, "/bin/a", "a", "ffff");
	struct cw_crash_record c = make_crash("g3", 200, 3, 0, "/bin/c", "c", "eeee");
	assert_int_equal(cw_crash_insert(fx->db, &a, NULL), 0);
	assert_int_equal(cw_crash_insert(fx->db, &b, NULL), 0);
	assert_int_equal(cw_crash_insert(fx->db, &c, NULL), 0);
	struct group_seen gs = { 0 };
	assert_int_equal(cw_groups_foreach(fx->db, false, 0, group_cb, &gs), 0);
	assert_int_equal(gs.n, 2);
	assert_int_equal(gs.counts[0], 1); /* eeee last seen 200 */
	assert_int_equal(gs.counts[1], 2); /* ffff last seen 300 */
	memset(&gs, 0, sizeof(gs));
	assert_int_equal(cw_groups_foreach(fx->db, true, 1000, group_cb, &gs), 0);
	assert_int_equal(gs.n, 1);
	assert_int_equal(gs.counts[0], 1);
}

static int count_cb(const struct cw_crash_record *c, void *userdata)
{
	(*(int *)userdata)++;
	return 0;
}

static void test_core_removed(void **state)
{
	struct fixture *fx = *state;
	struct cw_crash_record a = make_crash("r1", 100, 1, 0, "/bin/a", "a", "ffff");
	struct cw_crash_record b = make_crash("r2", 50, 2, 0, "/bin/a", "a", "ffff");
	int64_t ida, idb;
	assert_int_equal(cw_crash_insert(fx->db, &a, &ida), 0);
	assert_int_equal(cw_crash_insert(fx->db, &b, &idb), 0);
	struct collect col = { 0 };
	assert_int_equal(cw_crashes_foreach_stored_core(fx->db, collect_cb, &col), 0);
	assert_int_equal(col.n, 2);
	assert_int_equal(col.ids[0], idb); /* oldest first */
	assert_int_equal(cw_crash_mark_core_removed(fx->db, idb), 0);
	int n = 0;
	assert_int_equal(cw_crashes_foreach_stored_core(fx->db, count_cb, &n), 0);
	assert_int_equal(n, 1);
	memset(&col, 0, sizeof(col));
	struct cw_crash_filter f = { .id = idb };
	assert_int_equal(cw_crashes_foreach(fx->db, &f, collect_cb, &col), 0);
	assert_int_equal(col.n, 1); /* the record stays */
	assert_int_equal(cw_crash_mark_core_removed(fx->db, 9999), -ENOENT);
}

static int stop_cb(const struct cw_crash_record *c, void *userdata)
{
	(*(int *)userdata)++;
	return 7;
}

static void test_callback_stops(void **state)
{
	struct fixture *fx = *state;
	struct cw_crash_record a = make_crash("x1", 100, 1, 0, "/bin/a", "a", NULL);
	struct cw_crash_record b = make_crash("x2", 200, 1, 0, "/bin/a", "a", NULL);
	assert_int_equal(cw_crash_insert(fx->db, &a, NULL), 0);
	assert_int_equal(cw_crash_insert(fx->db, &b, NULL), 0);
	struct cw_crash_filter f = { 0 };
	int n = 0;
	assert_int_equal(cw_crashes_foreach(fx->db, &f, stop_cb, &n), 7);
	assert_int_equal(n, 1);
}

struct summary_seen {
	char text[4][160];
	size_t n;
};

static int summary_cb(const struct cw_crash_summary *c, void *userdata)
{
	struct summary_seen *ss = userdata;
	if (ss->n < 4)
		snprintf(ss->text[ss->n++], sizeof(ss->text[0]), "%lld=%.*s %lld %.*s %.*s %d %s %s %.*s %.*s %.*s",
			 (long long)c->id, (int)c->id_text.len, c->id_text.p, (long long)c->time_usec,
			 (int)c->pid_text.len, c->pid_text.p, (int)c->uid_text.len, c->uid_text.p,
			 c->signal, cw_core_state_name(c->core_state), cw_analysis_status_name(c->analysis_status),
			 c->fingerprint.len ? (int)c->fingerprint.len : 1, c->fingerprint.len ? c->fingerprint.p : "-",
			 c->exe.len ? (int)c->exe.len : 1, c->exe.len ? c->exe.p : "-",
			 c->message.len ? (int)c->message.len : 1, c->message.len ? c->message.p : "-");
	return 0;
}

static void test_summary(void **state)
{
	struct fixture *fx = *state;
	struct cw_crash_record a = make_crash("m1", 200, 7, 1000, "/bin/a", "a", "0123456789abcdef0123");
	struct cw_crash_record b = make_crash("m2", 100, 8, 0, NULL, "bcomm", NULL);
	b.message = NULL;
	b.analysis_status = CW_ANALYSIS_FAILED;
	int64_t ida, idb;
	assert_int_equal(cw_crash_insert(fx->db, &a, &ida), 0);
	assert_int_equal(cw_crash_insert(fx->db, &b, &idb), 0);
	struct summary_seen ss = { 0 };
	struct cw_crash_filter f = { 0 };
	assert_int_equal(cw_crashes_foreach_summary(fx->db, &f, summary_cb, &ss), 0);
	assert_int_equal(ss.n, 2);
	char want[160];
	snprintf(want, sizeof(want), "%lld=%lld 100 8 0 6 stored failed - bcomm -", (long long)idb, (long long)idb);
	assert_string_equal(ss.text[0], want);
	snprintf(want, sizeof(want), "%lld=%lld 200 7 1000 6 stored ok 0123456789ab /bin/a boom", (long long)ida,
		 (long long)ida);
	assert_string_equal(ss.text[1], want);
	/* retention updates the listing too */
	assert_int_equal(cw_crash_mark_core_removed(fx->db, ida), 0);
	memset(&ss, 0, sizeof(ss));
	f.newest = 1;
	assert_int_equal(cw_crashes_foreach_summary(fx->db, &f, summary_cb, &ss), 0);
	assert_int_equal(ss.n, 1);
	snprintf(want, sizeof(want), "%lld=%lld 200 7 1000 6 removed ok 0123456789ab /bin/a boom", (long long)ida,
		 (long long)ida);
	assert_string_equal(ss.text[0], want);
	/* a filter applies to the summaries as to the full rows */
	memset(&ss, 0, sizeof(ss));
	f = (struct cw_crash_filter){ .match = "bcomm" };
	assert_int_equal(cw_crashes_foreach_summary(fx->db, &f, summary_cb, &ss), 0);
	assert_int_equal(ss.n, 1);
	assert_non_null(strstr(ss.text[0], " bcomm "));
}

#define US "\x1f" /* the summary's field separator */

static int parse_summary(const char *s, struct cw_crash_summary *out)
{
	return cw_crash_summary_parse(s, strlen(s), out);
}

static void test_summary_parse(void **state)
{
	(void)state;
	struct cw_crash_summary c;
	/* sixteen- and nineteen-digit numbers go through the eight-digit path */
	assert_int_equal(parse_summary("12" US "1700000000123456" US "-5" US "0" US "11" US "truncated" US "pending" US
				       "abc" US "/x" US "web-1" US "msg" US "with separator", &c), 0);
	assert_int_equal(c.id, 12);
	assert_int_equal(c.time_usec, 1700000000123456LL);
	assert_int_equal(c.signal, 11);
	assert_int_equal(c.core_state, CW_CORE_TRUNCATED);
	assert_int_equal(c.analysis_status, CW_ANALYSIS_PENDING);
	assert_int_equal(c.pid_text.len, 2);
	assert_memory_equal(c.pid_text.p, "-5", 2);
	assert_int_equal(c.message.len, strlen("msg" US "with separator"));
	assert_int_equal(c.container.len, 5);
	assert_memory_equal(c.container.p, "web-1", 5);
	assert_int_equal(parse_summary("1" US "9223372036854775807" US "1" US "1" US "6" US "stored" US "ok" US US US US, &c), 0);
	assert_int_equal(c.time_usec, INT64_MAX);
	assert_int_equal(c.fingerprint.len, 0);
	assert_int_equal(c.exe.len, 0);
	assert_int_equal(c.message.len, 0);
	assert_int_equal(c.container.len, 0);
	assert_int_equal(parse_summary("1" US "-1234567812345678" US "1" US "1" US "6" US "removed" US "failed" US US US US, &c), 0);
	assert_int_equal(c.time_usec, -1234567812345678LL);
	/* what is not a summary */
	const char *bad[] = {
		"",
		"1" US "2" US "3",                                                           /* too few fields */
		"1" US "2" US "1" US "1" US "6" US "stored" US "ok" US US US,                /* before migration 6: no container */
		"1" US "9223372036854775808" US "1" US "1" US "6" US "stored" US "ok" US US US US, /* over INT64_MAX */
		"1" US "12345678901234567890" US "1" US "1" US "6" US "stored" US "ok" US US US US, /* 20 digits */
		"1" US "1234567:12345678" US "1" US "1" US "6" US "stored" US "ok" US US US US,    /* not a digit (8-digit path) */
		"1" US "12345678123/5678" US "1" US "1" US "6" US "stored" US "ok" US US US US,    /* not a digit (8-digit path) */
		"1" US US "1" US "1" US "6" US "stored" US "ok" US US US US,                    /* empty number */
		"1" US "-" US "1" US "1" US "6" US "stored" US "ok" US US US US,                   /* a sign only */
		"1" US "2" US "1" US "1" US "-6" US "stored" US "ok" US US US US,                  /* negative signal */
		"1" US "2" US "1" US "1" US "6" US "store" US "ok" US US US US,                    /* unknown core state */
		"1" US "2" US "1" US "1" US "6" US "stored" US "okay" US US US US,                 /* unknown analysis status */
		"1" US "2" US "x" US "1" US "6" US "stored" US "ok" US US US US,                   /* pid not a number */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_summary(bad[i], &c), -EBADMSG);
}

/* Migration 6: a crash's container and pod are stored, read back, in the
 * JSON, in the listing summary, and filtered on. */
struct ctr_seen {
	size_t n;
	char runtime[32], pod[64], exe_host[64], container[32];
};

static int ctr_cb(const struct cw_crash_record *c, void *userdata)
{
	struct ctr_seen *s = userdata;
	s->n++;
	snprintf(s->runtime, sizeof(s->runtime), "%s", c->ctr.runtime ? c->ctr.runtime : "-");
	snprintf(s->pod, sizeof(s->pod), "%s", c->ctr.pod_name ? c->ctr.pod_name : "-");
	snprintf(s->exe_host, sizeof(s->exe_host), "%s", c->ctr.exe_on_host ? c->ctr.exe_on_host : "-");
	return 0;
}

static int ctr_summary_cb(const struct cw_crash_summary *c, void *userdata)
{
	struct ctr_seen *s = userdata;
	s->n++;
	snprintf(s->container, sizeof(s->container), "%.*s", (int)c->container.len, c->container.p);
	return 0;
}

static void test_container(void **state)
{
	struct fixture *fx = *state;
	struct cw_crash_record a = make_crash("k1", 100, 7, 0, "/app", "app", NULL);
	a.unit = "kubepods-burstable-pod0a1b.slice";
	a.ctr = (struct cw_crash_container){
		.runtime = "containerd", .id = "4c9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899",
		.pod_uid = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", .pod_name = "api-7d9c", .pod_namespace = "shop",
		.qos_class = "Burstable", .exe_in_container = "/app", .exe_on_host = "/run/c/rootfs/app",
	};
	struct cw_crash_record b = make_crash("k2", 200, 8, 0, "/srv/db", "db", NULL);
	b.unit = "db.service";
	b.ctr = (struct cw_crash_container){ .runtime = "docker", .id = "aaaa1d2e3b5a6978", .name = "db" };
	struct cw_crash_record h = make_crash("k3", 300, 9, 0, "/bin/x", "x", NULL);
	int64_t id;
	assert_int_equal(cw_crash_insert(fx->db, &a, &id), 0);
	assert_int_equal(cw_crash_insert(fx->db, &b, &id), 0);
	assert_int_equal(cw_crash_insert(fx->db, &h, &id), 0);

	struct ctr_seen s = { 0 };
	struct cw_crash_filter f = { .container = "4c9f1d2e" };
	assert_int_equal(cw_crashes_foreach(fx->db, &f, ctr_cb, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.runtime, "containerd");
	assert_string_equal(s.pod, "api-7d9c");
	assert_string_equal(s.exe_host, "/run/c/rootfs/app");
	const struct { struct cw_crash_filter f; size_t n; } cases[] = {
		{ { .container = "db" }, 1 },             /* by name */
		{ { .container = "4c9f%" }, 0 },          /* LIKE wildcards are escaped */
		{ { .pod = "api-7d9c" }, 1 },
		{ { .pod = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" }, 1 },
		{ { .pod_namespace = "shop" }, 1 },
		{ { .pod_namespace = "default" }, 0 },
		{ { .unit = "db.service" }, 1 },
		{ { .unit = "db.service", .container = "4c9f" }, 0 },
		{ { 0 }, 3 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&s, 0, sizeof(s));
		assert_int_equal(cw_crashes_foreach(fx->db, &cases[i].f, ctr_cb, &s), 0);
		assert_int_equal(s.n, cases[i].n);
		memset(&s, 0, sizeof(s));
		assert_int_equal(cw_crashes_foreach_summary(fx->db, &cases[i].f, ctr_summary_cb, &s), 0);
		assert_int_equal(s.n, cases[i].n);
	}
	/* the listing's container: the name, else the id's first 12 digits, else nothing */
	const char *want[] = { "4c9f1d2e3b5a", "db", "" };
	for (int i = 0; i < 3; i++) {
		memset(&s, 0, sizeof(s));
		f = (struct cw_crash_filter){ .since_usec = 100 * (i + 1), .until_usec = 100 * (i + 1) };
		assert_int_equal(cw_crashes_foreach_summary(fx->db, &f, ctr_summary_cb, &s), 0);
		assert_int_equal(s.n, 1);
		assert_string_equal(s.container, want[i]);
	}
	/* JSON both ways */
	a.id = 1;
	struct json_object *o = cw_crash_to_json(&a, false), *ci;
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "container_info", &ci) && ci);
	struct cw_crash_record back;
	assert_int_equal(cw_crash_from_json(o, &back), 0);
	assert_string_equal(back.ctr.qos_class, "Burstable");
	assert_string_equal(back.ctr.exe_in_container, "/app");
	assert_null(back.ctr.name);
	json_object_put(o);
	o = cw_crash_to_json(&h, false);
	assert_true(json_object_object_get_ex(o, "container_info", &ci));
	assert_null(ci);
	json_object_put(o);
}

struct libs_seen {
	size_t n, n_libraries;
	bool truncated;
	char line[512];
};

static int libs_cb(const struct cw_crash_record *c, void *userdata)
{
	struct libs_seen *x = userdata;
	x->n++;
	x->n_libraries = c->n_libraries;
	x->truncated = c->libraries_truncated;
	size_t k = 0;
	x->line[0] = '\0';
	for (size_t i = 0; i < c->n_libraries && k < sizeof(x->line); i++)
		k += (size_t)snprintf(x->line + k, sizeof(x->line) - k, "%s%s=%s@%s", i ? ";" : "", c->libraries[i].path,
				      c->libraries[i].build_id ? c->libraries[i].build_id : "-",
				      c->libraries[i].copy ? c->libraries[i].copy : "-");
	return 0;
}

/* A container crash's kept libraries (migration 8): stored with the
 * crash in order, listed back, in info's records and JSON, refused
 * without a path (the whole crash rolled back), deleted with the crash. */
static void test_libraries(void **state)
{
	struct fixture *fx = *state;
	static const struct cw_crash_library kept[] = {
		{ "/opt/lib/libfoo.so.1", "9c1d00aa", "/var/lib/crashwatch/executables/9c1d00aa" },
		{ "/usr/lib/libbar.so (deleted)", NULL, "/var/lib/crashwatch/executables/77" },
		{ "/lib/libc.so.6", "ab", NULL },
	};
	struct cw_crash_record a = make_crash("l1", 100, 7, 0, "/app", "app", NULL);
	a.libraries = kept;
	a.n_libraries = 3;
	a.libraries_truncated = true;
	struct cw_crash_record b = make_crash("l2", 200, 8, 0, "/app", "app", NULL);
	int64_t ida = 0, idb = 0;
	assert_int_equal(cw_crash_insert(fx->db, &a, &ida), 0);
	assert_int_equal(cw_crash_insert(fx->db, &b, &idb), 0);

	struct cw_crash_libraries l;
	assert_int_equal(cw_crash_libraries_list(fx->db, ida, &l), 0);
	assert_int_equal(l.n, 3);
	assert_true(l.truncated);
	assert_string_equal(l.v[0].path, "/opt/lib/libfoo.so.1");
	assert_string_equal(l.v[0].build_id, "9c1d00aa");
	assert_string_equal(l.v[0].copy, "/var/lib/crashwatch/executables/9c1d00aa");
	assert_null(l.v[1].build_id);
	assert_string_equal(l.v[1].path, "/usr/lib/libbar.so (deleted)");
	assert_null(l.v[2].copy);
	cw_crash_libraries_clear(&l);
	assert_int_equal(cw_crash_libraries_list(fx->db, idb, &l), 0);
	assert_int_equal(l.n, 0);
	assert_false(l.truncated);
	cw_crash_libraries_clear(&l);
	assert_int_equal(cw_crash_libraries_list(fx->db, 999, &l), 0); /* no such crash: none */
	assert_int_equal(l.n, 0);

	/* info's records carry them, listings do not read them */
	struct libs_seen x = { 0 };
	struct cw_crash_filter fa = { .id = ida, .with_analysis = true };
	assert_int_equal(cw_crashes_foreach(fx->db, &fa, libs_cb, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.n_libraries, 3);
	assert_true(x.truncated);
	assert_string_equal(x.line, "/opt/lib/libfoo.so.1=9c1d00aa@/var/lib/crashwatch/executables/9c1d00aa;"
			    "/usr/lib/libbar.so (deleted)=-@/var/lib/crashwatch/executables/77;/lib/libc.so.6=ab@-");
	memset(&x, 0, sizeof(x));
	fa.with_analysis = false;
	assert_int_equal(cw_crashes_foreach(fx->db, &fa, libs_cb, &x), 0);
	assert_int_equal(x.n_libraries, 0);

	/* JSON both ways; a crash without any has neither key */
	a.id = ida;
	struct json_object *o = cw_crash_to_json(&a, false), *arr, *t;
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "libraries", &arr));
	assert_int_equal(json_object_array_length(arr), 3);
	assert_true(json_object_object_get_ex(o, "libraries_truncated", &t) && json_object_get_boolean(t));
	assert_string_equal(json_object_to_json_string_ext(json_object_array_get_idx(arr, 1), JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE),
			    "{\"path\":\"/usr/lib/libbar.so (deleted)\",\"build_id\":null,"
			    "\"copy\":\"/var/lib/crashwatch/executables/77\"}");
	assert_int_equal(cw_crash_libraries_from_json(o, &l), 0);
	assert_int_equal(l.n, 3);
	assert_true(l.truncated);
	assert_string_equal(l.v[2].build_id, "ab");
	assert_null(l.v[2].copy);
	cw_crash_libraries_clear(&l);
	json_object_put(o);
	b.id = idb;
	o = cw_crash_to_json(&b, false);
	assert_false(json_object_object_get_ex(o, "libraries", &arr));
	assert_false(json_object_object_get_ex(o, "libraries_truncated", &t));
	assert_int_equal(cw_crash_libraries_from_json(o, &l), 0);
	assert_int_equal(l.n, 0);
	json_object_put(o);

	/* a library without a path: refused, nothing of that crash stored */
	static const struct cw_crash_library nopath[] = { { NULL, "aa", "/x" } };
	struct cw_crash_record c = make_crash("l3", 300, 9, 0, "/app", "app", NULL);
	c.libraries = nopath;
	c.n_libraries = 1;
	int64_t idc = 0;
	assert_int_equal(cw_crash_insert(fx->db, &c, &idc), -EINVAL);
	assert_int_equal(cw_crash_exists(fx->db, "l3", NULL), 0);

	/* deleted with their crash (foreign keys, as cw_db_open turns on) */
	sqlite3 *h = NULL;
	assert_int_equal(sqlite3_open(fx->path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA foreign_keys=ON", NULL, NULL, NULL), SQLITE_OK);
	char sql[128];
	snprintf(sql, sizeof(sql), "DELETE FROM crashes WHERE id = %" PRId64, ida);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM crash_libraries", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	assert_int_equal(cw_crash_libraries_list(fx->db, ida, &l), 0);
	assert_int_equal(l.n, 0);
}

struct loops_seen {
	size_t n;
	struct cw_crash_loop last;
	char fp[80];
};

static int loop_cb(const struct cw_crash_loop *l, void *userdata)
{
	struct loops_seen *x = userdata;
	x->n++;
	x->last = *l;
	snprintf(x->fp, sizeof(x->fp), "%s", l->fingerprint);
	x->last.fingerprint = x->fp;
	return 0;
}

/* A run per fingerprint: the first core kept, the repeats counted (with
 * and without a fingerprint), the @@ decision by build id, a new run after
 * a quiet interval, restricted readers. */
static void test_crash_loops(void **state)
{
	struct fixture *fx = *state;
	const uint64_t iv = 600ULL * 1000000;
	const int64_t t0 = 1700000000LL * 1000000;
	char fp[128];
	struct cw_crash_record c = make_crash("loop-1", t0, 10, 1000, "/bin/svc", "svc", "f00d");
	int64_t id = 0;
	assert_int_equal(cw_crash_insert(fx->db, &c, &id), 0);
	assert_int_equal(cw_loop_is_repeat(fx->db, "f00d", 1000, t0, iv, 1), 0);
	struct cw_loop_crash lc = { .fingerprint = "f00d", .build_id = "b1", .exe = "/bin/svc", .uid = 1000, .time_usec = t0,
				    .crash_id = id, .core_kept = true };
	assert_int_equal(cw_loop_count(fx->db, &lc, iv), 0);
	/* one core kept: the next crash of f00d within the interval is a repeat */
	assert_int_equal(cw_loop_is_repeat(fx->db, "f00d", 1000, t0 + 5000000, iv, 1), 1);
	assert_int_equal(cw_loop_is_repeat(fx->db, "f00d", 1000, t0 + 5000000, iv, 2), 0);
	/* runs are per user: another user's crash of the same bug keeps its core */
	assert_int_equal(cw_loop_is_repeat(fx->db, "f00d", 65534, t0 + 5000000, iv, 1), 0);
	assert_int_equal(cw_loop_should_reject(fx->db, "b1", 65534, t0 + 5000000, iv, 1, fp, sizeof(fp)), 0);
	assert_int_equal(cw_loop_is_repeat(fx->db, "beef", 1000, t0 + 5000000, iv, 1), 0);
	assert_int_equal(cw_loop_should_reject(fx->db, "b1", 1000, t0 + 5000000, iv, 1, fp, sizeof(fp)), 1);
	assert_string_equal(fp, "f00d");
	assert_int_equal(cw_loop_should_reject(fx->db, "b2", 1000, t0 + 5000000, iv, 1, fp, sizeof(fp)), 0);
	assert_int_equal(cw_loop_should_reject(fx->db, "b1", 1000, t0 + 5000000, iv, 0, fp, sizeof(fp)), 0);
	/* no loop yet: a run without a dropped core is not listed */
	struct loops_seen seen = { 0 };
	assert_int_equal(cw_loops_foreach(fx->db, false, 0, 0, false, loop_cb, &seen), 0);
	assert_int_equal(seen.n, 0);
	/* a repeat with its fingerprint, then one without (rejected) */
	lc.time_usec = t0 + 5000000, lc.crash_id = 2, lc.core_kept = false;
	assert_int_equal(cw_loop_count(fx->db, &lc, iv), 0);
	assert_int_equal(cw_loop_count_unanalysed(fx->db, "b1", 1000, t0 + 9000000, iv, 3), 0);
	assert_int_equal(cw_loop_count_unanalysed(fx->db, "b9", 1000, t0 + 9000000, iv, 4), -ENOENT);
	assert_int_equal(cw_loops_foreach(fx->db, false, 0, 0, false, loop_cb, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.last.fingerprint, "f00d");
	assert_int_equal(seen.last.count, 3);
	assert_int_equal(seen.last.cores, 1);
	assert_int_equal(seen.last.dropped, 2);
	assert_int_equal(seen.last.first_usec, t0);
	assert_int_equal(seen.last.last_usec, t0 + 9000000);
	assert_int_equal(seen.last.example_id, id);
	assert_int_equal(seen.last.last_id, 3);
	assert_false(seen.last.reported);
	/* the owner sees it, another unprivileged user does not */
	seen.n = 0;
	assert_int_equal(cw_loops_foreach(fx->db, true, 1000, 0, false, loop_cb, &seen), 0);
	assert_int_equal(seen.n, 1);
	seen.n = 0;
	assert_int_equal(cw_loops_foreach(fx->db, true, 1001, 0, false, loop_cb, &seen), 0);
	assert_int_equal(seen.n, 0);
	/* reported: gone from the unreported walk, still listed */
	assert_int_equal(cw_loop_mark_reported(fx->db, "f00d", 1000), 0);
	seen.n = 0;
	assert_int_equal(cw_loops_foreach(fx->db, false, 0, 0, true, loop_cb, &seen), 0);
	assert_int_equal(seen.n, 0);
	/* a second fingerprint of the same executable: no decision before the core */
	struct cw_loop_crash other = { .fingerprint = "beef", .build_id = "b1", .exe = "/bin/svc", .uid = 1000,
				       .time_usec = t0 + 10000000, .crash_id = 5, .core_kept = true };
	assert_int_equal(cw_loop_count(fx->db, &other, iv), 0);
	assert_int_equal(cw_loop_should_reject(fx->db, "b1", 1000, t0 + 11000000, iv, 1, fp, sizeof(fp)), 0);
	assert_int_equal(cw_loop_count_unanalysed(fx->db, "b1", 1000, t0 + 11000000, iv, 6), -EEXIST);
	/* a crash from long before the run (a spool entry ingested late) is
	 * neither a repeat nor a new run */
	assert_int_equal(cw_loop_is_repeat(fx->db, "f00d", 1000, t0 - 2 * (int64_t)iv, iv, 1), 0);
	lc.time_usec = t0 - 2 * (int64_t)iv, lc.crash_id = 8, lc.core_kept = true;
	assert_int_equal(cw_loop_count(fx->db, &lc, iv), 0);
	assert_int_equal(cw_loop_is_repeat(fx->db, "f00d", 1000, t0 + 9500000, iv, 1), 1);
	/* quiet for longer than the interval: a new run, its core kept again */
	int64_t later = t0 + 9000000 + (int64_t)iv + 1;
	assert_int_equal(cw_loop_is_repeat(fx->db, "f00d", 1000, later, iv, 1), 0);
	lc.time_usec = later, lc.crash_id = 7, lc.core_kept = true;
	assert_int_equal(cw_loop_count(fx->db, &lc, iv), 0);
	seen.n = 0;
	assert_int_equal(cw_loops_foreach(fx->db, false, 0, 0, false, loop_cb, &seen), 0);
	assert_int_equal(seen.n, 0); /* the new run has no repeat yet */
	assert_int_equal(cw_loop_is_repeat(fx->db, "f00d", 1000, later + 1, iv, 1), 1);
}

/* Every connection opened while this is registered (sqlite3_auto_extension)
 * may not grow its file: SQLite clamps max_page_count to the pages the
 * file has, so the next write that needs a page fails with SQLITE_FULL,
 * as on a full disk. */
static int no_more_pages(sqlite3 *h, const char **err, const struct sqlite3_api_routines *api)
{
	(void)err;
	(void)api;
	return sqlite3_exec(h, "PRAGMA max_page_count=1", NULL, NULL, NULL);
}

static void test_full_disk(void **state)
{
	struct fixture *fx = *state;
	/* bigger than the free room of every page the new database has */
	size_t big = 256 * 1024;
	char *json = malloc(big + 16);
	assert_non_null(json);
	int k = snprintf(json, 16, "{\"x\":\"");
	memset(json + k, 'x', big);
	strcpy(json + k + big, "\"}");
	struct cw_crash_record c = make_crash("0000000000000009-1-aaaaaaaa", 9000, 9, 0, "/bin/full", "full", "ffull");
	c.analysis_json = json;

	cw_db_close(fx->db);
	fx->db = NULL;
	assert_int_equal(sqlite3_auto_extension((void (*)(void))no_more_pages), SQLITE_OK);
	int r = cw_db_open(fx->path, CW_DB_READWRITE, &fx->db);
	sqlite3_reset_auto_extension();
	assert_int_equal(r, 0);
	int64_t id = 0;
	/* the crash tables (crashes.c) and the outbox alike: -ENOSPC, not -EIO */
	assert_int_equal(cw_crash_insert(fx->db, &c, &id), -ENOSPC);
	assert_int_equal(cw_crash_exists(fx->db, c.spool_id, NULL), 0); /* rolled back */
	assert_int_equal(cw_outbox_insert(fx->db, "1", "Upload", "json", json, 1, NULL), -ENOSPC);
	struct cw_outbox_counts oc;
	assert_int_equal(cw_outbox_counts(fx->db, &oc), 0);
	assert_int_equal(oc.pending, 0);

	/* with room again the same insert goes in: it was the limit */
	cw_db_close(fx->db);
	fx->db = NULL;
	assert_int_equal(cw_db_open(fx->path, CW_DB_READWRITE, &fx->db), 0);
	assert_int_equal(cw_crash_insert(fx->db, &c, &id), 0);
	assert_int_equal(cw_crash_exists(fx->db, c.spool_id, NULL), 1);
	free(json);
}

/* Retention of runs: an ended, reported loop and an ended non-loop go; a
 * live run and an unreported loop stay (until stale). */
static void test_loops_prune(void **state)
{
	struct fixture *fx = *state;
	const uint64_t iv = 600ULL * 1000000;
	const int64_t t0 = 1700000000LL * 1000000, day = 86400LL * 1000000;
	struct cw_loop_crash lc = { .fingerprint = "aaaa", .build_id = "b1", .exe = "/bin/a", .uid = 0,
				    .time_usec = t0, .crash_id = 1, .core_kept = true };
	assert_int_equal(cw_loop_count(fx->db, &lc, iv), 0);
	lc.time_usec = t0 + 1000000, lc.crash_id = 2, lc.core_kept = false;
	assert_int_equal(cw_loop_count(fx->db, &lc, iv), 0);          /* aaaa: a loop, reported below */
	assert_int_equal(cw_loop_mark_reported(fx->db, "aaaa", 0), 0);
	struct cw_loop_crash b = { .fingerprint = "bbbb", .uid = 0, .time_usec = t0, .crash_id = 3, .core_kept = true };
	assert_int_equal(cw_loop_count(fx->db, &b, iv), 0);           /* bbbb: never a loop */
	struct cw_loop_crash c = { .fingerprint = "cccc", .uid = 0, .time_usec = t0, .crash_id = 4, .core_kept = false };
	assert_int_equal(cw_loop_count(fx->db, &c, iv), 0);           /* cccc: a loop, not reported */
	struct cw_loop_crash live = { .fingerprint = "dddd", .uid = 0, .time_usec = t0 + 2 * day, .crash_id = 5,
				      .core_kept = true };
	assert_int_equal(cw_loop_count(fx->db, &live, iv), 0);
	struct cw_crash_loop l;
	assert_int_equal(cw_loop_get_run(fx->db, "aaaa", 0, &l), 0);
	assert_int_equal(l.count, 2);
	assert_int_equal(l.cores, 1);
	assert_int_equal(l.first_usec, t0);
	assert_int_equal(l.last_usec, t0 + 1000000);
	assert_null(l.fingerprint);
	assert_int_equal(cw_loop_get_run(fx->db, "aaaa", 1000, &l), -ENOENT);
	/* ended before t0 + day: aaaa and bbbb go, cccc waits for its report */
	assert_int_equal(cw_loops_prune(fx->db, t0 + day, t0 - day), 2);
	assert_int_equal(cw_loop_get_run(fx->db, "aaaa", 0, &l), -ENOENT);
	assert_int_equal(cw_loop_get_run(fx->db, "bbbb", 0, &l), -ENOENT);
	assert_int_equal(cw_loop_get_run(fx->db, "cccc", 0, &l), 0);
	assert_int_equal(cw_loop_get_run(fx->db, "dddd", 0, &l), 0);
	assert_int_equal(cw_loops_prune(fx->db, t0 + day, t0 - day), 0);
	/* stale: the unreported one goes too, the live one stays */
	assert_int_equal(cw_loops_prune(fx->db, t0 + day, t0 + day), 1);
	assert_int_equal(cw_loop_get_run(fx->db, "cccc", 0, &l), -ENOENT);
	assert_int_equal(cw_loop_get_run(fx->db, "dddd", 0, &l), 0);
}

/* Upgrades of databases holding data: for every released schema version
 * before the latest, a database made only that far (cw_db_create_at_version)
 * gets rows in plain SQL as that version's code wrote them, then
 * cw_db_open migrates it; every row must come back through the storage API
 * as it went in, and the API must write to the upgraded database. */
#define UP_FP "c0ffee00112233445566778899aabbccddeeff00112233445566778899aabbcc"

static void up_exec(sqlite3 *h, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("seeding: %s: %s", err ? err : "?", sql);
}

/* What each version's code stored: two crashes (one restricted, without
 * core, exe or message), an analysis, a group; an outbox from 2 on; a
 * crash in a container from 6 on. */
static void up_seed(const char *path, int v)
{
	sqlite3 *h = NULL;
	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	up_exec(h, "BEGIN");
	up_exec(h, "INSERT INTO crashes (id, spool_id, time_usec, host, boot_id, pid, tid, uid, gid, signal,"
		   " restricted, exe, build_id, comm, cmdline, unit, container, go_version, go_module, message,"
		   " crashed_goroutine, goroutine_count, fault_location, fingerprint, core_state, core_size,"
		   " core_disk_size, core_path, exe_copy, analysis_status, analysis_error) VALUES"
		   " (10, '0000000001000000-4242-0000000a', 1000000, 'host1', 'boot1', 4242, 4243, 1000, 1000, 11, 0,"
		   " '/srv/bin/api', 'b1d', 'api', '/srv/bin/api -x', 'api.service', NULL, 'go1.22.1',"
		   " 'example.com/api', 'panic: old message', 7, 12, 'main.f /src/main.go:14', '" UP_FP "',"
		   " 'stored', 5000, 500, '/var/lib/crashwatch/cores/a.core.zst', NULL, 'ok', NULL),"
		   " (11, '0000000002000000-77-0000000b', 2000000, 'host1', 'boot1', 77, 77, 0, 0, 6, 1,"
		   " NULL, NULL, 'cron', NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL,"
		   " 'metadata-only', 1234, 0, NULL, NULL, 'failed', 'no core stored (rate-limited)');"
		   "INSERT INTO analyses (crash_id, json) VALUES (10, '{\"schema\":\"crashwatch.analysis.v1\",\"n\":1}');"
		   "INSERT INTO groups (fingerprint, count, first_usec, last_usec, example_id)"
		   " VALUES ('" UP_FP "', 1, 1000000, 1000000, 10);");
	if (v >= 2)
		up_exec(h, "INSERT INTO outbox (delivery_id, crash_id, endpoint, format, payload, state, attempts,"
			   " created_at, next_attempt_at, last_attempt_at, delivered_at, last_status, last_error) VALUES"
			   " ('00000000000000000000000000000d01', '0000000001000000-4242-0000000a', 'Upload', 'json',"
			   " '{\"id\":10}', 'dead', 3, 100, 200, 150, 0, 500, 'HTTP 500'),"
			   " ('00000000000000000000000000000d02', '0000000002000000-77-0000000b', 'Upload slack', 'slack',"
			   " '{\"id\":11}', 'pending', 0, 300, 300, 0, 0, 0, NULL)");
	if (v >= 6)
		up_exec(h, "INSERT INTO crashes (id, spool_id, time_usec, pid, tid, uid, gid, signal, exe, comm, unit,"
			   " container, message, fingerprint, core_state, analysis_status, container_runtime,"
			   " container_id, container_name, container_image, pod_uid, pod_name, pod_namespace,"
			   " pod_qos_class, exe_in_container, exe_on_host) VALUES"
			   " (12, '0000000003000000-90-0000000c', 3000000, 90, 90, 1000, 1000, 6, '/usr/bin/db', 'db',"
			   " 'docker-d2.scope', 'docker', 'fatal error: db', NULL, 'removed', 'pending', 'docker',"
			   " 'd2d2d2d2d2d2d2d2d2d2', 'pg', 'postgres:16', 'u-1', 'db-0', 'shop', 'Burstable',"
			   " '/usr/bin/db', '/var/lib/docker/x/usr/bin/db')");
	up_exec(h, "COMMIT");
	sqlite3_close(h);
}

struct up_crashes {
	size_t n;
	int64_t ids[8];
	char line[8][512];
};

static int up_record(const struct cw_crash_record *c, void *userdata)
{
	struct up_crashes *u = userdata;
	if (u->n >= 8)
		return -E2BIG;
	u->ids[u->n] = c->id;
	snprintf(u->line[u->n], sizeof(u->line[0]),
		 "%s|%" PRId64 "|%s|%" PRId64 "/%" PRId64 "|%" PRId64 "/%" PRId64 "|%d|%d|%s|%s|%s|%s|%s|%s|%s|%s|%s"
		 "|%" PRId64 "|%" PRId64 "|%s|%s|%s|%" PRId64 "|%" PRId64 "|%s|%s|%s|%s|%s|%s|%s|%s",
		 c->spool_id, c->time_usec, c->host ? c->host : "-", c->pid, c->tid, c->uid, c->gid, c->signal,
		 c->restricted, c->exe ? c->exe : "-", c->build_id ? c->build_id : "-", c->comm ? c->comm : "-",
		 c->cmdline ? c->cmdline : "-", c->unit ? c->unit : "-", c->go_version ? c->go_version : "-",
		 c->go_module ? c->go_module : "-", c->message ? c->message : "-",
		 c->fault_location ? c->fault_location : "-", c->crashed_goroutine, c->goroutine_count,
		 c->fingerprint ? c->fingerprint : "-", cw_core_state_name(c->core_state),
		 c->core_path ? c->core_path : "-", c->core_size, c->core_disk_size,
		 cw_analysis_status_name(c->analysis_status), c->analysis_error ? c->analysis_error : "-",
		 c->analysis_json ? c->analysis_json : "-", c->ctr.runtime ? c->ctr.runtime : "-",
		 c->ctr.name ? c->ctr.name : "-", c->ctr.image ? c->ctr.image : "-",
		 c->ctr.pod_namespace ? c->ctr.pod_namespace : "-", c->ctr.exe_on_host ? c->ctr.exe_on_host : "-");
	u->n++;
	return 0;
}

static int up_summary(const struct cw_crash_summary *s, void *userdata)
{
	struct up_crashes *u = userdata;
	if (u->n >= 8)
		return -E2BIG;
	u->ids[u->n] = s->id;
	snprintf(u->line[u->n], sizeof(u->line[0]), "%" PRId64 "|%" PRId64 "|%.*s|%.*s|%d|%s|%s|%.*s|%.*s|%.*s|%.*s",
		 s->id, s->time_usec, (int)s->pid_text.len, s->pid_text.p, (int)s->uid_text.len, s->uid_text.p,
		 s->signal, cw_core_state_name(s->core_state), cw_analysis_status_name(s->analysis_status),
		 (int)s->fingerprint.len, s->fingerprint.p, (int)s->exe.len, s->exe.p,
		 (int)s->container.len, s->container.p, (int)s->message.len, s->message.p);
	u->n++;
	return 0;
}

static int up_group(const struct cw_group *g, void *userdata)
{
	struct up_crashes *u = userdata;
	if (u->n >= 8)
		return -E2BIG;
	snprintf(u->line[u->n++], sizeof(u->line[0]), "%s|%" PRId64 "|%" PRId64 "|%" PRId64 "|%" PRId64 "|%s|%s",
		 g->fingerprint, g->count, g->first_usec, g->last_usec, g->example_id, g->exe ? g->exe : "-",
		 g->message ? g->message : "-");
	return 0;
}

static void up_check(const char *path, int v)
{
	struct cw_db *db = NULL;
	int got = 0;
	assert_int_equal(cw_db_open(path, CW_DB_READWRITE, &db), 0);
	assert_int_equal(cw_db_schema_version(db, &got), 0);
	assert_int_equal(got, cw_db_latest_version());

	/* every column of every row, analysis included */
	struct cw_crash_filter all = { .with_analysis = true };
	struct up_crashes u = { 0 };
	assert_int_equal(cw_crashes_foreach(db, &all, up_record, &u), 0);
	assert_int_equal(u.n, v >= 6 ? 3 : 2);
	assert_string_equal(u.line[0], "0000000001000000-4242-0000000a|1000000|host1|4242/4243|1000/1000|11|0"
			    "|/srv/bin/api|b1d|api|/srv/bin/api -x|api.service|go1.22.1|example.com/api"
			    "|panic: old message|main.f /src/main.go:14|7|12|" UP_FP "|stored"
			    "|/var/lib/crashwatch/cores/a.core.zst|5000|500|ok|-"
			    "|{\"schema\":\"crashwatch.analysis.v1\",\"n\":1}|-|-|-|-|-");
	assert_string_equal(u.line[1], "0000000002000000-77-0000000b|2000000|host1|77/77|0/0|6|1|-|-|cron|-|-|-|-|-|-"
			    "|0|0|-|metadata-only|-|1234|0|failed|no core stored (rate-limited)|-|-|-|-|-|-");
	if (v >= 6)
		assert_string_equal(u.line[2], "0000000003000000-90-0000000c|3000000|-|90/90|1000/1000|6|0|/usr/bin/db|-|db|-"
				    "|docker-d2.scope|-|-|fatal error: db|-|0|0|-|removed|-|0|0|pending|-|-"
				    "|docker|pg|postgres:16|shop|/var/lib/docker/x/usr/bin/db");

	/* the listing's summaries, which migrations 3, 5 and 6 rebuilt */
	struct cw_crash_filter none = { 0 };
	struct up_crashes s = { 0 };
	assert_int_equal(cw_crashes_foreach_summary(db, &none, up_summary, &s), 0);
	assert_int_equal(s.n, u.n);
	assert_string_equal(s.line[0], "10|1000000|4242|1000|11|stored|ok|c0ffee001122|/srv/bin/api||panic: old message");
	assert_string_equal(s.line[1], "11|2000000|77|0|6|metadata-only|failed||cron||");
	if (v >= 6)
		assert_string_equal(s.line[2], "12|3000000|90|1000|6|removed|pending||/usr/bin/db|pg|fatal error: db");
	bool any = true;
	assert_int_equal(cw_crashes_any_container(db, &none, &any), 0);
	assert_int_equal(any, v >= 6);

	/* an unprivileged reader: their own, non-restricted crashes */
	struct cw_crash_filter mine = { .restrict_uid = true, .uid = 1000 };
	struct up_crashes m = { 0 };
	assert_int_equal(cw_crashes_foreach(db, &mine, up_record, &m), 0);
	assert_int_equal(m.n, v >= 6 ? 2 : 1);
	assert_int_equal(m.ids[0], 10);
	struct cw_crash_filter ctr = { .container = "pg" };
	struct up_crashes c = { 0 };
	assert_int_equal(cw_crashes_foreach(db, &ctr, up_record, &c), 0);
	assert_int_equal(c.n, v >= 6 ? 1 : 0);

	struct up_crashes g = { 0 };
	assert_int_equal(cw_groups_foreach(db, false, 0, up_group, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.line[0], UP_FP "|1|1000000|1000000|10|/srv/bin/api|panic: old message");

	struct cw_outbox_filter of = { .any_state = true };
	struct cw_outbox_entry *e = NULL;
	size_t ne = 0;
	assert_int_equal(cw_outbox_list(db, &of, &e, &ne), 0);
	assert_int_equal(ne, v >= 2 ? 2 : 0);
	if (v >= 2) { /* newest first */
		assert_string_equal(e[1].delivery_id, "00000000000000000000000000000d01");
		assert_string_equal(e[1].crash_id, "0000000001000000-4242-0000000a");
		assert_string_equal(e[1].endpoint, "Upload");
		assert_string_equal(e[1].payload, "{\"id\":10}");
		assert_int_equal(e[1].state, CW_OUTBOX_DEAD);
		assert_int_equal(e[1].attempts, 3);
		assert_int_equal(e[1].last_status, 500);
		assert_string_equal(e[1].last_error, "HTTP 500");
		assert_string_equal(e[0].endpoint, "Upload slack");
		assert_string_equal(e[0].format, "slack");
		assert_int_equal(e[0].state, CW_OUTBOX_PENDING);
		assert_int_equal(e[0].next_attempt_at, 300);
	}
	cw_outbox_entries_free(e, ne);

	/* the API writes to the upgraded database: a crash of the same
	 * fingerprint (its group counts 2), a second delivery of an old crash
	 * to the same endpoint (migration 4), a crash loop (migration 7) */
	struct cw_crash_record nc = make_crash("0000000004000000-5-0000000d", 4000000, 5, 1000, "/srv/bin/api",
					       "api", UP_FP);
	int64_t id = 0, out_id = 0;
	static const struct cw_crash_library nl[] = { { "/opt/lib/libu.so", "beef", "/s/executables/beef" } };
	nc.libraries = nl;
	nc.n_libraries = 1;
	assert_int_equal(cw_crash_insert(db, &nc, &id), 0);
	assert_true(id > (v >= 6 ? 12 : 11));
	struct cw_crash_libraries ul;
	assert_int_equal(cw_crash_libraries_list(db, id, &ul), 0); /* migration 8 */
	assert_int_equal(ul.n, 1);
	assert_string_equal(ul.v[0].path, "/opt/lib/libu.so");
	cw_crash_libraries_clear(&ul);
	assert_int_equal(cw_outbox_insert(db, "0000000001000000-4242-0000000a", "Upload", "json", "{}", 400, &out_id), 0);
	struct cw_loop_crash lc = { .fingerprint = UP_FP, .uid = 1000, .time_usec = 4000000, .crash_id = id };
	assert_int_equal(cw_loop_count(db, &lc, 60000000), 0);
	struct up_crashes after = { 0 };
	assert_int_equal(cw_crashes_foreach_summary(db, &none, up_summary, &after), 0);
	assert_int_equal(after.n, u.n + 1);
	assert_int_equal(after.ids[after.n - 1], id);
	struct up_crashes g2 = { 0 };
	assert_int_equal(cw_groups_foreach(db, false, 0, up_group, &g2), 0);
	assert_int_equal(g2.n, 1);
	assert_string_equal(g2.line[0], UP_FP "|2|1000000|4000000|10|/srv/bin/api|panic: old message");
	struct cw_outbox_counts oc;
	assert_int_equal(cw_outbox_counts(db, &oc), 0);
	assert_int_equal(oc.pending + oc.dead, v >= 2 ? 3 : 1);
	cw_db_close(db);

	/* and the upgraded file is sound */
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static void test_upgrade_with_data(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(cw_db_create_at_version(fx->path, cw_db_latest_version() + 1), -EINVAL);
	for (int v = 1; v < cw_db_latest_version(); v++) {
		char path[128], p[160];
		snprintf(path, sizeof(path), "%s/v%d.db", fx->dir, v);
		printf("# upgrading a database of schema version %d\n", v); /* which one, when an assert fails */
		assert_int_equal(cw_db_create_at_version(path, v), 0);
		struct cw_db *ro = NULL;
		int got = 0;
		assert_int_equal(cw_db_open(path, CW_DB_READONLY, &ro), 0); /* read-only: no migration */
		assert_int_equal(cw_db_schema_version(ro, &got), 0);
		cw_db_close(ro);
		assert_int_equal(got, v);
		up_seed(path, v);
		up_check(path, v);
		static const char *const suffix[] = { "", "-wal", "-shm" };
		for (size_t i = 0; i < 3; i++) {
			snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
			unlink(p);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_with_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loops_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_loops, setup, teardown),
		cmocka_unit_test(test_summary_parse),
		cmocka_unit_test_setup_teardown(test_container, setup, teardown),
		cmocka_unit_test_setup_teardown(test_libraries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
