/* Unit tests for storage/outbox.c on a real (temporary) database:
 * queueing, claiming due rows, retry bookkeeping, dead letters, recovery. */
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

#include "storage/outbox.h"
#include "storage/storage.h"

struct ctx {
	char dir[64];
	char path[128];
	struct cw_db *db;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	snprintf(c->dir, sizeof(c->dir), "/tmp/cw-outbox-XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->path, sizeof(c->path), "%s/crashwatch.db", c->dir);
	assert_int_equal(cw_db_open(c->path, CW_DB_READWRITE, &c->db), 0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	char buf[256];
	cw_db_close(c->db);
	unlink(c->path);
	snprintf(buf, sizeof(buf), "%s-wal", c->path);
	unlink(buf);
	snprintf(buf, sizeof(buf), "%s-shm", c->path);
	unlink(buf);
	rmdir(c->dir);
	free(c);
	return 0;
}

static void test_queue_claim_deliver(void **state)
{
	struct ctx *c = *state;
	int64_t id1, id2, again;
	assert_int_equal(cw_outbox_insert(c->db, "1", "Upload", "json", "{\"a\":1}", 1000, &id1), 0);
	assert_int_equal(cw_outbox_insert(c->db, "1", "Upload slack", "slack", "{}", 1000, &id2), 0);
	assert_true(id1 != id2);
	/* another crash that got the same id (ids may be reused once records go)
	 * is queued too, with its own delivery id */
	assert_int_equal(cw_outbox_insert(c->db, "1", "Upload", "json", "{\"a\":2}", 1001, &again), 0);
	assert_true(again != id1 && again != id2);
	struct cw_outbox_filter cf = { .any_state = true, .crash_id = "1" };
	struct cw_outbox_entry *all = NULL;
	size_t nall = 0;
	assert_int_equal(cw_outbox_list(c->db, &cf, &all, &nall), 0);
	assert_int_equal(nall, 3);
	assert_string_not_equal(all[0].delivery_id, all[2].delivery_id);
	cw_outbox_entries_free(all, nall);
	assert_int_equal(cw_outbox_mark_dead(c->db, again, 0, "test"), 0);

	struct cw_outbox_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(cw_outbox_claim_due(c->db, NULL, 999, 10, &e, &n), 0);
	assert_int_equal(n, 0);
	free(e);
	assert_int_equal(cw_outbox_claim_due(c->db, "Upload", 1000, 10, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].id, id1);
	assert_int_equal(e[0].state, CW_OUTBOX_SENDING);
	assert_int_equal(e[0].attempts, 1);
	assert_string_equal(e[0].payload, "{\"a\":1}");
	assert_int_equal(strlen(e[0].delivery_id), 32);
	char delivery[33];
	memcpy(delivery, e[0].delivery_id, sizeof(delivery));
	cw_outbox_entries_free(e, n);
	/* a claimed row is not claimed twice */
	assert_int_equal(cw_outbox_claim_due(c->db, "Upload", 1000, 10, &e, &n), 0);
	assert_int_equal(n, 0);
	free(e);

	/* failure: back to pending with a later due time, same delivery id */
	assert_int_equal(cw_outbox_mark_failed(c->db, id1, 500, "HTTP 500", 1010), 0);
	int64_t due;
	assert_int_equal(cw_outbox_next_due(c->db, "Upload", &due), 0);
	assert_int_equal(due, 1010);
	assert_int_equal(cw_outbox_claim_due(c->db, "Upload", 1010, 10, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].delivery_id, delivery);
	assert_int_equal(e[0].attempts, 2);
	assert_int_equal(e[0].last_status, 500);
	assert_string_equal(e[0].last_error, "HTTP 500");
	cw_outbox_entries_free(e, n);
	assert_int_equal(cw_outbox_mark_delivered(c->db, id1, 204, 1011), 0);

	struct cw_outbox_counts k;
	assert_int_equal(cw_outbox_counts(c->db, &k), 0);
	assert_int_equal(k.delivered, 1);
	assert_int_equal(k.pending, 1);
	assert_int_equal(k.dead, 1);
	assert_int_equal(cw_outbox_next_due(c->db, "Upload", &due), -ENOENT);
	assert_int_equal(cw_outbox_mark_delivered(c->db, 9999, 200, 1), -ENOENT);

	/* old deliveries are forgotten, pending ones never */
	int removed = -1;
	assert_int_equal(cw_outbox_prune_delivered(c->db, 1011, &removed), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(cw_outbox_prune_delivered(c->db, 1012, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(cw_outbox_counts(c->db, &k), 0);
	assert_int_equal(k.delivered, 0);
	assert_int_equal(k.pending, 1);
}

static void test_dead_retry_recover(void **state)
{
	struct ctx *c = *state;
	int64_t id;
	assert_int_equal(cw_outbox_insert(c->db, "7", "Upload", "json", "{}", 2000, &id), 0);
	struct cw_outbox_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(cw_outbox_claim_due(c->db, NULL, 2000, 1, &e, &n), 0);
	assert_int_equal(n, 1);
	char delivery[33];
	memcpy(delivery, e[0].delivery_id, sizeof(delivery));
	cw_outbox_entries_free(e, n);
	assert_int_equal(cw_outbox_mark_dead(c->db, id, 404, "HTTP 404"), 0);

	struct cw_outbox_filter f = { .state = CW_OUTBOX_DEAD };
	assert_int_equal(cw_outbox_list(c->db, &f, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].crash_id, "7");
	assert_int_equal(e[0].last_status, 404);
	cw_outbox_entries_free(e, n);

	int64_t found;
	assert_int_equal(cw_outbox_find_id(c->db, delivery, &found), 0);
	assert_int_equal(found, id);
	char num[32];
	snprintf(num, sizeof(num), "%lld", (long long)id);
	assert_int_equal(cw_outbox_find_id(c->db, num, &found), 0);
	assert_int_equal(found, id);
	assert_int_equal(cw_outbox_find_id(c->db, "nope", &found), -ENOENT);

	int changed = 0;
	assert_int_equal(cw_outbox_retry(c->db, -1, 3000, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(cw_outbox_retry(c->db, 12345, 3000, &changed), -ENOENT);
	assert_int_equal(cw_outbox_claim_due(c->db, NULL, 3000, 5, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].attempts, 1); /* reset by retry */
	assert_string_equal(e[0].delivery_id, delivery);
	cw_outbox_entries_free(e, n);

	/* a crash of the daemon mid-delivery: recover makes it due again */
	assert_int_equal(cw_outbox_recover(c->db, 3001), 0);
	assert_int_equal(cw_outbox_claim_due(c->db, NULL, 3001, 5, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].attempts, 2);
	assert_string_equal(e[0].delivery_id, delivery);
	cw_outbox_entries_free(e, n);

	/* a 429 holds every pending row of the endpoint */
	int64_t id2;
	assert_int_equal(cw_outbox_insert(c->db, "8", "Upload", "json", "{}", 3001, &id2), 0);
	assert_int_equal(cw_outbox_defer_endpoint(c->db, "Upload", 3100), 0);
	int64_t due;
	assert_int_equal(cw_outbox_next_due(c->db, "Upload", &due), 0);
	assert_int_equal(due, 3100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_claim_deliver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_retry_recover, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
