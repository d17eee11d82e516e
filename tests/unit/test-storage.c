/* Unit tests for storage/: migrations, insert (idempotent), filters,
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
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "storage/outbox.h"
#include "storage/storage.h"
#include "storage/crash_json.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_and_reopen, setup, teardown),
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
		cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
