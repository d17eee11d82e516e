/* The durable upload outbox: one row per (crash, endpoint) delivery.
 *
 * A row is inserted in the same transaction that stores its crash and
 * carries everything needed to send it (the privacy-filtered payload
 * data), so deliveries survive restarts and retention of the crash.
 * Its delivery_id (32 hex digits) is fixed at insert time: the
 * webhook-id and Sentry event_id of every attempt, so receivers dedupe.
 *
 * States: pending -> sending (claimed by the uploader, attempt counted)
 *         -> delivered | pending (retry later) | dead (dead letter).
 * All functions return 0 or a negative errno. */
#ifndef CW_STORAGE_OUTBOX_H
#define CW_STORAGE_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cw_db;

#define CW_OUTBOX_ERROR_MAX 256 /* bytes of last_error kept */

enum cw_outbox_state {
	CW_OUTBOX_PENDING,
	CW_OUTBOX_SENDING,
	CW_OUTBOX_DELIVERED,
	CW_OUTBOX_DEAD,
};

struct cw_outbox_entry {
	int64_t id;
	char delivery_id[33];
	char *crash_id;
	char *endpoint;          /* config section name: "Upload" or "Upload NAME" */
	char *format;            /* json, slack, discord, sentry */
	char *payload;           /* the data object (JSON text) */
	enum cw_outbox_state state;
	int64_t attempts;
	int64_t created_at;      /* unix seconds */
	int64_t next_attempt_at;
	int64_t last_attempt_at; /* 0 = never */
	int64_t delivered_at;    /* 0 = not delivered */
	int last_status;         /* HTTP status of the last attempt, 0 = none */
	char *last_error;        /* NULL = none */
};

struct cw_outbox_counts {
	int64_t pending;         /* includes rows being sent */
	int64_t delivered;
	int64_t dead;
};

/* The table is created by migrations 2 and 4 in storage/migrations.c. */

const char *cw_outbox_state_name(enum cw_outbox_state s);
int cw_outbox_state_from_name(const char *name, enum cw_outbox_state *out);

/* Queues one delivery (inside the caller's transaction) with a new
 * delivery id. Callers queue a crash once (cw_crash_insert refuses a
 * spool id it has stored). */
int cw_outbox_insert(struct cw_db *db, const char *crash_id, const char *endpoint,
		     const char *format, const char *payload, int64_t now, int64_t *out_id);

/* At start-up: rows left 'sending' by a previous run go back to pending
 * (their attempt stays counted; the same delivery_id is sent again). */
int cw_outbox_recover(struct cw_db *db, int64_t now);

/* Claims up to max due pending rows (next_attempt_at <= now) of endpoint
 * (NULL: any), oldest first: they become 'sending' with attempts+1. *out is
 * a malloc'd array of *n entries; free with cw_outbox_entries_free. */
int cw_outbox_claim_due(struct cw_db *db, const char *endpoint, int64_t now, size_t max,
			struct cw_outbox_entry **out, size_t *n);

/* Earliest next_attempt_at of a pending row of endpoint (NULL: any);
 * -ENOENT when there is none. */
int cw_outbox_next_due(struct cw_db *db, const char *endpoint, int64_t *out);

int cw_outbox_mark_delivered(struct cw_db *db, int64_t id, int status, int64_t now);
/* Back to pending, to be tried at next_attempt_at. */
int cw_outbox_mark_failed(struct cw_db *db, int64_t id, int status, const char *error,
			  int64_t next_attempt_at);
int cw_outbox_mark_dead(struct cw_db *db, int64_t id, int status, const char *error);

/* Rows still to deliver to an endpoint that is no longer configured
 * (none of endpoints[n]) become dead letters ("endpoint no longer
 * configured"; `crashwatch uploads retry` revives them). */
#define CW_OUTBOX_ENDPOINTS_MAX 64
int cw_outbox_bury_unconfigured(struct cw_db *db, const char *const *endpoints, size_t n, int *buried);
/* Holds every pending row of an endpoint until at least not_before
 * (a 429's Retry-After applies to the whole endpoint). */
int cw_outbox_defer_endpoint(struct cw_db *db, const char *endpoint, int64_t not_before);

/* Makes a dead (or pending) row due now with its attempt count reset.
 * id < 0: every dead row. *changed receives the number of rows affected;
 * -ENOENT when id names no dead or pending row. */
int cw_outbox_retry(struct cw_db *db, int64_t id, int64_t now, int *changed);

/* Forgets delivered rows delivered before `before` (dead ones stay until
 * retried). *removed receives the number of rows deleted. */
int cw_outbox_prune_delivered(struct cw_db *db, int64_t before, int *removed);

/* Looks up by row id or delivery id. */
int cw_outbox_find_id(struct cw_db *db, const char *id_or_delivery, int64_t *out);

struct cw_outbox_filter {
	bool any_state;          /* false: only rows in state */
	enum cw_outbox_state state;
	const char *crash_id;    /* NULL: any */
	size_t limit;            /* 0: no limit */
};

/* Newest first. */
int cw_outbox_list(struct cw_db *db, const struct cw_outbox_filter *f,
		   struct cw_outbox_entry **out, size_t *n);

int cw_outbox_counts(struct cw_db *db, struct cw_outbox_counts *c);

void cw_outbox_entry_clear(struct cw_outbox_entry *e);
void cw_outbox_entries_free(struct cw_outbox_entry *e, size_t n);

#endif
