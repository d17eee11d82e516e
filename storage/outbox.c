#include "config.h"
#include "storage/outbox.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "storage/sql.h"

static const char *const state_names[] = {
	[CW_OUTBOX_PENDING] = "pending",
	[CW_OUTBOX_SENDING] = "sending",
	[CW_OUTBOX_DELIVERED] = "delivered",
	[CW_OUTBOX_DEAD] = "dead",
};

const char *cw_outbox_state_name(enum cw_outbox_state s)
{
	return (size_t)s < CW_ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

int cw_outbox_state_from_name(const char *name, enum cw_outbox_state *out)
{
	for (size_t i = 0; i < CW_ARRAY_SIZE(state_names); i++)
		if (name && strcmp(name, state_names[i]) == 0) {
			*out = (enum cw_outbox_state)i;
			return 0;
		}
	return -EINVAL;
}

static int new_delivery_id(char out[33])
{
	uint8_t raw[16];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

int cw_outbox_insert(struct cw_db *db, const char *crash_id, const char *endpoint,
		     const char *format, const char *payload, int64_t now, int64_t *out_id)
{
	char delivery_id[33];
	int r = new_delivery_id(delivery_id);
	if (r < 0)
		return r;
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	r = cw_sql_prepare(db,
		    "INSERT INTO outbox (delivery_id, crash_id, endpoint, format, payload,"
		    " created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)", &s);
	if (r < 0)
		return r;
	sqlite3_bind_text(s, 1, delivery_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, crash_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, format, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, payload, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, now);
	sqlite3_bind_int64(s, 7, now);
	r = cw_sql_run(s);
	if (r == 0 && out_id)
		*out_id = cw_sql_last_id(db);
	return r;
}

int cw_outbox_recover(struct cw_db *db, int64_t now)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = cw_sql_prepare(db, "UPDATE outbox SET state = 'pending', next_attempt_at = MIN(next_attempt_at, ?)"
			" WHERE state = 'sending'", &s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, now);
	return cw_sql_run(s);
}

#define ENTRY_COLUMNS \
	"id, delivery_id, crash_id, endpoint, format, payload, state, attempts, created_at," \
	" next_attempt_at, last_attempt_at, delivered_at, last_status, last_error"

static char *column_strdup(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? strdup((const char *)t) : NULL;
}

static int entry_from_row(sqlite3_stmt *s, struct cw_outbox_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(s, 0);
	const unsigned char *did = sqlite3_column_text(s, 1);
	snprintf(e->delivery_id, sizeof(e->delivery_id), "%s", did ? (const char *)did : "");
	e->crash_id = column_strdup(s, 2);
	e->endpoint = column_strdup(s, 3);
	e->format = column_strdup(s, 4);
	e->payload = column_strdup(s, 5);
	const unsigned char *st = sqlite3_column_text(s, 6);
	if (cw_outbox_state_from_name((const char *)st, &e->state) < 0)
		e->state = CW_OUTBOX_PENDING;
	e->attempts = sqlite3_column_int64(s, 7);
	e->created_at = sqlite3_column_int64(s, 8);
	e->next_attempt_at = sqlite3_column_int64(s, 9);
	e->last_attempt_at = sqlite3_column_int64(s, 10);
	e->delivered_at = sqlite3_column_int64(s, 11);
	e->last_status = sqlite3_column_int(s, 12);
	e->last_error = column_strdup(s, 13);
	if (!e->crash_id || !e->endpoint || !e->format || !e->payload) {
		cw_outbox_entry_clear(e);
		return -ENOMEM;
	}
	return 0;
}

/* Collects every row of a prepared SELECT of ENTRY_COLUMNS. */
static int collect_rows(sqlite3_stmt *s, struct cw_outbox_entry **out, size_t *n)
{
	struct cw_outbox_entry *v = NULL;
	size_t len = 0, cap = 0;
	int rc, r = 0;

	while ((rc = cw_sql_step(s)) > 0) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct cw_outbox_entry *nv = realloc(v, ncap * sizeof(*v));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		r = entry_from_row(s, &v[len]);
		if (r < 0)
			break;
		len++;
	}
	if (r == 0 && rc < 0)
		r = rc;
	if (r < 0) {
		cw_outbox_entries_free(v, len);
		return r;
	}
	*out = v;
	*n = len;
	return 0;
}

int cw_outbox_claim_due(struct cw_db *db, const char *endpoint, int64_t now, size_t max,
			struct cw_outbox_entry **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = cw_sql_prepare(db,
			"UPDATE outbox SET state = 'sending', attempts = attempts + 1, last_attempt_at = ?1"
			" WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1"
			" AND (?3 IS NULL OR endpoint = ?3) ORDER BY next_attempt_at, id LIMIT ?2)"
			" RETURNING " ENTRY_COLUMNS, &s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	if (endpoint)
		sqlite3_bind_text(s, 3, endpoint, -1, SQLITE_STATIC);
	return collect_rows(s, out, n);
}

int cw_outbox_next_due(struct cw_db *db, const char *endpoint, int64_t *out)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = cw_sql_prepare(db, "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'"
			" AND (?1 IS NULL OR endpoint = ?1)", &s);
	if (r < 0)
		return r;
	if (endpoint)
		sqlite3_bind_text(s, 1, endpoint, -1, SQLITE_STATIC);
	r = cw_sql_row(s);
	if (r < 0)
		return r;
	if (sqlite3_column_type(s, 0) == SQLITE_NULL)
		return -ENOENT;
	*out = sqlite3_column_int64(s, 0);
	return 0;
}

static int changes_or_enoent(struct cw_db *db, int r)
{
	if (r < 0)
		return r;
	return cw_sql_changes(db) > 0 ? 0 : -ENOENT;
}

int cw_outbox_mark_delivered(struct cw_db *db, int64_t id, int status, int64_t now)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = cw_sql_prepare(db, "UPDATE outbox SET state = 'delivered', delivered_at = ?, last_status = ?,"
			" last_error = NULL WHERE id = ?", &s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, status);
	sqlite3_bind_int64(s, 3, id);
	return changes_or_enoent(db, cw_sql_run(s));
}

static int mark_undelivered(struct cw_db *db, int64_t id, const char *state, int status,
			    const char *error, int64_t next_attempt_at)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = cw_sql_prepare(db, "UPDATE outbox SET state = ?, last_status = ?, last_error = ?,"
			" next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ?", &s);
	if (r < 0)
		return r;
	sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, status);
	if (error)
		sqlite3_bind_text(s, 3, error, (int)strnlen(error, CW_OUTBOX_ERROR_MAX), SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 3);
	if (next_attempt_at >= 0)
		sqlite3_bind_int64(s, 4, next_attempt_at);
	else
		sqlite3_bind_null(s, 4);
	sqlite3_bind_int64(s, 5, id);
	return changes_or_enoent(db, cw_sql_run(s));
}

int cw_outbox_mark_failed(struct cw_db *db, int64_t id, int status, const char *error,
			  int64_t next_attempt_at)
{
	return mark_undelivered(db, id, "pending", status, error, next_attempt_at < 0 ? 0 : next_attempt_at);
}

int cw_outbox_mark_dead(struct cw_db *db, int64_t id, int status, const char *error)
{
	return mark_undelivered(db, id, "dead", status, error, -1);
}

int cw_outbox_bury_unconfigured(struct cw_db *db, const char *const *endpoints, size_t n, int *buried)
{
	*buried = 0;
	if (n > CW_OUTBOX_ENDPOINTS_MAX)
		return -E2BIG;
	char sql[256 + 2 * CW_OUTBOX_ENDPOINTS_MAX] = "UPDATE outbox SET state = 'dead',"
		" last_error = 'endpoint no longer configured' WHERE state IN ('pending', 'sending')";
	size_t len = strlen(sql);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s", i == 0 ? " AND endpoint NOT IN (?" : ", ?");
	if (n > 0)
		snprintf(sql + len, sizeof(sql) - len, ")");
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = cw_sql_prepare(db, sql, &s);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		sqlite3_bind_text(s, (int)i + 1, endpoints[i], -1, SQLITE_STATIC);
	r = cw_sql_run(s);
	if (r == 0)
		*buried = cw_sql_changes(db);
	return r;
}

int cw_outbox_defer_endpoint(struct cw_db *db, const char *endpoint, int64_t not_before)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = cw_sql_prepare(db, "UPDATE outbox SET next_attempt_at = ? WHERE endpoint = ?"
			" AND state = 'pending' AND next_attempt_at < ?", &s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, not_before);
	sqlite3_bind_text(s, 2, endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, not_before);
	return cw_sql_run(s);
}

int cw_outbox_retry(struct cw_db *db, int64_t id, int64_t now, int *changed)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = cw_sql_prepare(db, id < 0
			? "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?1"
			  " WHERE state = 'dead'"
			: "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?1"
			  " WHERE id = ?2 AND state IN ('dead', 'pending')", &s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, now);
	if (id >= 0)
		sqlite3_bind_int64(s, 2, id);
	r = cw_sql_run(s);
	if (r < 0)
		return r;
	int n = cw_sql_changes(db);
	if (changed)
		*changed = n;
	return id >= 0 && n == 0 ? -ENOENT : 0;
}

int cw_outbox_prune_delivered(struct cw_db *db, int64_t before, int *removed)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = cw_sql_prepare(db, "DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < ?", &s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(s, 1, before);
	r = cw_sql_run(s);
	if (r == 0 && removed)
		*removed = cw_sql_changes(db);
	return r;
}

int cw_outbox_find_id(struct cw_db *db, const char *id_or_delivery, int64_t *out)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = cw_sql_prepare(db, "SELECT id FROM outbox WHERE delivery_id = ?1"
			" OR (?1 GLOB '[0-9]*' AND id = CAST(?1 AS INTEGER)) ORDER BY id LIMIT 1", &s);
	if (r < 0)
		return r;
	sqlite3_bind_text(s, 1, id_or_delivery, -1, SQLITE_STATIC);
	r = cw_sql_step(s);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*out = sqlite3_column_int64(s, 0);
	return 0;
}

int cw_outbox_list(struct cw_db *db, const struct cw_outbox_filter *f,
		   struct cw_outbox_entry **out, size_t *n)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = cw_sql_prepare(db, "SELECT " ENTRY_COLUMNS " FROM outbox"
			" WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR crash_id = ?2)"
			" ORDER BY id DESC LIMIT ?3", &s);
	if (r < 0)
		return r;
	if (f && !f->any_state)
		sqlite3_bind_text(s, 1, cw_outbox_state_name(f->state), -1, SQLITE_STATIC);
	if (f && f->crash_id)
		sqlite3_bind_text(s, 2, f->crash_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, f && f->limit ? (int64_t)f->limit : -1);
	return collect_rows(s, out, n);
}

int cw_outbox_counts(struct cw_db *db, struct cw_outbox_counts *c)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = cw_sql_prepare(db, "SELECT state, COUNT(*) FROM outbox GROUP BY state", &s);
	if (r < 0)
		return r;
	memset(c, 0, sizeof(*c));
	while ((r = cw_sql_step(s)) > 0) {
		enum cw_outbox_state st;
		if (cw_outbox_state_from_name((const char *)sqlite3_column_text(s, 0), &st) < 0)
			continue;
		int64_t k = sqlite3_column_int64(s, 1);
		if (st == CW_OUTBOX_DELIVERED)
			c->delivered += k;
		else if (st == CW_OUTBOX_DEAD)
			c->dead += k;
		else
			c->pending += k;
	}
	return r;
}

void cw_outbox_entry_clear(struct cw_outbox_entry *e)
{
	free(e->crash_id);
	free(e->endpoint);
	free(e->format);
	free(e->payload);
	free(e->last_error);
	memset(e, 0, sizeof(*e));
}

void cw_outbox_entries_free(struct cw_outbox_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cw_outbox_entry_clear(&e[i]);
	free(e);
}
