/*
 * cli.h - the subcommands of the relayguard command-line tool, one file
 * each, and what they share.  Each *_main takes the arguments after the
 * subcommand name (argv[0] is the subcommand) and returns the exit
 * status: 0 success, 1 runtime failure, 2 bad usage or bad config.
 */
#ifndef RG_CLI_CLI_H
#define RG_CLI_CLI_H

#include "conf/conf.h"

int check_main(int argc, char **argv);
int replay_main(int argc, char **argv);
int simulate_main(int argc, char **argv);
int evaluate_main(int argc, char **argv);
/* client_main - status, customers, incidents, release, hold, unhold,
 * list, unlist, lookup, complaint: the HTTP API client (client.c). */
int client_main(int argc, char **argv);

/*
 * cli_load_conf - load the config at path or print "relayguard: MESSAGE"
 * to stderr and return NULL (the caller exits 2).
 */
struct conf *cli_load_conf(const char *path);

struct engine;

/*
 * cli_load_overrides - read conf's policy.overrides (if set) into the
 * engine, the daemon's rules for it.  Returns 0; 1 when the file cannot
 * be read; 2 when it is malformed.  Errors go to stderr as
 * "relayguard: policy.overrides: FILE:LINE: reason".
 */
int cli_load_overrides(struct engine *engine, const struct conf *conf);

#endif
