/*
 * fuzz_conf.c - libFuzzer target for the configuration loader: the
 * input is a config file given to conf_load_text(); a load either fails
 * with a one-line "NAME:LINE: ..." message or gives a struct conf whose
 * counts and indexes are consistent.  Corpus: fuzz/corpus/fuzz_conf/,
 * replayed by `make test`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONF_ERR_MAX];
	struct conf *c;
	size_t i, j;

	if (conf_load_text("fuzz.conf", (const char *)data, size, &c, err,
	    sizeof(err)) != 0) {
		if (c != NULL || strncmp(err, "fuzz.conf:", 10) != 0 ||
		    strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	if (c->state_dir == NULL || c->policy_default_action == NULL ||
	    c->customer_key.n == 0 || c->redis_prefix == NULL)
		abort();
	for (i = 0; i < c->n_limits; i++) {
		if (c->limits[i].rate_count == 0 || c->limits[i].rate_period_ms == 0)
			abort();
		for (j = 0; j < c->limits[i].n_networks; j++)
			if (c->limits[i].networks[j] >= c->n_networks)
				abort();
		conf_limit_key_name(c->limits[i].key);
		conf_limit_count_name(c->limits[i].count);
		conf_action_name(c->limits[i].action);
	}
	for (i = 0; i < c->n_networks; i++)
		if (c->networks[i].n_prefixes == 0 || c->networks[i].name == NULL)
			abort();
	for (i = 0; i < c->n_zones; i++)
		for (j = 0; j < c->zones[i].n_datasets; j++)
			if (c->zones[i].datasets[j].type == NULL)
				abort();
	conf_free(c);
	return 0;
}
