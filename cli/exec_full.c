/* The verbs that need the analyzer (libdw, capstone) or libcurl live in
 * crashwatch-full: linking those libraries (and the dozens they bring)
 * into every `crashwatch list` costs more start-up time than the listing
 * itself. crashwatch runs crashwatch-full with its own command line. */
#include "config.h"
#include "cli/cli.h"
#include "common/exit_codes.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


#define FULL_NAME "crashwatch-full"

/* dir/crashwatch-full next to this executable (a build tree, or everything
 * installed in one directory); empty when there is none. */
static void full_next_to_self(char *out, size_t outlen)
{
	char self[PATH_MAX];
	out[0] = '\0';
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return;
	slash[1] = '\0';
	if (strlen(self) + sizeof(FULL_NAME) > outlen)
		return;
	snprintf(out, outlen, "%s%s", self, FULL_NAME);
	if (access(out, X_OK) < 0)
		out[0] = '\0';
}

int cw_cli_exec_full(char **argv)
{
	char path[PATH_MAX];
	full_next_to_self(path, sizeof(path));
	if (!path[0])
		snprintf(path, sizeof(path), "%s/%s", CW_LIBEXECDIR, FULL_NAME);
	fflush(stdout);
	execv(path, argv);
	fprintf(stderr, "crashwatch: cannot run %s: %s (it holds the analyzer and the upload checks; "
		"is crashwatch completely installed?)\n", path, strerror(errno));
	return CW_EXIT_FAILURE;
}
