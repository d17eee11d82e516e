/* crashwatch config check [FILE]: validates the configuration without starting anything. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/verbs.h"
#include "common/cwconfig.h"
#include "common/exit_codes.h"
#include "daemon/upload.h"

int cw_verb_config(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		FILE *f = argc < 2 ? stderr : stdout;
		fprintf(f, "Usage: crashwatch config check [FILE]\n\n"
			"Checks the configuration (FILE, else --config, $%s or %s)\n"
			"and its drop-ins; prints the first error with file, line and key.\n",
			CW_CONFIG_ENV, CW_CONFIG_DEFAULT_PATH);
		return argc < 2 ? CW_EXIT_USAGE : CW_EXIT_OK;
	}
	if (strcmp(argv[1], "check") != 0 || argc > 3) {
		fprintf(stderr, "crashwatch config: unknown subcommand \"%s\" (try: config check)\n", argv[1]);
		return CW_EXIT_USAGE;
	}
	const char *explicit_path = argc == 3 ? argv[2] : NULL;
	const char *path = cw_config_path(explicit_path);
	struct cw_config cfg;
	char err[512];
	int r = cw_config_load(path, explicit_path != NULL || getenv(CW_CONFIG_ENV), &cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		cw_config_free(&cfg);
		return CW_EXIT_CONFIG;
	}
	/* uploads: secrets, URL files and DSNs as crashwatchd will read them */
	r = cw_upload_check(&cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		cw_config_free(&cfg);
		return CW_EXIT_CONFIG;
	}
	printf("%s: OK%s\n", path, cfg.source ? "" : " (file absent: all defaults)");
	printf("  storage %s, %u upload endpoint(s), analysis timeout %llus\n", cfg.storage_dir,
	       cfg.n_uploads, (unsigned long long)cfg.analyze_timeout_sec);
	cw_config_free(&cfg);
	return CW_EXIT_OK;
}
