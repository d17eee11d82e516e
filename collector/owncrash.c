/* See owncrash.h. The name of a process (comm, argv[0], the name of the
 * link it was started through) belongs to whoever started it; the
 * executable's identity on disk and the process's credentials do not. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "collector/owncrash.h"

#define COLLECTOR_NAME "crashwatch-collect"

bool cw_is_recursion(const struct cw_crash_info *c)
{
	return c->core_rlimit == 1;
}

bool cw_is_own_crash(const struct cw_procinfo *p)
{
	struct stat self, exe;

	if (!p->from_proc || p->exe_fd < 0)
		return false;
	if (p->uid != 0 || p->euid != 0 || p->gid != 0 || p->egid != 0)
		return false;
	if (fstat(p->exe_fd, &exe) < 0 || stat("/proc/self/exe", &self) < 0)
		return false;
	return S_ISREG(exe.st_mode) && exe.st_dev == self.st_dev && exe.st_ino == self.st_ino;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static bool name_is_ours(const char *name)
{
	return name && !strncmp(base_name(name), CW_COLLECTOR_COMM, strlen(CW_COLLECTOR_COMM));
}

bool cw_named_like_collector(const struct cw_crash_info *c, const struct cw_procinfo *p)
{
	return name_is_ours(c->comm) || name_is_ours(p->comm) || name_is_ours(p->exe) ||
	       (p->n_cmdline > 0 && name_is_ours(p->cmdline[0]));
}
