/* crashwatch's verbs: each is `int cw_verb_NAME(int argc, char **argv)`
 * with argv[0] the verb's name, parses its own options (getopt_long, with
 * --help), and returns the process exit code (see common/exit_codes.h). */
#ifndef CW_CLI_VERBS_H
#define CW_CLI_VERBS_H

int cw_verb_analyze(int argc, char **argv);

/* the history (cli/list.c, info.c, dump.c, debug.c, groups.c, status.c, config_check.c) */
int cw_verb_list(int argc, char **argv);
int cw_verb_info(int argc, char **argv);
int cw_verb_dump(int argc, char **argv);
int cw_verb_debug(int argc, char **argv);
int cw_verb_groups(int argc, char **argv);
int cw_verb_status(int argc, char **argv);
int cw_verb_config(int argc, char **argv);

/* registering the collector (cli/install.c) */
int cw_verb_install(int argc, char **argv);
int cw_verb_uninstall(int argc, char **argv);

/* uploads: the outbox's deliveries and dead letters (cli/uploads.c) */
int cw_verb_uploads(int argc, char **argv);

#endif
