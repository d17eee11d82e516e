/* crashwatch analyze [OPTIONS] [BINARY] CORE: the analysis of one core
 * file, without the daemon. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/analysis.h"
#include "cli/verbs.h"
#include "common/cleanup.h"
#include "common/exit_codes.h"
#include "common/io.h"
#include "common/parse.h"

static void analyze_help(FILE *f)
{
	fputs("Usage: crashwatch analyze [OPTIONS] [BINARY] CORE\n"
	      "\n"
	      "Reconstruct a crash from a core file (raw or zstd-compressed) and the\n"
	      "executable that produced it: for Go programs every goroutine with its\n"
	      "frames, the panic chain and values, the fatal error, the faulting\n"
	      "instruction and the build info; for other programs the threads with\n"
	      "native frames. Without BINARY only threads and the signal are shown.\n"
	      "Both must be regular files (a FIFO or a device is refused).\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json              print the crashwatch.analysis.v1 JSON object\n"
	      "      --pretty            indent the JSON (default when stdout is a terminal)\n"
	      "  -a, --all               text: print every goroutine group and frame in full\n"
	      "      --no-native         skip native (libdwfl) unwinding of threads\n"
	      "  -L, --library FILE      a shared library for native frames, used for the module\n"
	      "                          of the core with its build id (repeatable, at most 32):\n"
	      "                          e.g. a container's library that is not on this host\n"
	      "      --max-goroutines N  stop after N goroutines\n"
	      "      --strict            exit with 7 when the executable does not match the core\n"
	      "      --color=WHEN        auto (default), always or never\n"
	      "  -q, --quiet             no progress messages on stderr\n"
	      "  -h, --help              show this help\n"
	      "\n"
	      "Exit status: 0 analysed, 1 the core or executable could not be read or\n"
	      "is not a regular file, 2 bad usage, 4 a file does not exist, 7 mismatch\n"
	      "(with --strict).\n",
	      f);
}

static void show_progress(void *userdata, const char *stage, size_t done, size_t total)
{
	(void)userdata;
	if (total)
		fprintf(stderr, "\rcrashwatch: %s %zu/%zu", stage, done, total);
	else
		fprintf(stderr, "\rcrashwatch: %-30s", stage);
	fflush(stderr);
}

CW_DEFINE_CLEANUP(struct cw_analysis *, cw_analysis_free)

struct lib_fds {
	int fd[32];
	size_t n;
};

static void lib_fds_close(struct lib_fds *l)
{
	for (size_t i = 0; i < l->n; i++)
		close(l->fd[i]);
}

int cw_verb_analyze(int argc, char **argv)
{
	enum { OPT_NO_NATIVE = 256, OPT_MAX_G, OPT_STRICT, OPT_COLOR, OPT_PRETTY };
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, OPT_PRETTY },
		{ "all", no_argument, NULL, 'a' },
		{ "no-native", no_argument, NULL, OPT_NO_NATIVE },
		{ "library", required_argument, NULL, 'L' },
		{ "max-goroutines", required_argument, NULL, OPT_MAX_G },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "colour", required_argument, NULL, OPT_COLOR },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false, pretty = isatty(STDOUT_FILENO), strict = false, quiet = false;
	struct cw_text_opts topts = { .color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") };
	struct cw_analyze_opts aopts;
	cw_analyze_opts_default(&aopts);
	int c;
	_cleanup_(lib_fds_close) struct lib_fds libs = { .n = 0 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "jaqhL:", options, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case OPT_PRETTY: pretty = true; break;
		case 'a': topts.all_goroutines = true; break;
		case OPT_NO_NATIVE: aopts.native_unwind = false; break;
		case 'L': {
			int fd = -1, r = libs.n < CW_ARRAY_SIZE(libs.fd) ? cw_open_regular(optarg, &fd) : -E2BIG;
			if (r < 0) {
				fprintf(stderr, "crashwatch analyze: --library %s: %s\n", optarg,
					r == -E2BIG ? "at most 32 libraries" : strerror(-r));
				return r == -ENOENT ? CW_EXIT_NOTFOUND : r == -E2BIG ? CW_EXIT_USAGE : CW_EXIT_FAILURE;
			}
			libs.fd[libs.n++] = fd;
			break;
		}
		case OPT_MAX_G: {
			uint64_t v;
			if (cw_parse_u64(optarg, 1, 100000000, &v) < 0) {
				fprintf(stderr, "crashwatch analyze: --max-goroutines: not a count: %s\n", optarg);
				return CW_EXIT_USAGE;
			}
			aopts.max_goroutines = v;
			break;
		}
		case OPT_STRICT: strict = true; break;
		case OPT_COLOR:
			if (strcmp(optarg, "always") == 0)
				topts.color = true;
			else if (strcmp(optarg, "never") == 0)
				topts.color = false;
			else if (strcmp(optarg, "auto") != 0) {
				fprintf(stderr, "crashwatch analyze: --color takes auto, always or never\n");
				return CW_EXIT_USAGE;
			}
			break;
		case 'q': quiet = true; break;
		case 'h': analyze_help(stdout); return CW_EXIT_OK;
		default: analyze_help(stderr); return CW_EXIT_USAGE;
		}
	}
	int nargs = argc - optind;
	if (nargs < 1 || nargs > 2) {
		fprintf(stderr, "crashwatch analyze: expected [BINARY] CORE (see --help)\n");
		return CW_EXIT_USAGE;
	}
	const char *binary = nargs == 2 ? argv[optind] : NULL;
	const char *core = argv[optind + nargs - 1];
	for (int i = optind; i < argc; i++)
		if (access(argv[i], R_OK) < 0) {
			fprintf(stderr, "crashwatch analyze: %s: %s\n", argv[i], strerror(errno));
			return errno == ENOENT ? CW_EXIT_NOTFOUND : CW_EXIT_FAILURE;
		}
	bool progress = !quiet && isatty(STDERR_FILENO);
	if (progress)
		aopts.progress = show_progress;
	aopts.library_fds = libs.fd;
	aopts.nlibrary_fds = libs.n;

	char err[1024] = "";
	_cleanup_(cw_analysis_freep) struct cw_analysis *a = NULL;
	int r = cw_analyze_files(binary, core, &aopts, &a, err, sizeof(err));
	if (progress)
		fputs("\r\033[K", stderr);
	if (r < 0) {
		fprintf(stderr, "crashwatch analyze: %s\n", err[0] ? err : strerror(-r));
		return r == -ENOENT ? CW_EXIT_NOTFOUND : CW_EXIT_FAILURE;
	}
	/* warnings go to stderr too, unless the text report on a terminal shows them */
	for (size_t i = 0; i < a->nwarnings && (json || !isatty(STDOUT_FILENO)); i++)
		fprintf(stderr, "crashwatch analyze: warning: %s\n", a->warnings[i]);
	if (json) {
		static char outbuf[1 << 20];
		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
		r = cw_analysis_write_json(a, stdout, pretty);
		if (!pretty)
			putchar('\n');
	} else {
		struct json_object *j = cw_analysis_to_json(a);
		if (!j) {
			fprintf(stderr, "crashwatch analyze: out of memory\n");
			return CW_EXIT_FAILURE;
		}
		r = cw_report_text(j, stdout, &topts);
		json_object_put(j);
	}
	if (fflush(stdout) != 0 || r < 0) {
		fprintf(stderr, "crashwatch analyze: writing the report: %s\n", strerror(r < 0 ? -r : errno));
		return CW_EXIT_FAILURE;
	}
	if (strict && a->exe_mismatch)
		return CW_EXIT_MISMATCH;
	return CW_EXIT_OK;
}
