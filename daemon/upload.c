/* The uploader: curl multi driven from one epoll fd (see upload.h). */
#include "config.h"
#include "daemon/upload.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/io.h"
#include "common/cwconfig.h"
#include "daemon/format.h"
#include "storage/outbox.h"

#define TOKEN_MAX 4096
#define CONNECT_TIMEOUT_MAX 10

struct endpoint {
	const struct cw_upload_config *cfg;  /* = &copy */
	struct cw_upload_config copy;        /* what transfers need, owned */
	struct cw_webhook_secret secret;
	bool has_secret;
	char *token;                       /* bearer token, NUL-free and printable */
	struct cw_sentry_dsn dsn;
	size_t in_flight;
};

struct transfer {
	struct cw_uploader *u;
	struct endpoint *ep;
	CURL *easy;
	struct curl_slist *headers;
	struct cw_http_request req;
	struct cw_outbox_entry row;
	char errbuf[CURL_ERROR_SIZE];
	char response[CW_UPLOAD_RESPONSE_KEEP + 1];
	size_t response_len;
	struct transfer *next;
};

struct cw_uploader {
	struct cw_db *db;
	CURLM *multi;
	int epfd;
	int64_t curl_deadline_ms;          /* monotonic, -1 = none */
	int64_t next_prune_ms;             /* monotonic */
	struct endpoint *endpoints;
	size_t nendpoints;
	struct transfer *transfers;        /* in flight */
	size_t in_flight;
	cw_upload_result_fn on_result;
	void *userdata;
	bool curl_initialised;
};

static int64_t now_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_realtime(void)
{
	return (int64_t)time(NULL);
}

int64_t cw_upload_backoff(uint64_t initial, uint64_t max, int64_t attempts, uint32_t random)
{
	uint64_t d = initial ? initial : 1;
	if (max == 0)
		max = 1;
	for (int64_t i = 1; i < attempts && d < max; i++)
		d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
	if (d > max)
		d = max;
	if (d > (uint64_t)INT32_MAX)
		d = INT32_MAX;
	uint64_t half = d / 2;
	uint64_t span = d - half + 1;
	uint64_t delay = half + random % span;
	return delay < 1 ? 1 : (int64_t)delay;
}

int cw_upload_status_retryable(int status)
{
	if (status == 0 || status == 408 || status == 409 || status == 425 || status == 429)
		return 1;
	return status >= 500 && status <= 599;
}

/* ---- secrets ---------------------------------------------------------- */

/* One printable token (a bearer token, a secret URL) from a file. */
static int load_token(const char *path, char **out)
{
	char buf[TOKEN_MAX + 1];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	int rr = cw_read_upto(fd, buf, sizeof(buf) - 1, &len);
	if (rr < 0)
		return rr;
	int r = 0;
	if (len == sizeof(buf) - 1)
		r = -EFBIG;
	buf[len] = '\0';
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	const char *start = buf;
	while (isspace((unsigned char)*start))
		start++;
	/* a token goes into a header: printable ASCII only */
	for (const char *p = start; r == 0 && *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			r = -EINVAL;
	if (r == 0 && !*start)
		r = -EINVAL;
	if (r == 0 && !(*out = strdup(start)))
		r = -ENOMEM;
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

static void endpoint_clear(struct endpoint *ep)
{
	cw_webhook_secret_clear(&ep->secret);
	if (ep->token) {
		OPENSSL_cleanse(ep->token, strlen(ep->token));
		free(ep->token);
	}
	cw_sentry_dsn_clear(&ep->dsn);
	free(ep->copy.name);
	if (ep->copy.url)
		OPENSSL_cleanse(ep->copy.url, strlen(ep->copy.url)); /* may come from URLFile= */
	free(ep->copy.url);
	free(ep->copy.ca_file);
	free(ep->copy.client_cert);
	free(ep->copy.client_key);
	memset(ep, 0, sizeof(*ep));
}

static int strdup_opt(const char *s, char **out)
{
	*out = NULL;
	if (s && !(*out = strdup(s)))
		return -ENOMEM;
	return 0;
}

/* The reloadable configuration may go away: keep a copy of what is used
 * after start-up (secrets themselves are read now, not their paths). */
static int copy_config(const struct cw_upload_config *c, struct cw_upload_config *out)
{
	memset(out, 0, sizeof(*out));
	out->format = c->format;
	out->timeout_sec = c->timeout_sec;
	out->retry_initial_sec = c->retry_initial_sec;
	out->retry_max_sec = c->retry_max_sec;
	out->max_attempts = c->max_attempts;
	out->events = c->events;
	if (strdup_opt(c->name, &out->name) < 0 || strdup_opt(c->url, &out->url) < 0 ||
	    strdup_opt(c->ca_file, &out->ca_file) < 0 || strdup_opt(c->client_cert, &out->client_cert) < 0 ||
	    strdup_opt(c->client_key, &out->client_key) < 0)
		return -ENOMEM;
	return 0;
}

static int endpoint_init(struct endpoint *ep, const struct cw_upload_config *c, char *err, size_t errlen)
{
	int r;
	memset(ep, 0, sizeof(*ep));
	ep->cfg = &ep->copy;
	if ((r = copy_config(c, &ep->copy)) < 0) {
		snprintf(err, errlen, "[%s]: %s", c->name, strerror(-r));
		return r;
	}
	if (c->url_file) {
		char *url = NULL;
		r = load_token(c->url_file, &url);
		if (r < 0) {
			snprintf(err, errlen, "[%s] URLFile=%s: %s", c->name, c->url_file,
				 r == -EINVAL ? "expected one URL" : strerror(-r));
			return r;
		}
		free(ep->copy.url);
		ep->copy.url = url;
	}
	if (c->secret_file) {
		r = cw_webhook_secret_load(c->secret_file, &ep->secret);
		if (r < 0) {
			snprintf(err, errlen, "[%s] SecretFile=%s: %s", c->name, c->secret_file,
				 r == -EINVAL ? "expected whsec_ followed by base64" : strerror(-r));
			return r;
		}
		ep->has_secret = true;
	}
	if (c->token_file) {
		r = load_token(c->token_file, &ep->token);
		if (r < 0) {
			snprintf(err, errlen, "[%s] TokenFile=%s: %s", c->name, c->token_file,
				 r == -EINVAL ? "expected one printable token" : strerror(-r));
			return r;
		}
	}
	if (c->format == CW_UPLOAD_SENTRY) {
		r = cw_sentry_dsn_parse(c->dsn, &ep->dsn);
		if (r < 0) {
			snprintf(err, errlen, "[%s] DSN=: not a Sentry DSN (https://KEY@HOST/PROJECT)", c->name);
			return r;
		}
	}
	return 0;
}

/* ---- curl callbacks ---------------------------------------------------- */

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct cw_uploader *u = userp;
	if (what == CURL_POLL_REMOVE) {
		(void)epoll_ctl(u->epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	struct epoll_event ev = {
		.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u),
		.data.fd = s,
	};
	if (epoll_ctl(u->epfd, EPOLL_CTL_MOD, s, &ev) < 0) {
		if (errno != ENOENT || epoll_ctl(u->epfd, EPOLL_CTL_ADD, s, &ev) < 0)
			return -1;
	}
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct cw_uploader *u = userp;
	u->curl_deadline_ms = timeout_ms < 0 ? -1 : now_monotonic_ms() + timeout_ms;
	return 0;
}

/* Keeps the first bytes of a response for the error message, drops the rest. */
static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t n = size * nmemb;
	size_t room = sizeof(t->response) - 1 - t->response_len;
	size_t k = n < room ? n : room;
	memcpy(t->response + t->response_len, data, k);
	t->response_len += k;
	t->response[t->response_len] = '\0';
	return n;
}

/* ---- transfers ---------------------------------------------------------- */

/* curl_slist_append copies each string: the copies of the Authorization
 * (bearer token) and X-Sentry-Auth (DSN key) headers are wiped before they
 * are freed. (What libcurl copies into its own request buffers it frees
 * unwiped: no API reaches those.) */
static void slist_free_wiped(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		if (p->data)
			OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static void transfer_free(struct transfer *t)
{
	if (!t)
		return;
	if (t->easy) {
		if (t->u && t->u->multi)
			curl_multi_remove_handle(t->u->multi, t->easy);
		curl_easy_cleanup(t->easy);
	}
	slist_free_wiped(t->headers);
	/* our own copies: the Authorization header holds the token */
	for (size_t i = 0; i < t->req.nheaders; i++)
		OPENSSL_cleanse(t->req.headers[i], strlen(t->req.headers[i]));
	cw_http_request_clear(&t->req);
	cw_outbox_entry_clear(&t->row);
	free(t);
}

static int render(struct endpoint *ep, const struct cw_outbox_entry *row, int64_t now,
		  struct cw_http_request *req)
{
	struct json_object *data = json_tokener_parse(row->payload);
	if (!data || !json_object_is_type(data, json_type_object)) {
		json_object_put(data);
		return -EBADMSG;
	}
	int r;
	switch (ep->cfg->format) {
	case CW_UPLOAD_JSON:
		r = cw_format_json(row->delivery_id, data, now, ep->has_secret ? &ep->secret : NULL, req);
		break;
	case CW_UPLOAD_SLACK:
		r = cw_format_slack(data, req);
		break;
	case CW_UPLOAD_DISCORD:
		r = cw_format_discord(data, req);
		break;
	case CW_UPLOAD_SENTRY:
		r = cw_format_sentry(row->delivery_id, data, now, &ep->dsn, req);
		break;
	default:
		r = -EINVAL;
	}
	json_object_put(data);
	return r;
}

#define SETOPT(h, opt, val) do { if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK) return -EINVAL; } while (0)

static int transfer_setup(struct transfer *t)
{
	const struct cw_upload_config *c = t->ep->cfg;
	CURL *h = t->easy;
	uint64_t timeout = c->timeout_sec ? c->timeout_sec : 10;

	if (t->ep->token &&
	    cw_http_request_add_header(&t->req, "Authorization: Bearer %s", t->ep->token) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < t->req.nheaders; i++) {
		struct curl_slist *n = curl_slist_append(t->headers, t->req.headers[i]);
		if (!n)
			return -ENOMEM;
		t->headers = n;
	}
	struct curl_slist *n = curl_slist_append(t->headers, "Expect:");
	if (!n)
		return -ENOMEM;
	t->headers = n;

	SETOPT(h, CURLOPT_URL, t->req.url ? t->req.url : c->url);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_POST, 1L);
	SETOPT(h, CURLOPT_POSTFIELDS, t->req.body);
	SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->req.body_len);
	SETOPT(h, CURLOPT_HTTPHEADER, t->headers);
	SETOPT(h, CURLOPT_USERAGENT, "crashwatch/" PACKAGE_VERSION);
	SETOPT(h, CURLOPT_TIMEOUT, (long)(timeout > 3600 ? 3600 : timeout));
	SETOPT(h, CURLOPT_CONNECTTIMEOUT, (long)(timeout < CONNECT_TIMEOUT_MAX ? timeout : CONNECT_TIMEOUT_MAX));
	SETOPT(h, CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(h, CURLOPT_WRITEDATA, t);
	SETOPT(h, CURLOPT_ERRORBUFFER, t->errbuf);
	SETOPT(h, CURLOPT_PRIVATE, t);
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file)
		SETOPT(h, CURLOPT_CAINFO, c->ca_file);
	if (c->client_cert)
		SETOPT(h, CURLOPT_SSLCERT, c->client_cert);
	if (c->client_key)
		SETOPT(h, CURLOPT_SSLKEY, c->client_key);
	return 0;
}

static void report(struct cw_uploader *u, const struct transfer *t, enum cw_outbox_state state,
		   int status, const char *error, int64_t next)
{
	if (!u->on_result)
		return;
	struct cw_upload_result r = {
		.endpoint = t->row.endpoint, .delivery_id = t->row.delivery_id, .crash_id = t->row.crash_id,
		.state = state, .attempts = t->row.attempts, .http_status = status, .error = error,
		.next_attempt_at = next,
	};
	u->on_result(u->userdata, &r);
}

/* Records a failed attempt: retry later or dead-letter. */
static int record_failure(struct cw_uploader *u, struct transfer *t, int status, bool retryable,
			  int64_t retry_after, const char *error)
{
	const struct cw_upload_config *c = t->ep->cfg;
	int64_t now = now_realtime();
	int r;

	if (!retryable || (c->max_attempts && (uint64_t)t->row.attempts >= c->max_attempts)) {
		r = cw_outbox_mark_dead(u->db, t->row.id, status, error);
		report(u, t, CW_OUTBOX_DEAD, status, error, 0);
		return r;
	}
	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)now_monotonic_ms();
	int64_t next = now + cw_upload_backoff(c->retry_initial_sec, c->retry_max_sec, t->row.attempts, rnd);
	int64_t not_before = 0;
	if (retry_after > 0) {
		if (retry_after > CW_UPLOAD_RETRY_AFTER_MAX)
			retry_after = CW_UPLOAD_RETRY_AFTER_MAX;
		/* whole seconds in the outbox: round up so that at least retry_after passes */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		not_before = (int64_t)ts.tv_sec + retry_after + (ts.tv_nsec > 0 ? 1 : 0);
		if (not_before > next)
			next = not_before;
	}
	r = cw_outbox_mark_failed(u->db, t->row.id, status, error, next);
	if (r == 0 && status == 429 && not_before > 0)
		r = cw_outbox_defer_endpoint(u->db, t->row.endpoint, not_before);
	report(u, t, CW_OUTBOX_PENDING, status, error, next);
	return r;
}

/* A short, printable error text from a hostile response. */
static void describe_failure(const struct transfer *t, CURLcode cc, long status, char *out, size_t outlen)
{
	if (cc != CURLE_OK) {
		snprintf(out, outlen, "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(cc));
	} else {
		char body[CW_UPLOAD_RESPONSE_KEEP + 1];
		size_t k = 0;
		for (size_t i = 0; i < t->response_len && k < sizeof(body) - 1; i++) {
			unsigned char ch = (unsigned char)t->response[i];
			body[k++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : ' ';
		}
		body[k] = '\0';
		snprintf(out, outlen, "HTTP %ld%s%s", status, k ? ": " : "", body);
	}
}

static int finish_transfer(struct cw_uploader *u, struct transfer *t, CURLcode cc)
{
	long status = 0;
	curl_off_t retry_after = 0;
	char error[CW_OUTBOX_ERROR_MAX];

	if (cc == CURLE_OK)
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_OK && status >= 200 && status <= 299) {
		int r = cw_outbox_mark_delivered(u->db, t->row.id, (int)status, now_realtime());
		report(u, t, CW_OUTBOX_DELIVERED, (int)status, NULL, 0);
		return r;
	}
	if (cc == CURLE_OK && (status == 429 || status == 503))
		curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry_after);
	describe_failure(t, cc, status, error, sizeof(error));
	bool retryable = cc != CURLE_OK || cw_upload_status_retryable((int)status);
	return record_failure(u, t, cc == CURLE_OK ? (int)status : 0, retryable, (int64_t)retry_after, error);
}

static void unlink_transfer(struct cw_uploader *u, struct transfer *t)
{
	for (struct transfer **p = &u->transfers; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	t->ep->in_flight--;
	u->in_flight--;
}

static int reap_finished(struct cw_uploader *u)
{
	CURLMsg *m;
	int left, ret = 0;
	while ((m = curl_multi_info_read(u->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct transfer *t = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (!t)
			continue;
		CURLcode cc = m->data.result;
		unlink_transfer(u, t);
		int r = finish_transfer(u, t, cc);
		if (r < 0 && ret == 0)
			ret = r;
		transfer_free(t);
	}
	return ret;
}

static int start_row(struct cw_uploader *u, struct endpoint *ep, struct cw_outbox_entry *row)
{
	struct transfer *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->u = u;
	t->ep = ep;
	t->row = *row;
	memset(row, 0, sizeof(*row));

	int r = render(ep, &t->row, now_realtime(), &t->req);
	if (r < 0) {
		/* an unreadable payload will not get better: dead-letter it */
		r = record_failure(u, t, 0, false, 0, "payload could not be rendered");
		transfer_free(t);
		return r;
	}
	if (!(t->easy = curl_easy_init())) {
		transfer_free(t);
		return -ENOMEM;
	}
	r = transfer_setup(t);
	if (r < 0) {
		(void)record_failure(u, t, 0, true, 0, "could not set up the transfer");
		transfer_free(t);
		return r;
	}
	if (curl_multi_add_handle(u->multi, t->easy) != CURLM_OK) {
		(void)record_failure(u, t, 0, true, 0, "could not start the transfer");
		curl_easy_cleanup(t->easy);
		t->easy = NULL;
		transfer_free(t);
		return -EIO;
	}
	t->next = u->transfers;
	u->transfers = t;
	ep->in_flight++;
	u->in_flight++;
	return 0;
}

static int start_due(struct cw_uploader *u)
{
	int64_t now = now_realtime();
	int ret = 0;
	for (size_t i = 0; i < u->nendpoints; i++) {
		struct endpoint *ep = &u->endpoints[i];
		if (ep->in_flight >= CW_UPLOAD_MAX_IN_FLIGHT)
			continue;
		struct cw_outbox_entry *rows = NULL;
		size_t n = 0;
		int r = cw_outbox_claim_due(u->db, ep->cfg->name, now, CW_UPLOAD_MAX_IN_FLIGHT - ep->in_flight,
					    &rows, &n);
		if (r < 0) {
			ret = ret ? ret : r;
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			r = start_row(u, ep, &rows[k]);
			if (r < 0 && ret == 0)
				ret = r;
		}
		cw_outbox_entries_free(rows, n);
	}
	return ret;
}

int cw_uploader_dispatch(struct cw_uploader *u)
{
	struct epoll_event evs[16];
	int running = 0, n;

	n = epoll_wait(u->epfd, evs, (int)CW_ARRAY_SIZE(evs), 0);
	for (int i = 0; i < n; i++) {
		int flags = ((evs[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
			    ((evs[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
			    ((evs[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
		curl_multi_socket_action(u->multi, evs[i].data.fd, flags, &running);
	}
	if (u->curl_deadline_ms >= 0 && now_monotonic_ms() >= u->curl_deadline_ms) {
		u->curl_deadline_ms = -1;
		curl_multi_socket_action(u->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	int r = reap_finished(u);
	if (now_monotonic_ms() >= u->next_prune_ms) {
		u->next_prune_ms = now_monotonic_ms() + CW_UPLOAD_PRUNE_EVERY_MS;
		int rp = cw_outbox_prune_delivered(u->db, now_realtime() - CW_UPLOAD_KEEP_DELIVERED, NULL);
		if (rp < 0 && r == 0)
			r = rp;
	}
	int r2 = start_due(u);
	/* newly added handles ask for an immediate timeout: serve it now */
	if (u->curl_deadline_ms >= 0 && now_monotonic_ms() >= u->curl_deadline_ms) {
		u->curl_deadline_ms = -1;
		curl_multi_socket_action(u->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	int r3 = reap_finished(u);
	return r < 0 ? r : r2 < 0 ? r2 : r3;
}

int cw_uploader_timeout_ms(struct cw_uploader *u)
{
	if (u->nendpoints == 0)
		return -1;
	int64_t now_ms = now_monotonic_ms();
	int64_t wait = CW_UPLOAD_POLL_MS;
	if (u->curl_deadline_ms >= 0) {
		int64_t d = u->curl_deadline_ms - now_ms;
		if (d < wait)
			wait = d < 0 ? 0 : d;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t real_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	for (size_t i = 0; i < u->nendpoints; i++) {
		int64_t next;
		/* an endpoint at its transfer cap waits for a transfer to finish */
		if (u->endpoints[i].in_flight >= CW_UPLOAD_MAX_IN_FLIGHT ||
		    cw_outbox_next_due(u->db, u->endpoints[i].cfg->name, &next) < 0)
			continue;
		int64_t d = next * 1000 - real_ms;
		if (d < wait)
			wait = d < 0 ? 0 : d;
	}
	return (int)wait;
}

int cw_uploader_fd(const struct cw_uploader *u)
{
	return u->epfd;
}

size_t cw_uploader_in_flight(const struct cw_uploader *u)
{
	return u->in_flight;
}

void cw_uploader_free(struct cw_uploader *u)
{
	if (!u)
		return;
	while (u->transfers) {
		struct transfer *t = u->transfers;
		u->transfers = t->next;
		/* abandoned: the attempt stays counted, the same id goes out again */
		(void)cw_outbox_mark_failed(u->db, t->row.id, 0, "interrupted by shutdown", now_realtime());
		transfer_free(t);
	}
	for (size_t i = 0; i < u->nendpoints; i++)
		endpoint_clear(&u->endpoints[i]);
	free(u->endpoints);
	if (u->multi)
		curl_multi_cleanup(u->multi);
	if (u->epfd >= 0)
		close(u->epfd);
	if (u->curl_initialised)
		curl_global_cleanup();
	free(u);
}

int cw_upload_check(const struct cw_config *cfg, char *err, size_t errlen)
{
	for (unsigned i = 0; i < cfg->n_uploads; i++) {
		struct endpoint ep;
		int r = endpoint_init(&ep, &cfg->uploads[i], err, errlen);
		endpoint_clear(&ep);
		if (r < 0 && r != -EACCES && r != -EPERM)
			return r;
	}
	if (err && errlen)
		err[0] = '\0';
	return 0;
}

CW_DEFINE_CLEANUP(struct cw_uploader *, cw_uploader_free)

int cw_uploader_new(const struct cw_config *cfg, struct cw_db *db, cw_upload_result_fn on_result,
		    void *userdata, struct cw_uploader **out, char *err, size_t errlen)
{
	CW_CLEANUP(cw_uploader_freep) struct cw_uploader *u = calloc(1, sizeof(*u));
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (!u)
		return -ENOMEM;
	u->epfd = -1;
	u->db = db;
	u->on_result = on_result;
	u->userdata = userdata;
	u->curl_deadline_ms = -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	u->curl_initialised = true;
	if (cfg->n_uploads > 0 && !(u->endpoints = calloc(cfg->n_uploads, sizeof(*u->endpoints))))
		return -ENOMEM;
	for (unsigned i = 0; i < cfg->n_uploads; i++) {
		r = endpoint_init(&u->endpoints[i], &cfg->uploads[i], err, errlen);
		u->nendpoints = i + 1;
		if (r < 0)
			return r;
	}
	u->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (u->epfd < 0)
		return -errno;
	if (!(u->multi = curl_multi_init()))
		return -ENOMEM;
	curl_multi_setopt(u->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(u->multi, CURLMOPT_SOCKETDATA, u);
	curl_multi_setopt(u->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(u->multi, CURLMOPT_TIMERDATA, u);
	r = cw_outbox_recover(db, now_realtime());
	if (r < 0) {
		snprintf(err, errlen, "outbox: %s", strerror(-r));
		return r;
	}
	*out = CW_TAKE_PTR(u);
	return 0;
}
