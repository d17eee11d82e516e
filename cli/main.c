/* crashwatch: the command line. Verb dispatch only; each verb lives in
 * its own file and parses its own options. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/verbs.h"
#include "common/cleanup.h"
#include "common/exit_codes.h"
#include "common/log.h"

struct verb {
	const char *name;
	int (*run)(int argc, char **argv); /* NULL: runs in crashwatch-full */
	const char *help;
};

/* crashwatch-full (-DCW_CLI_FULL) has every verb; crashwatch leaves the
 * ones that need libdw, capstone or libcurl to it (cli/exec_full.c), and
 * debug, which reads cores (libelf) for a container crash's sysroot. */
#ifdef CW_CLI_FULL
#define FULL_ONLY(fn) fn
#else
#define FULL_ONLY(fn) NULL
#endif

static const struct verb verbs[] = {
	{ "analyze", FULL_ONLY(cw_verb_analyze), "analyse a core file: goroutines, panic, fault" },
	{ "list", cw_verb_list, "list stored crashes (newest last)" },
	{ "info", cw_verb_info, "show a crash and its analysis" },
	{ "dump", cw_verb_dump, "write a crash's original core" },
	{ "debug", FULL_ONLY(cw_verb_debug), "open a crash in dlv or gdb" },
	{ "groups", cw_verb_groups, "crashes grouped by fingerprint" },
	{ "status", cw_verb_status, "daemon health, spool, store usage, queue" },
	{ "config", FULL_ONLY(cw_verb_config), "config check: validate the configuration" },
	{ "install", cw_verb_install, "register the collector as the kernel's core handler" },
	{ "uninstall", cw_verb_uninstall, "restore the previous core handler" },
	{ "uploads", cw_verb_uploads, "deliveries to [Upload] endpoints, dead letters, retry" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: crashwatch [--config FILE] VERB [OPTIONS] [ARGS]\n\n"
		"Collects, analyses and lists crashes (Go programs in depth).\n\nVerbs:\n");
	for (size_t i = 0; i < CW_ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].help);
	fprintf(f, "\nOptions:\n"
		"  -c, --config FILE  configuration file (default: $%s, else %s)\n"
		"  -h, --help         show this help (VERB --help: the verb's)\n"
		"      --version      show the version\n", CW_CONFIG_ENV, CW_CONFIG_DEFAULT_PATH);
}

int main(int argc, char **argv)
{
	int i = 1;
	cw_log_setup("crashwatch", NULL, LOG_WARNING);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return CW_EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("crashwatch %s\n", PACKAGE_VERSION);
			return CW_EXIT_OK;
		}
		if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc) {
			cw_set_config_path(argv[++i]);
			continue;
		}
		if (strncmp(argv[i], "--config=", 9) == 0) {
			cw_set_config_path(argv[i] + 9);
			continue;
		}
		fprintf(stderr, "crashwatch: unknown option %s\n", argv[i]);
		usage(stderr);
		return CW_EXIT_USAGE;
	}
	if (i == argc) {
		usage(stderr);
		return CW_EXIT_USAGE;
	}
	for (size_t k = 0; k < CW_ARRAY_SIZE(verbs); k++)
		if (strcmp(argv[i], verbs[k].name) == 0)
			return verbs[k].run ? verbs[k].run(argc - i, argv + i) : cw_cli_exec_full(argv);
	fprintf(stderr, "crashwatch: unknown verb \"%s\" (see crashwatch --help)\n", argv[i]);
	return CW_EXIT_USAGE;
}
