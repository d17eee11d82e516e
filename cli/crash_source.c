/* The CLI's two ways to the history: direct SQLite (root) or the daemon. */
#include "config.h"
#include "cli/crash_source.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/exit_codes.h"
#include "common/query_proto.h"
#include "storage/outbox.h"
#include "storage/crash_json.h"
#include "storage/crash_libraries.h"

#define RESPONSE_MAX (512U << 20)

struct cw_source {
	struct cw_config cfg;
	struct cw_db *db;      /* direct mode */
	char error[512];
};

const struct cw_config *cw_source_config(struct cw_source *s) { return &s->cfg; }
bool cw_source_is_direct(struct cw_source *s) { return s->db != NULL; }
const char *cw_source_error(struct cw_source *s) { return s->error[0] ? s->error : NULL; }

int cw_source_open(const char *config_path, struct cw_source **out)
{
	struct cw_source *s = calloc(1, sizeof(*s));
	if (!s)
		return CW_EXIT_FAILURE;
	char err[512];
	const char *path = cw_config_path(config_path);
	if (cw_config_load(path, config_path != NULL || getenv(CW_CONFIG_ENV), &s->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "crashwatch: %s\n", err);
		cw_source_close(s);
		return CW_EXIT_CONFIG;
	}
	if (geteuid() == 0) {
		_cleanup_free_ char *db = cw_config_db_path(&s->cfg);
		int r = db ? cw_db_open(db, CW_DB_READONLY, &s->db) : -ENOMEM;
		if (r < 0) {
			fprintf(stderr, "crashwatch: cannot open the crash history %s: %s%s\n", db ? db : "",
				strerror(-r), r == -ENOENT ? " (has crashwatchd run yet?)" : "");
			cw_source_close(s);
			return CW_EXIT_UNAVAILABLE;
		}
	}
	*out = s;
	return CW_EXIT_OK;
}

void cw_source_close(struct cw_source *s)
{
	if (!s)
		return;
	cw_db_close(s->db);
	cw_config_free(&s->cfg);
	free(s);
}

/* One request to the daemon: returns the parsed response (ok checked). */
static int daemon_query(struct cw_source *s, enum cw_query_verb verb, const struct cw_crash_filter *f,
			struct json_object **resp, int *fd_out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!s->cfg.socket_path || strlen(s->cfg.socket_path) >= sizeof(sa.sun_path))
		return -EINVAL;
	strcpy(sa.sun_path, s->cfg.socket_path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		snprintf(s->error, sizeof(s->error), "cannot reach crashwatchd at %s: %s (is it running?)",
			 s->cfg.socket_path, strerror(-r));
		return r;
	}
	_cleanup_free_ char *req = NULL;
	int r = cw_query_request_format(verb, f, &req);
	if (r < 0)
		return r;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return -EIO;
	shutdown(fd, SHUT_WR);
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	struct json_object *obj = NULL;
	size_t total = 0;
	char buf[65536];
	for (;;) {
		union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } ctl;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
				     .msg_controllen = sizeof(ctl.b) };
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
				int got;
				memcpy(&got, CMSG_DATA(cm), sizeof(int));
				if (fd_out && *fd_out < 0)
					*fd_out = got;
				else
					close(got);
			}
		total += (size_t)n;
		if (total > RESPONSE_MAX)
			break;
		obj = json_tokener_parse_ex(tok, buf, (int)n);
		if (obj || json_tokener_get_error(tok) != json_tokener_continue)
			break;
	}
	json_tokener_free(tok);
	if (!obj) {
		snprintf(s->error, sizeof(s->error), "crashwatchd sent no valid answer");
		return -EBADMSG;
	}
	struct json_object *ok;
	if (!json_object_object_get_ex(obj, "ok", &ok) || !json_object_get_boolean(ok)) {
		struct json_object *e, *msg;
		int err = json_object_object_get_ex(obj, "errno", &e) ? json_object_get_int(e) : EIO;
		snprintf(s->error, sizeof(s->error), "%s",
			 json_object_object_get_ex(obj, "error", &msg) ? json_object_get_string(msg) : "failed");
		json_object_put(obj);
		if (fd_out && *fd_out >= 0) {
			close(*fd_out);
			*fd_out = -1;
		}
		return err > 0 ? -err : -EIO;
	}
	*resp = obj;
	return 0;
}

/* A request whose answer carries an array under key: *resp owns *arr. */
static int daemon_query_array(struct cw_source *s, enum cw_query_verb verb, const struct cw_crash_filter *f,
			      const char *key, struct json_object **resp, struct json_object **arr)
{
	int r = daemon_query(s, verb, f, resp, NULL);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(*resp, key, arr) || !json_object_is_type(*arr, json_type_array)) {
		json_object_put(*resp);
		*resp = NULL;
		return -EBADMSG;
	}
	return 0;
}

int cw_source_crashes(struct cw_source *s, const struct cw_crash_filter *f, cw_crash_cb cb, void *ud)
{
	if (s->db)
		return cw_crashes_foreach(s->db, f, cb, ud);
	struct json_object *resp = NULL, *arr;
	int r = daemon_query_array(s, f->with_analysis ? CW_QUERY_INFO : CW_QUERY_LIST, f, "crashes", &resp, &arr);
	if (r < 0)
		return r;
	for (size_t i = 0; i < json_object_array_length(arr) && r == 0; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *a;
		struct cw_crash_record c;
		if (cw_crash_from_json(o, &c) < 0)
			continue;
		if (json_object_object_get_ex(o, "analysis", &a) && a)
			c.analysis_json = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
		struct cw_crash_libraries libs;
		r = cw_crash_libraries_from_json(o, &libs);
		if (r < 0)
			break;
		c.libraries = libs.v;
		c.n_libraries = libs.n;
		c.libraries_truncated = libs.truncated;
		r = cb(&c, ud);
		cw_crash_libraries_clear(&libs);
	}
	json_object_put(resp);
	return r;
}

/* cb for each summary of a "summaries" answer; stops at cb's first non-zero. */
static int foreach_summary(struct json_object *arr, cw_crash_summary_cb cb, void *ud)
{
	int r = 0;
	for (size_t i = 0; i < json_object_array_length(arr) && r == 0; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct cw_crash_summary sum;
		if (!json_object_is_type(o, json_type_string) ||
		    cw_crash_summary_parse(json_object_get_string(o), (size_t)json_object_get_string_len(o), &sum) < 0)
			continue;
		r = cb(&sum, ud);
	}
	return r;
}

int cw_source_summaries(struct cw_source *s, const struct cw_crash_filter *f, cw_crash_summary_cb cb, void *ud)
{
	if (s->db)
		return cw_crashes_foreach_summary(s->db, f, cb, ud);
	struct json_object *resp = NULL, *arr;
	int r = daemon_query_array(s, CW_QUERY_SUMMARIES, f, "summaries", &resp, &arr);
	if (r < 0)
		return r;
	r = foreach_summary(arr, cb, ud);
	json_object_put(resp);
	return r;
}

static int has_container(const struct cw_crash_summary *c, void *ud)
{
	(void)ud;
	return c->container.len ? 1 : 0;
}

int cw_source_list(struct cw_source *s, const struct cw_crash_filter *f, cw_list_start_cb start,
		   cw_crash_summary_cb cb, void *ud)
{
	bool any = false;
	if (s->db) {
		if (cw_crashes_any_container(s->db, f, &any) < 0)
			any = false; /* the column is a nicety: list without it */
		start(any, ud);
		return cw_crashes_foreach_summary(s->db, f, cb, ud);
	}
	/* one request: the daemon says whether there is a container column */
	struct json_object *resp = NULL, *arr, *a;
	int r = daemon_query_array(s, CW_QUERY_SUMMARIES, f, "summaries", &resp, &arr);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(resp, "any_container", &a) && json_object_is_type(a, json_type_boolean))
		any = json_object_get_boolean(a);
	else /* a daemon before any_container: the summaries at hand say it */
		any = foreach_summary(arr, has_container, NULL) == 1;
	start(any, ud);
	r = foreach_summary(arr, cb, ud);
	json_object_put(resp);
	return r;
}

int cw_source_groups(struct cw_source *s, cw_group_cb cb, void *ud)
{
	if (s->db)
		return cw_groups_foreach(s->db, false, 0, cb, ud);
	struct json_object *resp = NULL, *arr;
	struct cw_crash_filter f = { 0 };
	int r = daemon_query_array(s, CW_QUERY_GROUPS, &f, "groups", &resp, &arr);
	if (r < 0)
		return r;
	for (size_t i = 0; i < json_object_array_length(arr) && r == 0; i++) {
		struct cw_group g;
		if (cw_group_from_json(json_object_array_get_idx(arr, i), &g) == 0)
			r = cb(&g, ud);
	}
	json_object_put(resp);
	return r;
}

int cw_source_crash_loops(struct cw_source *s, struct json_object **out)
{
	struct json_object *loops = NULL;
	if (!s->db) {
		struct cw_crash_filter f = { 0 };
		int r = daemon_query(s, CW_QUERY_LOOPS, &f, out, NULL);
		if (r == -EOPNOTSUPP || r == -EBADMSG) {
			/* a daemon before the loops verb: its status carries them */
			s->error[0] = '\0';
			return cw_source_status(s, out);
		}
		if (r == 0 && (!json_object_object_get_ex(*out, "crash_loops", &loops) ||
			       !json_object_is_type(loops, json_type_array))) {
			json_object_put(*out);
			*out = NULL;
			r = -EBADMSG;
		}
		return r;
	}
	int r = cw_crash_loops_shown_json(s->db, false, 0, &loops);
	if (r < 0)
		return r;
	struct json_object *o = json_object_new_object();
	if (!o || json_object_object_add(o, "crash_loops", loops) < 0) {
		json_object_put(loops);
		json_object_put(o);
		return -ENOMEM;
	}
	*out = o;
	return 0;
}

int cw_source_status(struct cw_source *s, struct json_object **out)
{
	struct cw_crash_filter f = { 0 };
	struct json_object *resp = NULL, *st;
	int r = daemon_query(s, CW_QUERY_STATUS, &f, &resp, NULL);
	if (r == 0 && json_object_object_get_ex(resp, "status", &st)) {
		*out = json_object_get(st);
		json_object_object_add(*out, "daemon", json_object_new_boolean(true));
		json_object_put(resp);
		return 0;
	}
	json_object_put(resp);
	if (!s->db)
		return r < 0 ? r : -EBADMSG;
	/* daemon down: what the database alone says */
	struct cw_store_stats ss;
	r = cw_store_stats(s->db, false, 0, &ss);
	if (r < 0)
		return r;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "daemon", json_object_new_boolean(false));
	json_object_object_add(o, "crashes", json_object_new_int64(ss.crashes));
	json_object_object_add(o, "groups", json_object_new_int64(ss.groups));
	json_object_object_add(o, "cores_stored", json_object_new_int64(ss.cores_stored));
	json_object_object_add(o, "cores_disk_bytes", json_object_new_int64(ss.cores_disk_bytes));
	json_object_object_add(o, "analyses_failed", json_object_new_int64(ss.analyses_failed));
	json_object_object_add(o, "newest_usec", json_object_new_int64(ss.newest_usec));
	struct json_object *loops = NULL;
	if (cw_crash_loops_json(s->db, false, 0, ss.newest_usec - CW_CRASH_LOOPS_SHOWN_USEC, &loops) == 0)
		json_object_object_add(o, "crash_loops", loops);
	/* uploads: the outbox's deliveries and dead letters */
	struct cw_outbox_counts oc;
	if (cw_outbox_counts(s->db, &oc) == 0) {
		json_object_object_add(o, "uploads_pending", json_object_new_int64(oc.pending));
		json_object_object_add(o, "uploads_delivered", json_object_new_int64(oc.delivered));
		json_object_object_add(o, "uploads_dead", json_object_new_int64(oc.dead));
	}
	*out = o;
	return 0;
}

struct core_lookup {
	char path[4096];
	bool found;
};

static int find_core(const struct cw_crash_record *c, void *ud)
{
	struct core_lookup *l = ud;
	l->found = true;
	if (c->core_path)
		snprintf(l->path, sizeof(l->path), "%s", c->core_path);
	return 0;
}

int cw_source_open_core(struct cw_source *s, int64_t id, int *fd_out)
{
	struct cw_crash_filter f = { .id = id };
	if (s->db) {
		struct core_lookup l = { .found = false };
		int r = cw_crashes_foreach(s->db, &f, find_core, &l);
		if (r < 0)
			return r;
		if (!l.found)
			return -ENOENT;
		if (!l.path[0])
			return -ENODATA;
		int fd = open(l.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		*fd_out = fd;
		return 0;
	}
	struct json_object *resp = NULL;
	*fd_out = -1;
	int r = daemon_query(s, CW_QUERY_DUMP, &f, &resp, fd_out);
	json_object_put(resp);
	if (r == 0 && *fd_out < 0)
		r = -EBADMSG;
	return r;
}
