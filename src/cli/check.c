/*
 * check.c - `relayguard check -c FILE`: validate the configuration and
 * every file it names, then print what the daemon would listen on and
 * what each part holds.  Exit 0 when all is well, 2 on a bad config or a
 * bad data file (the message names file, line and key), 1 when a file
 * cannot be read.
 */
#include <getopt.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dnsbl/dnsbl_detection.h"
#include "dnsbl/dnsbl_zone.h"
#include "engine/engine.h"
#include "lib/dur.h"
#include "lib/file.h"
#include "lib/xmalloc.h"


static void
check_print_strv(const char *key, const struct conf_strv *v)
{
	size_t i;

	printf("%s:", key);
	if (v->n == 0)
		printf(" (none)");
	for (i = 0; i < v->n; i++)
		printf(" %s", v->v[i]);
	printf("\n");
}

static void
check_print_limit(const struct conf *conf, const struct conf_limit *lim)
{
	char period[32];
	size_t i;

	dur_format(lim->rate_period_ms, period, sizeof(period));
	printf("limit %s: %s per %s, %llu/%s", lim->name,
	    conf_limit_count_name(lim->count), conf_limit_key_name(lim->key),
	    (unsigned long long)lim->rate_count, period);
	if (lim->burst)
		printf(" burst %llu", (unsigned long long)lim->burst);
	printf(", action %s, networks:", conf_action_name(lim->action));
	if (lim->n_networks == 0)
		printf(" (every non-exempt)");
	for (i = 0; i < lim->n_networks; i++)
		printf(" %s", conf->networks[lim->networks[i]].name);
	printf("\n");
}

/*
 * The detection datasets of a check: empty, created on demand, freed at
 * the end (the daemon keeps its own across reloads).
 */
struct check_dets {
	struct dnsbl_detection *v[64];
	size_t n;
};

static struct dnsbl_detection *
check_det(void *arg, const struct conf_zone *zone, const struct conf_dataset *ds,
    char *err, size_t errcap)
{
	struct check_dets *dets = arg;
	struct dnsbl_detection *d;

	(void)zone;
	if (dets->n == sizeof(dets->v) / sizeof(dets->v[0])) {
		snprintf(err, errcap, "too many detection datasets");
		return NULL;
	}
	if ((d = dnsbl_detection_new(ds->name, 0x7f000002u, ds->txt, zone->ttl_s)) == NULL) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	dets->v[dets->n++] = d;
	return d;
}

static void
check_dets_free(struct check_dets *dets)
{
	size_t i;

	for (i = 0; i < dets->n; i++)
		dnsbl_detection_free(dets->v[i]);
	dets->n = 0;
}

/*
 * check_zones_load - load every zone and data file as the daemon would.
 * Returns 0 with *out (NULL without zones), or 2 for a bad data file.
 */
static int
check_zones_load(const struct conf *conf, struct check_dets *dets,
    struct dnsbl_zones **out)
{
	char err[CONF_ERR_MAX];

	*out = NULL;
	if (conf->n_zones == 0)
		return 0;
	if (dnsbl_zones_build(conf, NULL, check_det, dets, NULL,
	    (int64_t)time(NULL), out, err, sizeof(err)) != 0) {
		fprintf(stderr, "relayguard: %s\n", err);
		return 2;
	}
	return 0;
}

/* check_zones_print - each zone and the entries of each dataset. */
static void
check_zones_print(const struct conf *conf, const struct dnsbl_zones *zs)
{
	size_t i, j;

	for (i = 0; zs != NULL && i < zs->n && i < conf->n_zones; i++) {
		const struct conf_zone *zone = &conf->zones[i];

		printf("zone %s: ttl %u, %zu datasets\n", zone->name, zone->ttl_s,
		    zone->n_datasets);
		for (j = 0; j < zone->n_datasets && j < zs->z[i].n_ds; j++) {
			const struct conf_dataset *ds = &zone->datasets[j];

			printf("  dataset %s: %s%s%s, %zu entries\n", ds->name, ds->type,
			    ds->file ? " " : "", ds->file ? ds->file : "",
			    dnsbl_ds_count(zs->z[i].ds[j]));
		}
	}
}

/* check_readable - a named file must be readable; 0 or 1 (runtime). */
static int
check_readable(const char *key, const char *path)
{
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "relayguard: %s: %s: cannot read\n", key, path);
		return 1;
	}
	return 0;
}


int
check_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = CONF_DEFAULT_PATH;
	struct check_dets dets = { .n = 0 };
	struct dnsbl_zones *zones;
	struct engine *engine;
	struct conf *conf;
	char err[CONF_ERR_MAX];
	int c, rc = 0;
	size_t i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			printf("usage: relayguard check [-c FILE]\n");
			return 0;
		default:
			fprintf(stderr, "usage: relayguard check [-c FILE]\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "relayguard: check: unexpected argument: %s\n", argv[optind]);
		return 2;
	}
	if ((conf = cli_load_conf(path)) == NULL)
		return 2;
	/* The engine checks combinations the config table cannot. */
	if ((engine = engine_new(conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "relayguard: %s: %s\n", path, err);
		conf_free(conf);
		return 2;
	}
	if ((rc = cli_load_overrides(engine, conf)) != 0 ||
	    (rc = check_zones_load(conf, &dets, &zones)) != 0) {
		engine_free(engine);
		conf_free(conf);
		check_dets_free(&dets);
		return rc;
	}

	printf("config %s: ok\n", path);
	check_print_strv("listen.policy", &conf->listen_policy);
	check_print_strv("listen.dns", &conf->listen_dns);
	check_print_strv("listen.http", &conf->listen_http);
	if (conf->state_backend == CONF_BACKEND_EMBEDDED)
		printf("state: embedded, dir %s\n", conf->state_dir);
	else {
		/* Every relay sharing limits names the same servers and prefix. */
		printf("state: redis, servers");
		for (i = 0; i < conf->redis_servers.n; i++)
			printf("%s%s", i ? ", " : " ", conf->redis_servers.v[i]);
		printf(", prefix \"%s\", timeout %llums; local state in %s\n",
		    conf->redis_prefix ? conf->redis_prefix : "",
		    (unsigned long long)conf->redis_timeout_ms, conf->state_dir);
	}
	printf("customer_key:");
	for (i = 0; i < conf->customer_key.n; i++)
		printf(" %s", conf->customer_key.v[i]);
	printf("\n");
	for (i = 0; i < conf->n_networks; i++) {
		const struct conf_network *net = &conf->networks[i];

		printf("network %s: %zu prefixes%s%s\n", net->name, net->n_prefixes,
		    net->require_auth ? ", require_auth" : "",
		    net->exempt ? ", exempt" : "");
	}
	for (i = 0; i < conf->n_limits; i++)
		check_print_limit(conf, &conf->limits[i]);
	printf("policy.default_action: %s\n", conf->policy_default_action);
	if (conf->detection_enabled) {
		int32_t off = conf->detection_utc_offset_s;
		int32_t aoff = off < 0 ? -off : off;

		printf("detection: enabled, alpha %g, beta %g, utc_offset %c%02d:%02d, "
		    "on_compromise:%s%s%s%s\n",
		    conf->detection_alpha, conf->detection_beta,
		    off < 0 ? '-' : '+', (int)(aoff / 3600), (int)(aoff % 3600 / 60),
		    conf->detection_on_compromise & CONF_ON_HOLD ? " hold" : "",
		    conf->detection_on_compromise & CONF_ON_REJECT ? " reject" : "",
		    conf->detection_on_compromise & CONF_ON_LIST ? " list" : "",
		    conf->detection_on_compromise & CONF_ON_NOTIFY ? " notify" : "");
	} else
		printf("detection: disabled\n");
	if (conf->feed_maillog != NULL)
		printf("feed.maillog: %s\n", conf->feed_maillog);
	if (conf->feed_syslog != NULL)
		printf("feed.syslog: %s\n", conf->feed_syslog);
	if (conf->listen_http.n > 0)
		printf("http: changes need the token from %s\n",
		    conf->http_token != NULL ? "http.token" :
		    conf->http_token_file != NULL ? conf->http_token_file : "(none: every change refused)");
	if (conf->http_token_file != NULL)
		rc |= check_readable("http.token_file", conf->http_token_file);
	if (conf->detection_notify_command != NULL)
		rc |= check_readable("detection.notify_command",
		    conf->detection_notify_command);
	check_zones_print(conf, zones);
	dnsbl_zones_unref(zones);
	check_dets_free(&dets);
	if (conf->policy_overrides != NULL)
		printf("policy.overrides: %s: %zu entries\n", conf->policy_overrides,
		    engine_overrides_count(engine));
	engine_free(engine);
	conf_free(conf);
	return rc;
}
