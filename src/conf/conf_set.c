/*
 * conf_set.c - the setters of the table of keys: one per value type
 * (string, list, boolean, duration, TTL, number, word, rate, prefixes,
 * limit networks, on_compromise words, UTC offset; blocks are walked in conf.c).  Each reads one UCL node, checks it, and stores it
 * in its row's field, freeing what a default or an earlier value left
 * there; a bad value is a message naming the line and the dotted key.
 *
 * Lists accept a single value too (UCL habit: policy = "127.0.0.1:10040")
 * and hold at most CONF_LIST_MAX items; the prefixes of a network have
 * no limit but the file's size.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf/conf_check.h"
#include "conf/conf_int.h"
#include "lib/dur.h"
#include "lib/err.h"
#include "lib/ipaddr.h"
#include "lib/xmalloc.h"

static const char *const conf_compromise_names[] = { "hold", "reject",
	"list", "notify", NULL };

/*
 * conf_scalar - the text of a string or atom node; an error for blocks,
 * arrays and text holding a NUL byte (C strings end there).
 */
static int
conf_scalar(struct conf_ctx *ctx, const struct ucl_node *n, const char *what)
{
	if (!ucl_is_scalar(n))
		return conf_fail(ctx, ERR_INVAL, n->line, "expects %s, not %s %s",
		    what, n->type == UCL_ARRAY ? "an" : "a",
		    n->type == UCL_ARRAY ? "array [ ]" : "block { }");
	if (strlen(n->str) != n->str_len)
		return conf_fail(ctx, ERR_INVAL, n->line, "NUL byte in the value");
	return 0;
}

static int
conf_strdup(struct conf_ctx *ctx, char **dst, const char *s)
{
	char *p = xstrdup(s);

	if (p == NULL)
		return conf_fail(ctx, ERR_NOMEM, ctx->line, "out of memory");
	xfree(*dst);
	*dst = p;
	return 0;
}

/* Run a value check; its reason becomes the message. */
static int
conf_run_check(struct conf_ctx *ctx, const void *arg, const struct ucl_node *n)
{
	conf_check_fn *check = (conf_check_fn *)(uintptr_t)arg;
	char why[256], show[56];

	if (check == NULL || check(n->str, n->str_len, why, sizeof(why)) == 0)
		return 0;
	return conf_fail(ctx, ERR_INVAL, n->line, "\"%s\": %s",
	    conf_show(n->str, n->str_len, show), why);
}

static int
conf_set_str_common(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base, bool empty_ok)
{
	int rc;

	if ((rc = conf_scalar(ctx, n, "a string")) != 0)
		return rc;
	if (n->str_len == 0 && !empty_ok)
		return conf_fail(ctx, ERR_INVAL, n->line, "must not be empty");
	if ((rc = conf_run_check(ctx, k->arg, n)) != 0)
		return rc;
	return conf_strdup(ctx, (char **)((char *)base + k->off), n->str);
}

int
conf_set_str(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	return conf_set_str_common(ctx, k, n, base, false);
}

int
conf_set_str_empty(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	return conf_set_str_common(ctx, k, n, base, true);
}

/*
 * conf_strv_from - a list of strings from an array, or from one scalar
 * (UCL habit: policy = "127.0.0.1:10040").  Each item is checked.
 */
static int
conf_strv_from(struct conf_ctx *ctx, const struct ucl_node *n,
    conf_check_fn *check, size_t max, struct conf_strv *out)
{
	const struct ucl_node *e;
	struct conf_strv v = { NULL, 0 };
	size_t count = n->type == UCL_ARRAY ? n->n_children : 1;
	int rc;

	if (n->type == UCL_OBJECT)
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "expects a list [ ... ] or a string, not a block { }");
	if (count > max)
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "a list of %zu items is over the limit of %zu", count, max);
	if ((v.v = xcalloc(count ? count : 1, sizeof(*v.v))) == NULL)
		return conf_fail(ctx, ERR_NOMEM, n->line, "out of memory");
	for (e = n->type == UCL_ARRAY ? n->child : n; e != NULL && v.n < count;
	    e = e->next) {
		rc = conf_scalar(ctx, e, "strings in the list");
		if (rc == 0 && e->str_len == 0)
			rc = conf_fail(ctx, ERR_INVAL, e->line,
			    "empty string in the list");
		if (rc == 0)
			rc = conf_run_check(ctx, (const void *)(uintptr_t)check, e);
		if (rc != 0) {
			conf_strv_free(&v);
			return rc;
		}
		if ((v.v[v.n] = xstrdup(e->str)) == NULL) {
			conf_strv_free(&v);
			return conf_fail(ctx, ERR_NOMEM, e->line, "out of memory");
		}
		v.n++;
	}
	conf_strv_free(out);
	*out = v;
	return 0;
}

int
conf_set_strv(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	return conf_strv_from(ctx, n, (conf_check_fn *)(uintptr_t)k->arg,
	    CONF_LIST_MAX, (struct conf_strv *)((char *)base + k->off));
}

int
conf_set_bool(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	bool *dst = (bool *)((char *)base + k->off);
	char show[56];
	size_t i;
	int rc;

	if ((rc = conf_scalar(ctx, n, "true or false")) != 0)
		return rc;
	for (i = 0; i < 3; i++) {
		if (strcasecmp(n->str, yes[i]) == 0) {
			*dst = true;
			return 0;
		}
		if (strcasecmp(n->str, no[i]) == 0) {
			*dst = false;
			return 0;
		}
	}
	return conf_fail(ctx, ERR_INVAL, n->line,
	    "\"%s\" is not a boolean (true/false, yes/no, on/off)",
	    conf_show(n->str, n->str_len, show));
}

int
conf_set_dur(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	const struct conf_range *r = k->arg;
	uint64_t ms;
	char show[56], lo[32], hi[32];
	int rc;

	if ((rc = conf_scalar(ctx, n, "a duration")) != 0)
		return rc;
	rc = dur_parse_ms(n->str, n->str_len, 1, &ms);
	if (rc == ERR_MALFORMED)
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "\"%s\" is not a duration (like 50ms, 30s, 5m, 1h, 2d)",
		    conf_show(n->str, n->str_len, show));
	if (rc != 0 || ms < r->min || ms > r->max) {
		dur_format(r->min, lo, sizeof(lo));
		dur_format(r->max, hi, sizeof(hi));
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "\"%s\" is out of range (%s to %s)",
		    conf_show(n->str, n->str_len, show), lo, hi);
	}
	*(uint64_t *)((char *)base + k->off) = ms;
	return 0;
}

/* A DNS TTL: seconds or a duration in whole seconds, RFC 2181 section 8. */
int
conf_set_ttl(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	uint64_t ms;
	char show[56];
	int rc;

	if ((rc = conf_scalar(ctx, n, "a TTL")) != 0)
		return rc;
	rc = dur_parse_ms(n->str, n->str_len, 1, &ms);
	if (rc != 0 || ms % 1000 != 0 || ms / 1000 > 0x7fffffffu)
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "\"%s\" is not a TTL (whole seconds, 0 to 2147483647, "
		    "or like 5m, 1h)", conf_show(n->str, n->str_len, show));
	*(uint32_t *)((char *)base + k->off) = (uint32_t)(ms / 1000);
	return 0;
}

static int
conf_parse_uint(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, uint64_t *out)
{
	const struct conf_range *r = k->arg;
	uint64_t v = 0;
	char show[56];
	size_t i;
	int rc;

	if ((rc = conf_scalar(ctx, n, "a number")) != 0)
		return rc;
	for (i = 0; i < n->str_len; i++) {
		if (n->str[i] < '0' || n->str[i] > '9' || v > r->max)
			break;
		v = v * 10 + (uint64_t)(n->str[i] - '0');
	}
	if (n->str_len == 0 || i < n->str_len || v < r->min || v > r->max)
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "\"%s\" is not a whole number from %llu to %llu",
		    conf_show(n->str, n->str_len, show),
		    (unsigned long long)r->min, (unsigned long long)r->max);
	*out = v;
	return 0;
}

int
conf_set_uint(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	uint64_t v;
	int rc;

	if ((rc = conf_parse_uint(ctx, k, n, &v)) != 0)
		return rc;
	*(unsigned *)((char *)base + k->off) = (unsigned)v;
	return 0;
}

int
conf_set_u64(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	uint64_t v;
	int rc;

	if ((rc = conf_parse_uint(ctx, k, n, &v)) != 0)
		return rc;
	*(uint64_t *)((char *)base + k->off) = v;
	return 0;
}

int
conf_set_enum(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	const char *const *names = k->arg;
	char show[56], list[256];
	int rc, i;

	if ((rc = conf_scalar(ctx, n, "a word")) != 0)
		return rc;
	if ((i = conf_check_word(names, n->str)) < 0)
		return conf_fail(ctx, ERR_INVAL, n->line, "\"%s\" is not one of %s",
		    conf_show(n->str, n->str_len, show),
		    conf_check_word_list(names, list, sizeof(list)));
	*(int *)((char *)base + k->off) = i;
	return 0;
}

int
conf_set_rate(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	struct conf_limit *lim = base;
	char show[56];
	int rc;

	(void)k;
	if ((rc = conf_scalar(ctx, n, "a rate")) != 0)
		return rc;
	rc = dur_parse_rate(n->str, n->str_len, &lim->rate_count,
	    &lim->rate_period_ms);
	if (rc == ERR_MALFORMED)
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "\"%s\" is not a rate COUNT/DURATION (like 200/1h)",
		    conf_show(n->str, n->str_len, show));
	if (rc != 0)
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "\"%s\" is out of range (count 1 to 4294967295, period "
		    "1ms to 10 years)", conf_show(n->str, n->str_len, show));
	return 0;
}

int
conf_set_prefixes(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	struct conf_network *net = base;
	struct conf_strv v = { NULL, 0 };
	struct ipprefix *pfx;
	size_t i;
	int rc;

	(void)k;
	if ((rc = conf_strv_from(ctx, n, conf_check_ip_or_prefix, SIZE_MAX,
	    &v)) != 0)
		return rc;
	if ((pfx = xcalloc(v.n ? v.n : 1, sizeof(*pfx))) == NULL) {
		conf_strv_free(&v);
		return conf_fail(ctx, ERR_NOMEM, n->line, "out of memory");
	}
	for (i = 0; i < v.n; i++)
		ipprefix_parse(v.v[i], strlen(v.v[i]), &pfx[i]);
	conf_strv_free(&v);
	xfree(net->prefixes);
	net->prefixes = pfx;
	net->n_prefixes = i;
	return 0;
}

/* limit.networks: names now, indexes once every network is known. */
int
conf_set_netnames(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	struct conf_pending *p;
	int rc;

	(void)k;
	(void)base;
	p = xreallocarray(ctx->pending, ctx->n_pending + 1, sizeof(*p));
	if (p == NULL)
		return conf_fail(ctx, ERR_NOMEM, n->line, "out of memory");
	ctx->pending = p;
	p = &ctx->pending[ctx->n_pending];
	memset(p, 0, sizeof(*p));
	p->limit = ctx->conf->n_limits - 1;
	p->line = n->line;
	ctx->n_pending++;
	if ((rc = conf_strv_from(ctx, n, NULL, CONF_LIST_MAX, &p->names)) != 0)
		return rc;
	if (p->names.n == 0)
		return conf_fail(ctx, ERR_INVAL, n->line, "empty list (leave "
		    "networks out to mean every non-exempt network)");
	return 0;
}

int
conf_set_compromise(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	struct conf_strv v = { NULL, 0 };
	unsigned bits = 0;
	char list[128];
	size_t i;
	int rc, w;

	if ((rc = conf_strv_from(ctx, n, NULL, CONF_LIST_MAX, &v)) != 0)
		return rc;
	for (i = 0; i < v.n; i++) {
		if ((w = conf_check_word(conf_compromise_names, v.v[i])) < 0) {
			char show[56];

			rc = conf_fail(ctx, ERR_INVAL, n->line,
			    "\"%s\" is not one of %s",
			    conf_show(v.v[i], strlen(v.v[i]), show),
			    conf_check_word_list(conf_compromise_names, list,
			    sizeof(list)));
			conf_strv_free(&v);
			return rc;
		}
		bits |= 1u << w;
	}
	conf_strv_free(&v);
	*(unsigned *)((char *)base + k->off) = bits;
	return 0;
}

/*
 * conf_set_utc_offset - local time minus UTC as ISO 8601 writes it,
 * "+01:00", "-05:00", "+05:30" (or "Z"), within -14:00 and +14:00.
 */
int
conf_set_utc_offset(struct conf_ctx *ctx, const struct conf_key *k,
    const struct ucl_node *n, void *base)
{
	char show[56];
	const char *v = n->str;
	int sign, hh, mm;

	if (!ucl_is_scalar(n) || strlen(n->str) != n->str_len)
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "expects an offset such as \"+01:00\"");
	if (n->str_len == 1 && (v[0] == 'Z' || v[0] == 'z')) {
		*(int32_t *)((char *)base + k->off) = 0;
		return 0;
	}
	if (n->str_len != 6 || (v[0] != '+' && v[0] != '-') || v[3] != ':' ||
	    !isdigit((unsigned char)v[1]) || !isdigit((unsigned char)v[2]) ||
	    !isdigit((unsigned char)v[4]) || !isdigit((unsigned char)v[5]))
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "\"%s\" is not an offset such as \"+01:00\" or \"-05:00\"",
		    conf_show(n->str, n->str_len, show));
	sign = v[0] == '-' ? -1 : 1;
	hh = (v[1] - '0') * 10 + (v[2] - '0');
	mm = (v[4] - '0') * 10 + (v[5] - '0');
	if (mm > 59 || hh * 60 + mm > 14 * 60)
		return conf_fail(ctx, ERR_INVAL, n->line,
		    "\"%s\" is outside -14:00 to +14:00",
		    conf_show(n->str, n->str_len, show));
	*(int32_t *)((char *)base + k->off) = sign * (hh * 3600 + mm * 60);
	return 0;
}
