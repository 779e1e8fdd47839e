/*
 * relayguard.c - the command-line tool: a table of subcommands.
 *
 * Offline commands (check, replay) run the same parsers and engine as the
 * daemon, with the input's own clock.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "lib/file.h"
#include "lib/xmalloc.h"
#include "lib/log.h"

struct cli_command {
	const char *name;
	int (*main_fn)(int argc, char **argv);
	const char *synopsis;
};

static const struct cli_command cli_commands[] = {
	{ "check", check_main, "check -c FILE                validate a config and the files it names" },
	{ "replay", replay_main, "replay -c FILE [--format trace|maillog] [-o OUT] INPUT|-   decide a trace or a Postfix log offline" },
	{ "simulate", simulate_main, "simulate [--customers N] [--compromised K] [--days D] [--seed S] [--scenario NAME]  a synthetic ISP trace" },
	{ "evaluate", evaluate_main, "evaluate -c FILE [--json] INPUT   score detection on a trace with ground truth" },
	{ "status", client_main, "status                       a running daemon: listeners, reloads, counts" },
	{ "customers", client_main, "customers [--state S] [-q TEXT]  customers ranked by risk" },
	{ "incidents", client_main, "incidents [--state open|released|all]  incidents and their held mail" },
	{ "release", client_main, "release ID                   release an incident (postsuper -H commands)" },
	{ "hold", client_main, "hold CUSTOMER                hold every further message of a customer" },
	{ "unhold", client_main, "unhold CUSTOMER              end a hold" },
	{ "list", client_main, "list ADDR --zone Z [--ttl D]  add to a zone's detection dataset" },
	{ "unlist", client_main, "unlist ADDR --zone Z         remove from it" },
	{ "lookup", client_main, "lookup ADDR                  what every DNSBL zone answers for ADDR" },
	{ "complaint", client_main, "complaint FILE|-             post an abuse report (ARF) to detection" },
};

static void
usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: relayguard COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < sizeof(cli_commands) / sizeof(cli_commands[0]); i++)
		fprintf(out, "  %s\n", cli_commands[i].synopsis);
	fprintf(out, "\n  --help       this text\n  --version    print the version\n"
	    "\nSee relayguard(1).\n");
}

struct conf *
cli_load_conf(const char *path)
{
	char err[CONF_ERR_MAX];
	struct conf *conf;

	if (conf_load(path, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "relayguard: %s\n", err);
		return NULL;
	}
	return conf;
}

/* The daemon reads the same file with the same limit (relayguardd.c). */
#define CLI_OVERRIDES_MAX (256u << 20)

int
cli_load_overrides(struct engine *engine, const struct conf *conf)
{
	char err[CONF_ERR_MAX];
	char *text;
	size_t len;
	int rc;

	if (conf->policy_overrides == NULL)
		return 0;
	if (file_read_all(conf->policy_overrides, CLI_OVERRIDES_MAX, &text, &len,
	    err, sizeof(err)) != 0) {
		fprintf(stderr, "relayguard: policy.overrides: %s\n", err);
		return 1;
	}
	rc = engine_load_overrides(engine, conf->policy_overrides, text, len,
	    err, sizeof(err));
	xfree(text);
	if (rc != 0) {
		fprintf(stderr, "relayguard: policy.overrides: %s\n", err);
		return 2;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	size_t i;

	log_open("relayguard", 1);
	log_set_level(LOG_LEVEL_WARN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("relayguard %s\n", RG_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(cli_commands) / sizeof(cli_commands[0]); i++)
		if (strcmp(argv[1], cli_commands[i].name) == 0)
			return cli_commands[i].main_fn(argc - 1, argv + 1);
	fprintf(stderr, "relayguard: unknown command: %s\n", argv[1]);
	usage(stderr);
	return 2;
}
