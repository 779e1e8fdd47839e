/*
 * fuzz_rbldnsd_data.c - libFuzzer target for proto/rbldnsd_data.c and the
 * dataset loaders: the input (gunzipped first when it is gzip) is loaded
 * as an ip4set, ip4trie, ip6trie and dnset; whatever loads is looked up
 * and walked (AXFR) to the end.  The corpus under
 * fuzz/corpus/fuzz_rbldnsd_data/ is replayed by `make test`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsbl/dnsbl_dnset.h"
#include "dnsbl/dnsbl_ds.h"
#include "dnsbl/dnsbl_ip4set.h"
#include "dnsbl/dnsbl_rmap.h"
#include "lib/xmalloc.h"
#include "proto/rbldnsd_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
walk_fn(void *arg, const uint8_t *rel, size_t rel_len, const struct dnsbl_hit *hits,
    unsigned nhits, const char *subst, size_t subst_len)
{
	char out[256];

	(void)rel;
	(void)subst;
	if (rel_len == 0 || rel_len > 255 || nhits == 0)
		abort();
	if (hits[0].txt != NULL)
		rbldnsd_data_subst(hits[0].txt, hits[0].txt_len, subst, subst_len, out, 255);
	return ++*(unsigned *)arg > 100000;	/* bound huge walks */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct dnsbl_ds_type *types[] = { &dnsbl_ip4set_type, &dnsbl_ip4trie_type,
	    &dnsbl_ip6trie_type, &dnsbl_dnset_type };
	const char *text = (const char *)data;
	char *inflated = NULL;
	size_t len = size, t;

	if (size > 65536)
		return 0;
	if (rbldnsd_data_is_gzip(data, size)) {
		if (rbldnsd_data_gunzip(data, size, 1 << 20, &inflated, &len) != 0)
			return 0;
		text = inflated;
	}
	for (t = 0; t < 4; t++) {
		struct dnsbl_ds *ds = NULL;
		char err[512];
		struct dnsbl_key k;
		struct dnsbl_hits h;
		unsigned n = 0, b;

		if (dnsbl_ds_load_text(types[t], "fuzz", text, len, 0x7f000002, "$ d",
		    60, &ds, err, sizeof(err)) != 0) {
			if (strncmp(err, "fuzz", 4) != 0)
				abort();
			continue;
		}
		memset(&k, 0, sizeof(k));
		k.kinds = DNSBL_KEY_IP4 | DNSBL_KEY_IP6 | DNSBL_KEY_NAME;
		k.rname = (const uint8_t *)"com.example";
		k.rname_len = 11;
		for (b = 0; b <= 32; b += 8) {
			memset(&h, 0, sizeof(h));
			k.ip4 = 0x0a010203;
			k.ip4_bits = b;
			k.ip6_bits = b * 4;
			k.ip6[0] = 0x20;
			ds->type->lookup(ds, &k, 0, &h);
		}
		ds->type->walk(ds, 0, walk_fn, &n);
		dnsbl_ds_free(ds);
	}
	xfree(inflated);
	return 0;
}
