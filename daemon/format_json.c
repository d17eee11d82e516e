/* Format=json: Standard Webhooks (https://www.standardwebhooks.com/). */
#include "config.h"
#include "daemon/format.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/json_util.h"
#include "common/io.h"
#include "daemon/payload.h"

void cw_http_request_clear(struct cw_http_request *r)
{
	free(r->url);
	free(r->body);
	for (size_t i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	memset(r, 0, sizeof(*r));
}

int cw_http_request_add_header(struct cw_http_request *r, const char *fmt, ...)
{
	if (r->nheaders >= CW_HTTP_MAX_HEADERS)
		return -E2BIG;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&r->headers[r->nheaders], fmt, ap);
	va_end(ap);
	if (n < 0) {
		r->headers[r->nheaders] = NULL;
		return -ENOMEM;
	}
	r->nheaders++;
	return 0;
}

void cw_webhook_secret_clear(struct cw_webhook_secret *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

int cw_webhook_secret_parse(const char *text, struct cw_webhook_secret *out)
{
	static const char prefix[] = "whsec_";
	uint8_t buf[CW_WEBHOOK_SECRET_MAX + 3];
	memset(out, 0, sizeof(*out));
	while (isspace((unsigned char)*text))
		text++;
	if (strncmp(text, prefix, sizeof(prefix) - 1) != 0)
		return -EINVAL;
	text += sizeof(prefix) - 1;
	size_t len = 0;
	while (text[len] && !isspace((unsigned char)text[len]))
		len++;
	for (size_t i = len; text[i]; i++)
		if (!isspace((unsigned char)text[i]))
			return -EINVAL;
	if (len == 0 || len % 4 != 0 || len / 4 * 3 > sizeof(buf))
		return -EINVAL;
	int n = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len);
	if (n < 0)
		return -EINVAL;
	/* EVP_DecodeBlock counts padding bytes as data */
	if (text[len - 1] == '=')
		n--;
	if (text[len - 2] == '=')
		n--;
	if (n <= 0 || (size_t)n > CW_WEBHOOK_SECRET_MAX) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return -EINVAL;
	}
	memcpy(out->key, buf, (size_t)n);
	out->len = (size_t)n;
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int cw_webhook_secret_load(const char *path, struct cw_webhook_secret *out)
{
	char text[4097];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	int rr = cw_read_upto(fd, text, sizeof(text) - 1, &len);
	if (rr < 0)
		return rr;
	if (len == sizeof(text) - 1)
		return -EFBIG;
	text[len] = '\0';
	int r = cw_webhook_secret_parse(text, out);
	OPENSSL_cleanse(text, sizeof(text));
	return r;
}

int cw_webhook_sign(const struct cw_webhook_secret *s, const char *msg_id, int64_t timestamp,
		    const char *body, size_t body_len, char out[CW_WEBHOOK_SIGNATURE_MAX])
{
	char prefix[160];
	int n = snprintf(prefix, sizeof(prefix), "%s.%" PRId64 ".", msg_id, timestamp);
	if (n < 0 || (size_t)n >= sizeof(prefix))
		return -EINVAL;
	uint8_t mac[EVP_MAX_MD_SIZE];
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!m)
		return -ENOSYS;
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(m);
	EVP_MAC_free(m);
	if (!ctx)
		return -ENOMEM;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t outl = 0;
	int ok = EVP_MAC_init(ctx, s->key, s->len, params) &&
		EVP_MAC_update(ctx, (const unsigned char *)prefix, (size_t)n) &&
		EVP_MAC_update(ctx, (const unsigned char *)body, body_len) &&
		EVP_MAC_final(ctx, mac, &outl, sizeof(mac));
	EVP_MAC_CTX_free(ctx);
	if (!ok)
		return -EIO;
	/* 32 bytes -> 44 characters of base64 plus NUL */
	EVP_EncodeBlock((unsigned char *)out, mac, (int)outl);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

int cw_webhook_msg_id(const char *delivery_id, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "msg_%s", delivery_id);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}


int cw_format_json(const char *delivery_id, struct json_object *data, int64_t now,
		   const struct cw_webhook_secret *secret, struct cw_http_request *req)
{
	_cleanup_json_ struct json_object *msg = json_object_new_object();
	char msg_id[64];
	int r;

	memset(req, 0, sizeof(*req));
	if (!msg)
		return -ENOMEM;
	if ((r = cw_webhook_msg_id(delivery_id, msg_id, sizeof(msg_id))) < 0)
		return r;
	const char *when = cw_data_string(data, "time");
	struct json_object *loop = NULL;
	bool is_loop = json_object_object_get_ex(data, "crash_loop", &loop) && loop;
	json_object_object_add(msg, "type", json_object_new_string(is_loop ? "crash.loop" : "crash.created"));
	json_object_object_add(msg, "timestamp", json_object_new_string(when ? when : ""));
	json_object_object_add(msg, "data", json_object_get(data));

	size_t len = 0;
	const char *text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text)
		return -ENOMEM;
	req->body = strndup(text, len);
	if (!req->body)
		return -ENOMEM;
	req->body_len = len;
	if ((r = cw_http_request_add_header(req, "Content-Type: application/json")) < 0 ||
	    (r = cw_http_request_add_header(req, "webhook-id: %s", msg_id)) < 0 ||
	    (r = cw_http_request_add_header(req, "webhook-timestamp: %" PRId64, now)) < 0)
		goto fail;
	if (secret) {
		char sig[CW_WEBHOOK_SIGNATURE_MAX];
		if ((r = cw_webhook_sign(secret, msg_id, now, req->body, req->body_len, sig)) < 0 ||
		    (r = cw_http_request_add_header(req, "webhook-signature: v1,%s", sig)) < 0)
			goto fail;
	}
	return 0;
fail:
	cw_http_request_clear(req);
	return r;
}
