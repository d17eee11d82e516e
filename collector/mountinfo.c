/* See mountinfo.h. A line: "ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS
 * [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS"; the kernel escapes space,
 * tab, newline and backslash in paths as \ooo. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collector/mountinfo.h"
#include "common/cleanup.h"

#define MAX_LINES 65536

/* The next space-separated field of [*p, end): sets *f, *flen. */
static bool field(const char **p, const char *end, const char **f, size_t *flen)
{
	while (*p < end && **p == ' ')
		(*p)++;
	if (*p >= end)
		return false;
	*f = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	*flen = (size_t)(*p - *f);
	return true;
}

static bool unescape(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (ch == '\\' && len - i >= 4 && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
		    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			ch = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
			i += 3;
		}
		if (ch == 0 || o + 1 >= cap)
			return false;
		out[o++] = ch;
	}
	out[o] = 0;
	return o > 0 && out[0] == '/';
}

static bool parse_devno(const char *s, size_t len, unsigned *major, unsigned *minor)
{
	unsigned v[2] = { 0, 0 };
	int part = 0;
	size_t digits = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ':' && part == 0 && digits) {
			part = 1;
			digits = 0;
		} else if (s[i] >= '0' && s[i] <= '9' && digits < 9) {
			v[part] = v[part] * 10 + (unsigned)(s[i] - '0');
			digits++;
		} else {
			return false;
		}
	}
	if (part != 1 || !digits)
		return false;
	*major = v[0];
	*minor = v[1];
	return true;
}

int cw_mountinfo_next(const char *buf, size_t len, size_t *off, struct cw_mount *m)
{
	if (*off >= len)
		return 0;
	const char *line = buf + *off;
	const char *nl = memchr(line, '\n', len - *off);
	const char *end = nl ? nl : buf + len;
	*off = (size_t)(end - buf) + (nl ? 1 : 0);

	const char *p = line, *f;
	size_t fl;
	if (!field(&p, end, &f, &fl) || !field(&p, end, &f, &fl) || /* ID, PARENT */
	    !field(&p, end, &f, &fl) || !parse_devno(f, fl, &m->major, &m->minor) ||
	    !field(&p, end, &f, &fl) || !unescape(f, fl, m->root, sizeof(m->root)) ||
	    !field(&p, end, &f, &fl) || !unescape(f, fl, m->mount_point, sizeof(m->mount_point)))
		return -EBADMSG;
	return 1;
}

/* Whether prefix is path itself or a directory above it; *rest is what follows. */
static bool path_under(const char *path, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);
	if (n == 1 && prefix[0] == '/') {
		*rest = path;
		return path[0] == '/';
	}
	if (strncmp(path, prefix, n) || (path[n] != 0 && path[n] != '/'))
		return false;
	*rest = path + n;
	return true;
}

static bool joined_matches(const char *a, const char *b, const char *c, dev_t dev, ino_t ino, char **out)
{
	char *s = NULL;
	struct stat st;
	/* "/" + "" + "/x" must not give "//x" */
	if (asprintf(&s, "%s%s%s", strcmp(a, "/") ? a : "", b, c) < 0)
		return false;
	if (s[0] == 0) {
		free(s);
		s = strdup("/");
		if (!s)
			return false;
	}
	if (fstatat(AT_FDCWD, s, &st, AT_NO_AUTOMOUNT) == 0 && st.st_dev == dev && st.st_ino == ino) {
		*out = s;
		return true;
	}
	free(s);
	return false;
}

int cw_mountinfo_host_path(const char *inner, size_t inner_len, const char *outer, size_t outer_len,
			   const char *inner_path, dev_t dev, ino_t ino, char **out)
{
	_cleanup_free_ struct cw_mount *m = malloc(sizeof(*m));
	_cleanup_free_ struct cw_mount *best = malloc(sizeof(*best));
	size_t off = 0, best_len = 0;
	const char *rel = NULL;
	bool found = false;
	int r;

	*out = NULL;
	if (!m || !best)
		return -ENOMEM;
	for (unsigned n = 0; n < MAX_LINES && (r = cw_mountinfo_next(inner, inner_len, &off, m)) != 0; n++) {
		const char *rest;
		size_t mpl = strlen(m->mount_point);
		/* the last mount wins on a tie: it is on top */
		if (r == 1 && path_under(inner_path, m->mount_point, &rest) && (!found || mpl >= best_len)) {
			*best = *m;
			best_len = mpl;
			rel = rest;
			found = true;
		}
	}
	if (!found)
		return -ENOENT;
	off = 0;
	for (unsigned n = 0; n < MAX_LINES && (r = cw_mountinfo_next(outer, outer_len, &off, m)) != 0; n++) {
		const char *below;
		if (r != 1 || m->major != best->major || m->minor != best->minor ||
		    !path_under(best->root, m->root, &below))
			continue;
		if (joined_matches(m->mount_point, below, rel, dev, ino, out))
			return 0;
	}
	return -ENOENT;
}
