/* The query socket: answers crashwatch for unprivileged users. Each
 * connection: read one request (bounded, with a deadline), check the
 * peer with SO_PEERCRED, answer restricted to the peer's uid (root: all). */
#include "config.h"
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/query_proto.h"
#include "storage/crash_summary.h"
#include "storage/crash_json.h"
#include "storage/outbox.h"

#define CONN_DEADLINE_USEC (5ULL * 1000000)
#define MAX_CONNECTIONS 32

struct conn {
	struct cw_daemon *d;
	int fd;
	sd_event_source *io, *timer;
	char buf[CW_QUERY_REQUEST_MAX + 1];
	size_t len;
	/* the answer, written as the peer reads it (never blocking the loop) */
	char *out;
	size_t out_len, out_off;
	int pass_fd;            /* sent with the first bytes, then closed */
};

static void conn_free(struct conn *c)
{
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	if (c->pass_fd >= 0)
		close(c->pass_fd);
	free(c->out);
	close(c->fd);
	c->d->query_connections--;
	free(c);
}

static struct json_object *error_response(int err, const char *msg)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(false));
	json_object_object_add(o, "errno", json_object_new_int(err));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static int add_crash(const struct cw_crash_record *c, void *userdata)
{
	struct json_object *arr = userdata, *o = cw_crash_to_json(c, c->analysis_json != NULL);
	if (!o)
		return -ENOMEM;
	json_object_array_add(arr, o);
	return 0;
}

static int add_summary(const struct cw_crash_summary *s, void *userdata)
{
	struct json_object *o = json_object_new_string_len(s->raw.p, (int)s->raw.len);
	if (!o)
		return -ENOMEM;
	json_object_array_add(userdata, o);
	return 0;
}

static int add_group(const struct cw_group *g, void *userdata)
{
	struct json_object *o = cw_group_to_json(g);
	if (!o)
		return -ENOMEM;
	json_object_array_add(userdata, o);
	return 0;
}

struct dump_target {
	int64_t id;
	char name[80];
	struct json_object *crash;
};

static int find_dump(const struct cw_crash_record *c, void *userdata)
{
	struct dump_target *t = userdata;
	t->id = c->id;
	const char *base = c->core_path ? strrchr(c->core_path, '/') : NULL;
	snprintf(t->name, sizeof(t->name), "%s", base ? base + 1 : "");
	t->crash = cw_crash_to_json(c, false);
	return t->crash ? 0 : -ENOMEM;
}

static struct json_object *answer(struct cw_daemon *d, struct cw_query_request *q, uid_t uid, int *fd_out)
{
	struct cw_crash_filter *f = &q->filter;
	f->restrict_uid = uid != 0;
	f->uid = uid;
	struct json_object *resp = json_object_new_object();
	json_object_object_add(resp, "ok", json_object_new_boolean(true));
	int r = 0;
	switch (q->verb) {
	case CW_QUERY_LIST:
	case CW_QUERY_INFO: {
		struct json_object *arr = json_object_new_array();
		f->with_analysis = q->verb == CW_QUERY_INFO;
		json_object_object_add(resp, "crashes", arr);
		r = cw_crashes_foreach(d->db, f, add_crash, arr);
		break;
	}
	case CW_QUERY_SUMMARIES: {
		struct json_object *arr = json_object_new_array();
		json_object_object_add(resp, "summaries", arr);
		r = cw_crashes_foreach_summary(d->db, f, add_summary, arr);
		/* the CONTAINER column: from the indexes, not a second listing */
		bool any = false;
		if (r == 0)
			r = cw_crashes_any_container(d->db, f, &any);
		json_object_object_add(resp, "any_container", json_object_new_boolean(any));
		break;
	}
	case CW_QUERY_GROUPS: {
		struct json_object *arr = json_object_new_array();
		json_object_object_add(resp, "groups", arr);
		r = cw_groups_foreach(d->db, f->restrict_uid, uid, add_group, arr);
		break;
	}
	case CW_QUERY_STATUS: {
		struct cw_store_stats s;
		r = cw_store_stats(d->db, f->restrict_uid, uid, &s);
		if (r < 0)
			break;
		struct json_object *st = json_object_new_object();
		json_object_object_add(st, "daemon_pid", json_object_new_int64(getpid()));
		json_object_object_add(st, "queue", json_object_new_int64((int64_t)d->queue_len + (d->current ? 1 : 0)));
		json_object_object_add(st, "ingested", json_object_new_int64((int64_t)d->ingested));
		json_object_object_add(st, "crashes", json_object_new_int64(s.crashes));
		json_object_object_add(st, "groups", json_object_new_int64(s.groups));
		json_object_object_add(st, "cores_stored", json_object_new_int64(s.cores_stored));
		json_object_object_add(st, "cores_disk_bytes", json_object_new_int64(s.cores_disk_bytes));
		json_object_object_add(st, "analyses_failed", json_object_new_int64(s.analyses_failed));
		json_object_object_add(st, "newest_usec", json_object_new_int64(s.newest_usec));
		/* uploads: the outbox spans every user's crashes, so root only */
		struct cw_outbox_counts oc;
		if (!f->restrict_uid && cw_outbox_counts(d->db, &oc) == 0) {
			json_object_object_add(st, "uploads_pending", json_object_new_int64(oc.pending));
			json_object_object_add(st, "uploads_delivered", json_object_new_int64(oc.delivered));
			json_object_object_add(st, "uploads_dead", json_object_new_int64(oc.dead));
		}
		struct json_object *loops = NULL;
		if (cw_crash_loops_json(d->db, f->restrict_uid, uid, s.newest_usec - CW_CRASH_LOOPS_SHOWN_USEC, &loops) == 0)
			json_object_object_add(st, "crash_loops", loops);
		json_object_object_add(resp, "status", st);
		break;
	}
	case CW_QUERY_LOOPS: {
		/* status's crash_loops alone: status counts every crash of the peer */
		struct json_object *loops = NULL;
		r = cw_crash_loops_shown_json(d->db, f->restrict_uid, uid, &loops);
		if (r == 0)
			json_object_object_add(resp, "crash_loops", loops);
		break;
	}
	case CW_QUERY_DUMP: {
		struct dump_target t = { 0 };
		if (f->id <= 0) {
			r = -EINVAL;
			break;
		}
		r = cw_crashes_foreach(d->db, f, find_dump, &t);
		if (r == 0 && !t.crash)
			r = -ENOENT;
		else if (r == 0 && !t.name[0])
			r = -ENODATA;
		if (r == 0) {
			*fd_out = openat(d->cores_fd, t.name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (*fd_out < 0)
				r = -errno;
		}
		if (r == 0)
			json_object_object_add(resp, "crash", t.crash);
		else
			json_object_put(t.crash);
		break;
	}
	}
	if (r < 0) {
		json_object_put(resp);
		return error_response(-r, r == -ENOENT ? "no such crash" :
				      r == -ENODATA ? "the core of this crash is not stored" : strerror(-r));
	}
	return resp;
}

/* Builds the answer to the request in c->buf into c->out (and c->pass_fd). */
static int prepare_answer(struct conn *c)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct cw_query_request q;
	struct json_object *resp;
	int r;
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0)
		resp = error_response(EPERM, "cannot identify the peer");
	else if ((r = cw_query_request_parse(c->buf, c->len, &q)) == -EOPNOTSUPP)
		resp = error_response(EOPNOTSUPP, "unknown verb"); /* a newer CLI's: it falls back */
	else if (r < 0)
		resp = error_response(EBADMSG, "malformed request");
	else
		resp = answer(c->d, &q, cred.uid, &c->pass_fd);
	const char *s = resp ? json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	c->out = s ? strdup(s) : NULL;
	json_object_put(resp);
	if (!c->out)
		return -ENOMEM;
	c->out_len = strlen(c->out);
	return 0;
}

/* Writes what the peer takes now; 1 when everything is written. */
static int write_some(struct conn *c)
{
	while (c->out_off < c->out_len) {
		struct iovec iov = { c->out + c->out_off, c->out_len - c->out_off };
		union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } ctl;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		if (c->pass_fd >= 0) {
			memset(&ctl, 0, sizeof(ctl));
			mh.msg_control = ctl.b;
			mh.msg_controllen = sizeof(ctl.b);
			struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &c->pass_fd, sizeof(int));
		}
		ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -EPIPE;
		if (c->pass_fd >= 0) {
			close(c->pass_fd);
			c->pass_fd = -1;
		}
		c->out_off += (size_t)n;
	}
	return 1;
}

static int on_conn_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct conn *c = userdata;
	if (c->out) {
		if (write_some(c) != 0)
			conn_free(c); /* done, or the peer went away */
		return 0;
	}
	for (;;) {
		if (c->len >= CW_QUERY_REQUEST_MAX) {
			conn_free(c); /* too long: drop */
			return 0;
		}
		ssize_t n = read(fd, c->buf + c->len, CW_QUERY_REQUEST_MAX - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			conn_free(c);
			return 0;
		}
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		if (n == 0 || memchr(c->buf, '\n', c->len))
			break;
	}
	if (prepare_answer(c) < 0 || write_some(c) != 0 ||
	    sd_event_source_set_io_events(c->io, EPOLLOUT) < 0)
		conn_free(c); /* the whole answer went at once (the usual case), or failure */
	return 0;
}

static int on_conn_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	conn_free(userdata);
	return 0;
}

static int on_accept(sd_event_source *s, int lfd, uint32_t revents, void *userdata)
{
	struct cw_daemon *d = userdata;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return 0;
	if (d->query_connections >= MAX_CONNECTIONS) {
		close(fd);
		return 0;
	}
	struct conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return 0;
	}
	d->query_connections++;
	c->d = d;
	c->fd = fd;
	c->pass_fd = -1;
	if (sd_event_add_io(d->ev, &c->io, fd, EPOLLIN, on_conn_io, c) < 0 ||
	    sd_event_add_time_relative(d->ev, &c->timer, CLOCK_MONOTONIC, CONN_DEADLINE_USEC, 0,
				       on_conn_timeout, c) < 0)
		conn_free(c);
	return 0;
}

static int bind_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	if (chmod(path, 0666) < 0 || listen(fd, 64) < 0)
		return -errno;
	return CW_TAKE_FD(fd);
}

int cw_query_socket_start(struct cw_daemon *d, int listen_fd)
{
	if (listen_fd < 0) {
		listen_fd = bind_socket(d->cfg.socket_path);
		if (listen_fd < 0)
			return listen_fd;
	} else
		fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
	d->query_fd = listen_fd;
	return sd_event_add_io(d->ev, &d->query_src, listen_fd, EPOLLIN, on_accept, d);
}
