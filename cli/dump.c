/* crashwatch dump: the original core, byte for byte. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/select_one.h"
#include "cli/verbs.h"
#include "common/cleanup.h"
#include "common/exit_codes.h"
#include "common/zstd_seekable.h"

static void dump_usage(FILE *f)
{
	fprintf(f, "Usage: crashwatch dump [OPTIONS] [ID|MATCH...]\n\n"
		"Write the core of a crash (default: the newest) exactly as the kernel produced it.\n\n"
		"  -o, --output FILE   write to FILE (default: stdout, when it is not a terminal)\n"
		"  -c, --config FILE   configuration file\n");
}

int cw_verb_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *output = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'c': cw_set_config_path(optarg); break;
		case 'h': dump_usage(stdout); return CW_EXIT_OK;
		default: dump_usage(stderr); return CW_EXIT_USAGE;
		}
	}
	if (!output && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "crashwatch dump: refusing to write a core to a terminal; use -o FILE or a pipe\n");
		return CW_EXIT_USAGE;
	}
	struct cw_source *src = NULL;
	int rc = cw_source_open(NULL, &src);
	if (rc != CW_EXIT_OK)
		return rc;
	struct cw_selected sel;
	_cleanup_close_ int in = -1, out = -1;
	int r = cw_select_one(src, argc - optind, argv + optind, &sel);
	if (r == 0)
		r = cw_source_open_core(src, sel.id, &in);
	if (r < 0) {
		rc = cw_report_error(src, "dump", r);
		cw_source_close(src);
		return rc;
	}
	if (output) {
		out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (out < 0) {
			fprintf(stderr, "crashwatch dump: %s: %s\n", output, strerror(errno));
			cw_source_close(src);
			return CW_EXIT_FAILURE;
		}
	}
	r = cw_zstd_decompress_fd(in, output ? out : STDOUT_FILENO, UINT64_MAX);
	if (r < 0) {
		fprintf(stderr, "crashwatch dump: decompressing the core of crash %lld: %s\n",
			(long long)sel.id, strerror(-r));
		rc = CW_EXIT_FAILURE;
	} else if (output && close(CW_TAKE_FD(out)) < 0) {
		fprintf(stderr, "crashwatch dump: %s: %s\n", output, strerror(errno));
		rc = CW_EXIT_FAILURE;
	} else if (output)
		fprintf(stderr, "Wrote the core of crash %lld to %s\n", (long long)sel.id, output);
	cw_source_close(src);
	return rc;
}
