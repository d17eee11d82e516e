/* Upload formats: each renders one outbox row's data object (see
 * daemon/payload.h) into an HTTP request. The body depends only on the row,
 * so every attempt of a delivery sends the same body with the same id; only
 * the time-stamped headers (webhook-timestamp/-signature, Sentry sent_at)
 * change between attempts. All functions return 0 or a negative errno. */
#ifndef CW_DAEMON_FORMAT_H
#define CW_DAEMON_FORMAT_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

#define CW_HTTP_MAX_HEADERS 8
#define CW_WEBHOOK_SECRET_MAX 256         /* bytes of a decoded webhook secret */
#define CW_WEBHOOK_SIGNATURE_MAX 64       /* base64 of a SHA-256 HMAC is 44 */

struct cw_http_request {
	char *url;                        /* NULL: the endpoint's URL= */
	char *body;
	size_t body_len;
	char *headers[CW_HTTP_MAX_HEADERS];  /* "Name: value" */
	size_t nheaders;
};

void cw_http_request_clear(struct cw_http_request *r);
/* Appends "name: value" (formatted). */
int cw_http_request_add_header(struct cw_http_request *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Standard Webhooks ------------------------------------------------------- */

struct cw_webhook_secret {
	uint8_t key[CW_WEBHOOK_SECRET_MAX];
	size_t len;
};

/* Parses "whsec_<base64>" (surrounding whitespace ignored). */
int cw_webhook_secret_parse(const char *text, struct cw_webhook_secret *out);
/* Reads a secret file (at most 4 KiB). */
int cw_webhook_secret_load(const char *path, struct cw_webhook_secret *out);
void cw_webhook_secret_clear(struct cw_webhook_secret *s);

/* base64(HMAC-SHA256(key, "<msg_id>.<timestamp>.<body>")) */
int cw_webhook_sign(const struct cw_webhook_secret *s, const char *msg_id, int64_t timestamp,
		    const char *body, size_t body_len, char out[CW_WEBHOOK_SIGNATURE_MAX]);

/* The webhook-id of a delivery: "msg_<delivery_id>". */
int cw_webhook_msg_id(const char *delivery_id, char *out, size_t outlen);

/* Format=json: {"type": "crash.created", "timestamp": ..., "data": {...}}
 * with webhook-id, webhook-timestamp (now) and, when secret is not NULL,
 * webhook-signature headers. */
int cw_format_json(const char *delivery_id, struct json_object *data, int64_t now,
		   const struct cw_webhook_secret *secret, struct cw_http_request *req);

/* Chat formats ------------------------------------------------------------- */

/* Format=slack: an incoming-webhook message (text + blocks). */
int cw_format_slack(struct json_object *data, struct cw_http_request *req);
/* Format=discord: an execute-webhook message with one embed, no mentions. */
int cw_format_discord(struct json_object *data, struct cw_http_request *req);

/* Sentry ------------------------------------------------------------------- */

struct cw_sentry_dsn {
	char *envelope_url;               /* https://HOST[:PORT][/PATH]/api/PROJECT/envelope/ */
	char *public_key;
	char *project_id;
};

/* Parses https://KEY[:SECRET]@HOST[:PORT][/PATH]/PROJECT. */
int cw_sentry_dsn_parse(const char *dsn, struct cw_sentry_dsn *out);
void cw_sentry_dsn_clear(struct cw_sentry_dsn *d);

/* The event (Sentry's event schema) for a data object; event_id is the
 * delivery id. */
int cw_sentry_event_new(const char *delivery_id, struct json_object *data, struct json_object **out);

/* Format=sentry: an envelope holding one event, POSTed to the DSN's envelope
 * endpoint with an X-Sentry-Auth header. */
int cw_format_sentry(const char *delivery_id, struct json_object *data, int64_t now,
		     const struct cw_sentry_dsn *dsn, struct cw_http_request *req);

/* Shared by the chat formats: a one-line title ("api crashed on web-1") and
 * the top frames as plain text, "function\n    file:line" per frame,
 * application frames only unless there are none. */
int cw_format_title(struct json_object *data, char *out, size_t outlen);
/* The payload's container as one line: "NAME (RUNTIME, ID12)", and its pod:
 * "NAMESPACE/NAME (QOS)", "?" for what is unknown. 0 and "" when the crash
 * has none. */
int cw_format_container(struct json_object *data, char *out, size_t outlen);
int cw_format_pod(struct json_object *data, char *out, size_t outlen);
int cw_format_frames_text(struct json_object *data, size_t max_frames, char *out, size_t outlen);

#endif
