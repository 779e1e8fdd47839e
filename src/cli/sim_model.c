/*
 * sim_model.c - the synthetic ISP of `relayguard simulate` (sim_model.h
 * documents the model; doc/simulate.md its numbers).
 *
 * Each customer has two actors, itself and (once compromised) its bot,
 * each with its own random stream, so a customer's legitimate mail is
 * the same whether or not it is ever compromised.  An actor is woken at
 * a time, decides whether it sends a message then, and names its next
 * wake-up: arrivals are Poisson, thinned by a diurnal curve (candidate
 * gaps drawn at the peak rate, each kept with probability weight/peak).
 *
 * Addresses, names and domains are computed from ids by hashing, not
 * stored: an address book entry is 8 bytes (struct sim_addr), and a
 * dynamic address is a function of (customer, lease number).
 *
 * Why one file past the usual size: the population, the names and
 * addresses and the two actors all work on struct sim_customer and its
 * random streams; split, that struct would have to become public and
 * the model's invariants (who may draw from which stream, so that a
 * seed gives the same trace) would be spread over several files.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/sim_model.h"
#include "lib/xmalloc.h"

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL
#define N_BIG 6
#define N_TAIL 20000
#define STALE_BIT 0x40000000u
#define HARVEST_BIT 0x80000000u
#define V4_STATIC_MAX 508	/* 198.51.100.1-254 and 203.0.113.1-254 */

struct sim_customer {
	uint8_t kind, attack;
	uint8_t n_helo, n_trips;
	char key[48];
	char user[16];
	char sender[72];
	char helo[2][40];
	char addr[IPADDR_STRLEN];	/* static address (business, newsletter) */
	char client_name[64];		/* its reverse name */
	uint32_t domain;		/* own domain (business, newsletter) */
	uint32_t v6net;			/* 24 bits of a /64 inside its /40 */
	uint32_t n_staff;		/* business: senders */
	struct sim_addr *book;		/* owned */
	uint32_t n_book;
	double per_day;			/* legitimate messages a day, on average */
	int64_t lease_ms, lease_phase_ms;
	int64_t join_ms;		/* new customers: first activity */
	int64_t special_ms;		/* greeting: the card; newsletter: next issue */
	uint32_t camp_next;		/* campaign: next address-book index */
	uint8_t batch;			/* campaign: recipients a message */
	uint8_t period_days;		/* newsletter */
	int64_t trip_start[2], trip_end[2];
	int32_t trip_tz_s[2];
	int64_t compromise_ms;
	int64_t burst_end_ms;
	double bot_rate_h;
	char bot_helo[40];
	uint32_t bot_pool;		/* stolen-account: botnet size */
	struct sim_rng rng[2];		/* 0: the customer, 1: its bot */
};

static const char *const big_domains[N_BIG] = {
	"webmail.example", "freemail.example", "mailbox.example",
	"post.example", "inbox.example", "mymail.example"
};
static const uint32_t big_weights[N_BIG] = { 30, 22, 16, 12, 12, 8 };

static const char *const first_names[32] = {
	"anna", "ben", "clara", "david", "emma", "felix", "greta", "hans",
	"ida", "jonas", "karin", "lukas", "maria", "nils", "olga", "paul",
	"rita", "sven", "tina", "uwe", "vera", "walter", "yvonne", "zoe",
	"ali", "chen", "elif", "ivan", "jana", "kemal", "lena", "omar"
};
static const char *const last_names[32] = {
	"meier", "schmidt", "fischer", "weber", "wagner", "becker", "hoffmann",
	"koch", "richter", "klein", "wolf", "neumann", "braun", "zimmer",
	"krueger", "hartmann", "lange", "werner", "krause", "lehmann", "koehler",
	"walter", "mayer", "huber", "kaiser", "fuchs", "peters", "lang",
	"scholz", "moeller", "weiss", "jung"
};
static const char *const syllables[32] = {
	"ka", "lo", "ven", "mar", "tis", "bro", "del", "fen", "gar", "hol",
	"ix", "jun", "kor", "lin", "mo", "nor", "pel", "qua", "ros", "sten",
	"tor", "ul", "vik", "wes", "yar", "zen", "al", "ber", "cor", "dun",
	"el", "fri"
};
static const char *const suffixes[8] = {
	"", "", "", "-gmbh", "-shop", "net", "-group", "-online"
};
static const char *const roles[8] = {
	"info", "sales", "contact", "office", "admin", "support", "billing", "news"
};

/* Diurnal weights by local hour: consumers (evenings), businesses. */
static const double consumer_curve[24] = {
	0.35, 0.2, 0.1, 0.06, 0.05, 0.08, 0.25, 0.6, 0.9, 1.0, 1.1, 1.1,
	1.2, 1.1, 1.0, 1.0, 1.1, 1.3, 1.6, 1.9, 2.0, 1.8, 1.3, 0.7
};
static const double business_curve[24] = {
	0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.1, 0.8, 2.2, 2.6, 2.6, 2.4,
	1.8, 2.2, 2.5, 2.4, 2.0, 1.2, 0.5, 0.2, 0.1, 0.05, 0.03, 0.02
};

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t
mix(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ (b * 0xd6e8feb86659fd93ull);

	return splitmix(&x);
}

void
sim_model_rng_seed(struct sim_rng *rng, uint64_t seed, uint64_t stream)
{
	uint64_t x = mix(seed, stream);
	int i;

	for (i = 0; i < 4; i++)
		rng->s[i] = splitmix(&x);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
next64(struct sim_rng *rng)
{
	uint64_t *s = rng->s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static double
unit(struct sim_rng *rng)
{
	return (double)(next64(rng) >> 11) * (1.0 / 9007199254740992.0);
}

static uint32_t
below(struct sim_rng *rng, uint32_t n)
{
	return (uint32_t)(((next64(rng) >> 32) * n) >> 32);
}

/* The exported names of the four above (sim_model.h). */
uint64_t
sim_model_mix(uint64_t a, uint64_t b)
{
	return mix(a, b);
}

uint64_t
sim_model_rng_u64(struct sim_rng *rng)
{
	return next64(rng);
}

double
sim_model_rng_unit(struct sim_rng *rng)
{
	return unit(rng);
}

uint32_t
sim_model_rng_below(struct sim_rng *rng, uint32_t n)
{
	return below(rng, n);
}

static double
rnd_exp(struct sim_rng *rng, double mean)
{
	return -log(1.0 - unit(rng)) * mean;
}

/* Log-uniform in [lo, hi]. */
static double
rnd_logu(struct sim_rng *rng, double lo, double hi)
{
	return exp(log(lo) + unit(rng) * (log(hi) - log(lo)));
}

static double
rnd_normal(struct sim_rng *rng)
{
	double u = 1.0 - unit(rng), v = unit(rng);

	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static bool
chance(struct sim_rng *rng, double p)
{
	return unit(rng) < p;
}

/* Zipf(1) over n items, approximately: the index is log-uniform. */
static uint32_t
rnd_zipf(struct sim_rng *rng, uint32_t n)
{
	uint32_t k = (uint32_t)exp(unit(rng) * log((double)n + 1.0));

	return k == 0 ? 0 : (k - 1 < n ? k - 1 : n - 1);
}

static uint32_t
big_domain(struct sim_rng *rng)
{
	uint32_t r = below(rng, 100), i;

	for (i = 0; i < N_BIG - 1 && r >= big_weights[i]; i++)
		r -= big_weights[i];
	return i;
}

static uint32_t
tail_domain(struct sim_rng *rng)
{
	return N_BIG + below(rng, N_TAIL);
}

const char *
sim_model_domain_name(const struct sim_model *m, uint32_t d)
{
	return m->domains[d < m->n_domains ? d : 0];
}

static void
build_domains(struct sim_model *m)
{
	uint32_t d;

	for (d = 0; d < m->n_domains; d++) {
		uint64_t h = mix(0x646f6d61696eull, d);
		char name[16];

		if (d < N_BIG) {
			snprintf(m->domains[d], sizeof(m->domains[d]), "%s", big_domains[d]);
			continue;
		}
		snprintf(name, sizeof(name), "%s%s%s", syllables[h & 31], syllables[(h >> 5) & 31],
		    (h >> 10) & 1 ? syllables[(h >> 11) & 31] : "");
		snprintf(m->domains[d], sizeof(m->domains[d]), "%s%s.%s", name,
		    suffixes[(h >> 16) & 7], (h >> 19) % 5 == 0 ? "test" : "example");
	}
}

/* Append text to buf (cap bytes, kept NUL-terminated) at *n. */
static void
cat(char *buf, size_t cap, size_t *n, const char *text)
{
	while (*text != '\0' && *n + 1 < cap)
		buf[(*n)++] = *text++;
	buf[*n] = '\0';
}

/* Append v in decimal, at least width digits. */
static void
cat_num(char *buf, size_t cap, size_t *n, unsigned v, int width)
{
	char d[12];
	int i = sizeof(d) - 1;

	d[i] = '\0';
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while ((v != 0 || (int)sizeof(d) - 1 - i < width) && i > 0);
	cat(buf, cap, n, d + i);
}

/*
 * A local part from its id: a person, a role or a harvested string.
 * Built by hand, not with snprintf: it is called for every recipient of
 * every request and log line.
 */
static void
local_name(uint32_t id, char *buf, size_t cap)
{
	uint64_t h = mix(0x6c6f63616cull, id & ~STALE_BIT);
	const char *f = first_names[h & 31], *l = last_names[(h >> 5) & 31];
	unsigned v = (unsigned)((h >> 10) % 100);
	char initial[2] = { f[0], '\0' };
	size_t n = 0;
	int i;

	buf[0] = '\0';
	if ((id & HARVEST_BIT) && ((h >> 20) & 3) == 0) {
		cat(buf, cap, &n, roles[(h >> 22) & 7]);
		return;
	}
	if ((id & HARVEST_BIT) && ((h >> 20) & 3) == 1) {
		for (i = 0; i < 4 && n + 1 < cap; i++)
			buf[n++] = (char)('a' + (h >> (24 + 5 * i)) % 26);
		buf[n] = '\0';
		cat_num(buf, cap, &n, (unsigned)((h >> 44) % 10000), 1);
		return;
	}
	switch ((h >> 17) & 3) {
	case 0:
		cat(buf, cap, &n, f);
		cat(buf, cap, &n, ".");
		cat(buf, cap, &n, l);
		break;
	case 1:
		cat(buf, cap, &n, f);
		cat(buf, cap, &n, l);
		cat_num(buf, cap, &n, v, 2);
		break;
	case 2:
		cat(buf, cap, &n, initial);
		cat(buf, cap, &n, l);
		break;
	default:
		cat(buf, cap, &n, f);
		cat(buf, cap, &n, "_");
		cat(buf, cap, &n, l);
		cat_num(buf, cap, &n, v, 1);
		break;
	}
}

void
sim_model_addr_format(const struct sim_model *m, const struct sim_addr *a, char *buf, size_t cap)
{
	size_t n;

	local_name(a->local, buf, cap);
	n = strlen(buf);
	cat(buf, cap, &n, "@");
	cat(buf, cap, &n, sim_model_domain_name(m, a->domain));
}

static void
fmt_v4(uint32_t a, char *buf)
{
	snprintf(buf, IPADDR_STRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
	    (a >> 8) & 255, a & 255);
}

/* A host inside a v4 block: host bits from h, never .0 or .255. */
static uint32_t
v4_in(uint32_t net, unsigned bits, uint64_t h)
{
	uint32_t a = net | (uint32_t)(h & ((1u << bits) - 1));

	if ((a & 255) == 0 || (a & 255) == 255)
		a = (a & ~255u) | (uint32_t)(1 + (h >> 40) % 254);
	return a;
}

/* 2001:db8:NNhh:hhhh::/64 with NN the /40 byte and 24 bits of subnet. */
static void
v6_addr(uint8_t net40, uint32_t subnet, uint64_t iid, char *buf, char *key, size_t keycap)
{
	struct ipaddr a;
	struct ipprefix p;
	int i;

	memset(&a, 0, sizeof(a));
	a.bytes[0] = 0x20;
	a.bytes[1] = 0x01;
	a.bytes[2] = 0x0d;
	a.bytes[3] = 0xb8;
	a.bytes[4] = net40;
	a.bytes[5] = (uint8_t)(subnet >> 16);
	a.bytes[6] = (uint8_t)(subnet >> 8);
	a.bytes[7] = (uint8_t)subnet;
	for (i = 0; i < 8; i++)
		a.bytes[8 + i] = (uint8_t)(iid >> (56 - 8 * i));
	if (buf != NULL)
		ipaddr_format(&a, buf, IPADDR_STRLEN);
	if (key != NULL) {
		/* As the engine groups IPv6 customers (SPEC section 3). */
		p.addr = a;
		p.len = 64;
		ipaddr_mask(&p.addr, 64);
		ipprefix_format(&p, key, keycap);
	}
}

static void
device_helo(struct sim_rng *rng, char *buf, size_t cap)
{
	static const char alnum[] = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
	char id[9];
	int i;

	for (i = 0; i < 8; i++)
		id[i] = alnum[below(rng, sizeof(alnum) - 1)];
	id[8] = '\0';
	switch (below(rng, 6)) {
	case 0:
		snprintf(buf, cap, "DESKTOP-%.7s", id);
		break;
	case 1:
		snprintf(buf, cap, "LAPTOP-%s", id);
		break;
	case 2:
		snprintf(buf, cap, "[192.168.%u.%u]", below(rng, 3) ? 178 : 1,
		    2 + below(rng, 200));
		break;
	case 3:
		snprintf(buf, cap, "smtpclient.apple");
		break;
	case 4:
		snprintf(buf, cap, "%s-pc.fritz.box", first_names[below(rng, 32)]);
		break;
	default:
		snprintf(buf, cap, "MacBook-%s.local", id);
		break;
	}
}

/* A random word as bots say HELO: letters, an address literal or a PC name. */
static void
bot_helo(struct sim_rng *rng, char *buf, size_t cap)
{
	char w[13];
	uint32_t i, n = 5 + below(rng, 8);

	for (i = 0; i < n; i++)
		w[i] = (char)('a' + below(rng, 26));
	w[n] = '\0';
	switch (below(rng, 4)) {
	case 0:
		snprintf(buf, cap, "%s", w);
		break;
	case 1:
		snprintf(buf, cap, "%s.com", w);
		break;
	case 2:
		snprintf(buf, cap, "[10.%u.%u.%u]", below(rng, 256), below(rng, 256),
		    1 + below(rng, 254));
		break;
	default:
		device_helo(rng, buf, cap);
		break;
	}
}

static void
fill_book(struct sim_customer *c, struct sim_rng *rng, uint32_t n, double big_share,
    unsigned circle, double stale)
{
	uint32_t circle_dom[120], i;

	if (circle > 120)
		circle = 120;
	for (i = 0; i < circle; i++)
		circle_dom[i] = tail_domain(rng);
	for (i = 0; i < n; i++) {
		c->book[i].local = (uint32_t)(next64(rng) >> 34);
		if (chance(rng, stale))
			c->book[i].local |= STALE_BIT;
		if (chance(rng, big_share))
			c->book[i].domain = big_domain(rng);
		else if (circle == 0)
			c->book[i].domain = tail_domain(rng);	/* anyone (a list) */
		else
			c->book[i].domain = circle_dom[below(rng, circle)];
	}
	c->n_book = n;
}

static const char *const kind_names[SIM_KIND_N] = {
	"legit-consumer", "legit-consumer-v6", "traveller", "greeting",
	"new-customer", "legit-business", "legit-business-v6", "newsletter"
};
static const char *const attack_kinds[SIM_ATTACK_N] = {
	"", "bot-high-rate", "bot-low-slow", "stolen-account", "relay-abuse"
};
static const char *const attack_names[SIM_ATTACK_N + 1] = {
	"none", "high-rate", "low-slow", "stolen-account", "business-relay", "standard"
};

/* Shares of the legitimate kinds; legit-consumer takes the rest. */
static const double kind_share[SIM_KIND_N] = {
	0, 0.08, 0.05, 0.02, 0.04, 0.045, 0.01, 0.005
};

bool
sim_model_scenario_parse(const char *name, enum sim_attack *out)
{
	int a;

	for (a = 1; a <= SIM_ATTACK_N; a++)
		if (strcmp(name, attack_names[a]) == 0) {
			*out = (enum sim_attack)a;
			return true;
		}
	return false;
}

const char *
sim_model_scenario_name(enum sim_attack a)
{
	return (unsigned)a <= SIM_ATTACK_N ? attack_names[a] : "none";
}

const char *
sim_model_key(const struct sim_model *m, unsigned i)
{
	return m->c[i].key;
}

const char *
sim_model_user(const struct sim_model *m, unsigned i)
{
	return m->c[i].user;
}

const char *
sim_model_scenario(const struct sim_model *m, unsigned i)
{
	return attack_names[m->c[i].attack];
}

static bool
is_business(const struct sim_customer *c)
{
	return c->kind == SIM_BUSINESS || c->kind == SIM_BUSINESS_V6;
}

/* A static address for businesses and newsletters: v4 while the pool lasts. */
static void
static_addr(struct sim_model *m, struct sim_customer *c, unsigned *v4_used,
    struct sim_rng *r, bool want_v6)
{
	if (!want_v6 && *v4_used < V4_STATIC_MAX) {
		unsigned k = (*v4_used)++;

		fmt_v4(k < 254 ? (198u << 24 | 51u << 16 | 100u << 8) + 1 + k :
		    (203u << 24 | 0u << 16 | 113u << 8) + 1 + (k - 254), c->addr);
		if (is_business(c))
			snprintf(c->key, sizeof(c->key), "%s", c->addr);
		if (c->kind == SIM_BUSINESS_V6)
			c->kind = SIM_BUSINESS;
		return;
	}
	c->v6net = (uint32_t)(next64(r) >> 40);
	v6_addr(0x02, c->v6net, 0x25, c->addr, is_business(c) ? c->key : NULL, sizeof(c->key));
	if (c->kind == SIM_BUSINESS)
		c->kind = SIM_BUSINESS_V6;
	(void)m;
}

static void
init_customer(struct sim_model *m, unsigned i, unsigned *v4_used)
{
	struct sim_customer *c = &m->c[i];
	const double dur = (double)(m->end_ms - m->p.start_ms);
	struct sim_rng r;
	char local[48];
	unsigned k;

	sim_model_rng_seed(&r, m->p.seed, (uint64_t)i * 4 + 2);
	sim_model_rng_seed(&c->rng[0], m->p.seed, (uint64_t)i * 4);
	sim_model_rng_seed(&c->rng[1], m->p.seed, (uint64_t)i * 4 + 1);
	local_name((uint32_t)(next64(&r) >> 34), local, sizeof(local));
	c->lease_ms = (1 + below(&r, 7)) * DAY_MS;
	c->lease_phase_ms = (int64_t)(unit(&r) * (double)c->lease_ms);
	c->v6net = (uint32_t)(next64(&r) >> 40);
	c->join_ms = m->p.start_ms;
	c->special_ms = INT64_MAX;
	if (is_business(c) || c->kind == SIM_NEWSLETTER) {
		c->domain = tail_domain(&r);
		snprintf(c->client_name, sizeof(c->client_name), "mail.%s",
		    sim_model_domain_name(m, c->domain));
		static_addr(m, c, v4_used, &r, c->kind == SIM_BUSINESS_V6 || chance(&r, 0.15));
		c->n_helo = 1;
		snprintf(c->helo[0], sizeof(c->helo[0]), "%s.%s",
		    c->kind == SIM_NEWSLETTER ? "lists" : "mail",
		    sim_model_domain_name(m, c->domain));
	} else {
		c->n_helo = 1 + chance(&r, 0.35);
		for (k = 0; k < c->n_helo; k++)
			device_helo(&r, c->helo[k], sizeof(c->helo[k]));
	}
	if (!is_business(c)) {
		snprintf(c->user, sizeof(c->user), "u%u", 1000 + i);
		snprintf(c->key, sizeof(c->key), "%s", c->user);
	}
	if (is_business(c)) {
		c->n_staff = 3 + below(&r, 28);
		c->per_day = rnd_logu(&r, 5, 80);
		c->n_book = (uint32_t)rnd_logu(&r, 100, 1500);
	} else if (c->kind == SIM_NEWSLETTER) {
		snprintf(c->sender, sizeof(c->sender), "%s@%s", below(&r, 2) ? "news" :
		    "newsletter", sim_model_domain_name(m, c->domain));
		c->n_book = (uint32_t)rnd_logu(&r, 100, 1000);
		c->period_days = (uint8_t)(1 + below(&r, 3));
		c->batch = (uint8_t)(below(&r, 2) ? 1 : 20 + below(&r, 31));
		/* The first issue on the first day. */
		c->special_ms = m->p.start_ms + (6 + below(&r, 14)) * HOUR_MS +
		    below(&r, 3600) * 1000LL;
	} else {
		snprintf(c->sender, sizeof(c->sender), "%s@%s", local, SIM_ISP_DOMAIN);
		c->per_day = fmin(30.0, exp(log(1.2) + 0.9 * rnd_normal(&r)));
		c->n_book = (uint32_t)(c->kind == SIM_GREETING ? rnd_logu(&r, 50, 250) :
		    c->kind == SIM_NEW ? rnd_logu(&r, 5, 60) : rnd_logu(&r, 10, 150));
	}
	c->book = xcalloc(c->n_book, sizeof(*c->book));
	if (c->book == NULL) {
		c->n_book = 0;
		return;
	}
	if (is_business(c))
		fill_book(c, &r, c->n_book, 0.4, 20 + below(&r, 80), 0.015);
	else if (c->kind == SIM_NEWSLETTER)
		fill_book(c, &r, c->n_book, 0.6, 0, 0.03);
	else
		fill_book(c, &r, c->n_book, 0.55, 2 + below(&r, 5), 0.015);

	switch (c->kind) {
	case SIM_NEW:
		c->join_ms = m->p.start_ms + (int64_t)((0.3 + 0.6 * unit(&r)) * dur);
		break;
	case SIM_GREETING: {
		int64_t day = (int64_t)(unit(&r) * dur) / DAY_MS;

		c->special_ms = m->p.start_ms + day * DAY_MS + (9 + below(&r, 12)) * HOUR_MS +
		    below(&r, 3600) * 1000LL;
		c->batch = (uint8_t)(below(&r, 2) ? 1 : SIM_RCPT_MAX);
		break;
	}
	case SIM_TRAVELLER:
		c->per_day *= 1.5;
		c->n_trips = dur >= 3 * DAY_MS ? 2 : 1;
		for (k = 0; k < c->n_trips; k++) {
			double len = dur >= 3 * DAY_MS ? (double)DAY_MS * (1 + 2 * unit(&r)) :
			    (double)HOUR_MS * (6 + 14 * unit(&r));

			c->trip_start[k] = m->p.start_ms + (int64_t)(unit(&r) * (dur - len));
			c->trip_end[k] = c->trip_start[k] + (int64_t)len;
			c->trip_tz_s[k] = (int32_t)((3 + below(&r, 7)) * 3600) *
			    (below(&r, 2) ? 1 : -1);
		}
		break;
	default:
		break;
	}

	if (c->attack != SIM_ATTACK_NONE) {
		double clean = fmax(6.0 * HOUR_MS, dur / 4), last = dur * 0.75;

		c->compromise_ms = m->p.start_ms + (int64_t)(clean + unit(&r) *
		    fmax(0.0, last - clean));
		c->burst_end_ms = 0;
		bot_helo(&r, c->bot_helo, sizeof(c->bot_helo));
		switch (c->attack) {
		case SIM_HIGH_RATE:
			c->bot_rate_h = rnd_logu(&r, 300, 2000);
			break;
		case SIM_LOW_SLOW:
			c->bot_rate_h = 2 + 4 * unit(&r);
			break;
		case SIM_STOLEN:
			c->bot_rate_h = rnd_logu(&r, 100, 600);
			c->bot_pool = (uint32_t)rnd_logu(&r, 50, 2000);
			break;
		default:
			c->bot_rate_h = rnd_logu(&r, 50, 500);
			break;
		}
	}
}

int
sim_model_init(struct sim_model *m, const struct sim_params *p, char *err, size_t errcap)
{
	unsigned *perm = NULL, counts[SIM_KIND_N], i, j, k, legit, v4_used = 0;
	uint8_t *kinds = NULL;
	struct sim_rng r;

	memset(m, 0, sizeof(*m));
	m->p = *p;
	m->end_ms = p->start_ms + (int64_t)p->days * DAY_MS;
	if (p->compromised > p->customers) {
		snprintf(err, errcap, "--compromised %u exceeds --customers %u", p->compromised,
		    p->customers);
		return -1;
	}
	m->n_domains = N_BIG + N_TAIL;
	m->domains = xcalloc(m->n_domains, sizeof(*m->domains));
	m->c = xcalloc(p->customers ? p->customers : 1, sizeof(*m->c));
	perm = xcalloc(p->customers ? p->customers : 1, sizeof(*perm));
	kinds = xcalloc(p->customers ? p->customers : 1, 1);
	if (m->domains == NULL || m->c == NULL || perm == NULL || kinds == NULL) {
		snprintf(err, errcap, "out of memory");
		xfree(perm);
		xfree(kinds);
		sim_model_fini(m);
		return -1;
	}
	build_domains(m);
	sim_model_rng_seed(&r, p->seed, 0x706f70ull);

	/* Who is compromised, and how (standard: the kinds in turn). */
	for (i = 0; i < p->customers; i++)
		perm[i] = i;
	for (i = 0; i < p->customers; i++) {
		j = i + below(&r, p->customers - i);
		k = perm[i];
		perm[i] = perm[j];
		perm[j] = k;
	}
	for (i = 0; i < p->compromised; i++) {
		struct sim_customer *c = &m->c[perm[i]];

		c->attack = (uint8_t)(p->scenario == SIM_ATTACK_MIX ? 1 + i % (SIM_ATTACK_N - 1) :
		    p->scenario);
		if (c->attack == SIM_RELAY)
			c->kind = chance(&r, 0.2) ? SIM_BUSINESS_V6 : SIM_BUSINESS;
		else
			c->kind = chance(&r, 0.15) ? SIM_CONSUMER_V6 : SIM_CONSUMER;
	}

	/* The legitimate kinds by quota, at least one of each when there is room. */
	legit = p->customers - p->compromised;
	for (k = 1, j = 0; k < SIM_KIND_N; k++) {
		counts[k] = (unsigned)(kind_share[k] * legit);
		if (counts[k] == 0 && legit >= 2 * SIM_KIND_N)
			counts[k] = 1;
		j += counts[k];
	}
	counts[SIM_CONSUMER] = legit > j ? legit - j : 0;
	for (k = 0, j = 0; k < SIM_KIND_N; k++)
		for (i = 0; i < counts[k] && j < legit; i++)
			kinds[j++] = (uint8_t)k;
	for (i = 0; i < legit; i++) {
		j = i + below(&r, legit - i);
		k = kinds[i];
		kinds[i] = kinds[j];
		kinds[j] = (uint8_t)k;
	}
	for (i = 0; i < legit; i++)
		m->c[perm[p->compromised + i]].kind = kinds[i];
	for (i = 0; i < p->customers; i++)
		init_customer(m, i, &v4_used);
	xfree(perm);
	xfree(kinds);
	return 0;
}

void
sim_model_fini(struct sim_model *m)
{
	unsigned i;

	if (m->c != NULL)
		for (i = 0; i < m->p.customers; i++)
			xfree(m->c[i].book);
	xfree(m->c);
	xfree(m->domains);
	m->c = NULL;
	m->domains = NULL;
}

/* Local hour and weekday (0: Sunday) at t with a zone offset. */
static void
local_time(int64_t t_ms, int32_t tz_s, int *hour, int *wday)
{
	int64_t s = t_ms / 1000 + tz_s, day = s >= 0 ? s / 86400 : (s - 86399) / 86400;

	*hour = (int)((s - day * 86400) / 3600);
	*wday = (int)(((day + 4) % 7 + 7) % 7);
}

static int
trip_at(const struct sim_customer *c, int64_t t_ms)
{
	int k;

	for (k = 0; k < c->n_trips; k++)
		if (t_ms >= c->trip_start[k] && t_ms < c->trip_end[k])
			return k;
	return -1;
}

/* The customer's address at t: home lease, /64, trip or static. */
static void
home_addr(const struct sim_model *m, unsigned i, int64_t t_ms, struct sim_msg_plan *pl)
{
	const struct sim_customer *c = &m->c[i];
	int64_t day = (t_ms - m->p.start_ms) / DAY_MS;
	int trip = c->kind == SIM_TRAVELLER ? trip_at(c, t_ms) : -1;
	uint32_t a;

	if (is_business(c) || c->kind == SIM_NEWSLETTER) {
		snprintf(pl->client_addr, sizeof(pl->client_addr), "%s", c->addr);
		snprintf(pl->client_name, sizeof(pl->client_name), "%s", c->client_name);
	} else if (trip >= 0) {
		uint64_t h = mix(m->p.seed ^ (i * 8u + (unsigned)trip), (uint64_t)day);

		fmt_v4(v4_in(0xc6120000u, 17, h), pl->client_addr);
		snprintf(pl->client_name, sizeof(pl->client_name), "unknown");
	} else if (c->kind == SIM_CONSUMER_V6) {
		v6_addr(0x01, c->v6net, mix(m->p.seed ^ i, (uint64_t)day) | 1,
		    pl->client_addr, NULL, 0);
		snprintf(pl->client_name, sizeof(pl->client_name), "unknown");
	} else {
		int64_t lease = (t_ms - m->p.start_ms + c->lease_phase_ms) / c->lease_ms;

		a = v4_in(0x64400000u, 22, mix(m->p.seed ^ ((uint64_t)i << 20), (uint64_t)lease));
		fmt_v4(a, pl->client_addr);
		snprintf(pl->client_name, sizeof(pl->client_name), "dyn-%u-%u-%u-%u.pool.%s",
		    a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, SIM_ISP_DOMAIN);
	}
}

static uint32_t
legit_size(struct sim_rng *rng)
{
	double s = chance(rng, 0.08) ? exp(log(600000.0) + rnd_normal(rng)) :
	    exp(log(6000.0) + 0.8 * rnd_normal(rng));

	return (uint32_t)fmin(fmax(s, 600.0), 20e6);
}

static bool
has_rcpt(const struct sim_msg_plan *pl, const struct sim_addr *a)
{
	uint16_t k;

	for (k = 0; k < pl->n_rcpt; k++)
		if (pl->rcpt[k].local == a->local && pl->rcpt[k].domain == a->domain)
			return true;
	return false;
}

/* n recipients from the address book by popularity, no repeats. */
static void
book_rcpts(struct sim_customer *c, struct sim_rng *rng, struct sim_msg_plan *pl, unsigned n)
{
	unsigned tries;

	if (n > c->n_book)
		n = c->n_book;
	while (pl->n_rcpt < n) {
		const struct sim_addr *a = &c->book[rnd_zipf(rng, c->n_book)];

		for (tries = 0; has_rcpt(pl, a) && tries < 8; tries++)
			a = &c->book[below(rng, c->n_book)];
		if (has_rcpt(pl, a))
			break;
		pl->rcpt[pl->n_rcpt] = *a;
		pl->outcome[pl->n_rcpt++] = (a->local & STALE_BIT) ? SIM_UNKNOWN :
		    chance(rng, 0.01) ? SIM_GREYLISTED : SIM_SENT;
	}
}

/* A campaign message: the next batch of the address book in order. */
static void
campaign_rcpts(struct sim_customer *c, struct sim_rng *rng, struct sim_msg_plan *pl)
{
	while (pl->n_rcpt < c->batch && c->camp_next < c->n_book) {
		const struct sim_addr *a = &c->book[c->camp_next++];

		pl->rcpt[pl->n_rcpt] = *a;
		pl->outcome[pl->n_rcpt++] = (a->local & STALE_BIT) ? SIM_UNKNOWN :
		    chance(rng, 0.01) ? SIM_GREYLISTED : SIM_SENT;
	}
}

static void
legit_plan(struct sim_model *m, unsigned i, int64_t t_ms, struct sim_msg_plan *pl, bool campaign)
{
	struct sim_customer *c = &m->c[i];
	struct sim_rng *rng = &c->rng[0];
	double u;
	unsigned n;

	memset(pl, 0, offsetof(struct sim_msg_plan, rcpt));
	pl->kind = kind_names[c->kind];
	pl->sasl = !is_business(c);
	home_addr(m, i, t_ms, pl);
	snprintf(pl->helo, sizeof(pl->helo), "%s", c->helo[below(rng, c->n_helo)]);
	if (is_business(c)) {
		char local[48];

		local_name((uint32_t)mix(c->domain, below(rng, c->n_staff)) >> 2, local,
		    sizeof(local));
		snprintf(pl->sender, sizeof(pl->sender), "%s@%s", local,
		    sim_model_domain_name(m, c->domain));
	} else {
		snprintf(pl->sender, sizeof(pl->sender), "%s", c->sender);
	}
	pl->size = legit_size(rng);
	if (campaign) {
		campaign_rcpts(c, rng, pl);
		return;
	}
	u = unit(rng);
	if (is_business(c))
		n = u < 0.6 ? 1 : u < 0.95 ? 2 + below(rng, 4) : 6 + below(rng, 10);
	else
		n = u < 0.75 ? 1 : u < 0.93 ? 2 + below(rng, 2) :
		    u < 0.99 ? 4 + below(rng, 5) : 9 + below(rng, 12);
	book_rcpts(c, rng, pl, n);
}

static int64_t
later(int64_t t_ms, double gap_ms)
{
	return t_ms + (gap_ms < 1 ? 1 : (int64_t)gap_ms);
}

/* A diurnal curve's peak and mean weight. */
static void
curve_stats(const double *curve, double *peak, double *mean)
{
	int h;

	*peak = 0;
	*mean = 0;
	for (h = 0; h < 24; h++) {
		*peak = fmax(*peak, curve[h]);
		*mean += curve[h] / 24;
	}
}

/*
 * The customer itself: a campaign (newsletter issue, greeting cards) in
 * progress sends its next batch; otherwise a Poisson candidate, kept with
 * probability weight/peak of its diurnal curve.
 */
static bool
legit_act(struct sim_model *m, unsigned i, int64_t t, struct sim_msg_plan *pl, int64_t *next)
{
	struct sim_customer *c = &m->c[i];
	struct sim_rng *rng = &c->rng[0];
	const double *curve = is_business(c) ? business_curve : consumer_curve;
	double peak, mean, w;
	int hour, wday, trip;
	bool send = false;

	if (t < c->join_ms) {
		*next = c->join_ms;
		return false;
	}
	curve_stats(curve, &peak, &mean);
	if ((c->kind == SIM_NEWSLETTER || c->kind == SIM_GREETING) && t >= c->special_ms) {
		legit_plan(m, i, t, pl, true);
		send = pl->n_rcpt > 0;
		if (c->camp_next < c->n_book) {
			*next = later(t, c->batch == 1 ? 500 + 1500 * unit(rng) :
			    3000 + 5000 * unit(rng));
			return send;
		}
		c->camp_next = 0;
		if (c->kind == SIM_NEWSLETTER) {
			c->special_ms += c->period_days * DAY_MS +
			    (int64_t)((unit(rng) - 0.5) * 1200000.0);
			*next = c->special_ms;
			return send;
		}
		c->special_ms = INT64_MAX;	/* cards go out once */
	} else if (c->kind != SIM_NEWSLETTER) {
		trip = c->kind == SIM_TRAVELLER ? trip_at(c, t) : -1;
		local_time(t, trip >= 0 ? c->trip_tz_s[trip] : 0, &hour, &wday);
		w = curve[hour];
		if (is_business(c) && (wday == 0 || wday == 6))
			w *= 0.05;
		if (unit(rng) * peak < w) {
			legit_plan(m, i, t, pl, false);
			send = pl->n_rcpt > 0;
		}
	} else {
		*next = c->special_ms;
		return false;
	}
	*next = later(t, rnd_exp(rng, (double)DAY_MS / (c->per_day * peak / mean)));
	if (c->special_ms < *next && c->special_ms > t)
		*next = c->special_ms;
	return send;
}

static void
forged_sender(struct sim_model *m, struct sim_rng *rng, uint32_t domain, char *buf, size_t cap)
{
	struct sim_addr a;

	a.local = HARVEST_BIT | (uint32_t)(next64(rng) >> 34);
	a.domain = domain;
	sim_model_addr_format(m, &a, buf, cap);
}

static void
bot_plan(struct sim_model *m, unsigned i, int64_t t_ms, struct sim_msg_plan *pl)
{
	struct sim_customer *c = &m->c[i];
	struct sim_rng *rng = &c->rng[1];
	double u = unit(rng), own;
	unsigned n, k;

	memset(pl, 0, offsetof(struct sim_msg_plan, rcpt));
	pl->spam = true;
	pl->kind = attack_kinds[c->attack];
	pl->sasl = c->attack != SIM_RELAY;
	if (c->attack == SIM_STOLEN) {
		/* One of the botnet's hosts, a tenth of them on IPv6. */
		uint32_t host = below(rng, c->bot_pool);
		uint64_t h = mix(m->p.seed ^ ((uint64_t)i << 24), host);
		struct sim_rng hr;

		if (h % 10 == 0)
			v6_addr((uint8_t)(0xf0 | ((h >> 8) & 15)), (uint32_t)(h >> 16), h | 1,
			    pl->client_addr, NULL, 0);
		else
			fmt_v4(v4_in(0xc6120000u, 17, h >> 4), pl->client_addr);
		snprintf(pl->client_name, sizeof(pl->client_name), "unknown");
		sim_model_rng_seed(&hr, h, 0x68656c6full);
		bot_helo(&hr, pl->helo, sizeof(pl->helo));
	} else {
		home_addr(m, i, t_ms, pl);
		snprintf(pl->helo, sizeof(pl->helo), "%s", c->attack == SIM_LOW_SLOW ||
		    (c->attack == SIM_HIGH_RATE && chance(rng, 0.5)) ? c->helo[0] : c->bot_helo);
	}
	own = c->attack == SIM_HIGH_RATE ? 0.4 : c->attack == SIM_LOW_SLOW ? 0.8 :
	    c->attack == SIM_STOLEN ? 0.7 : 0;
	if (c->attack == SIM_RELAY && chance(rng, 0.5))
		forged_sender(m, rng, c->domain, pl->sender, sizeof(pl->sender));
	else if (chance(rng, own) && c->sender[0] != '\0')
		snprintf(pl->sender, sizeof(pl->sender), "%s", c->sender);
	else
		forged_sender(m, rng, tail_domain(rng), pl->sender, sizeof(pl->sender));
	pl->size = 1500 + below(rng, 25000);
	switch (c->attack) {
	case SIM_HIGH_RATE:
		n = u < 0.5 ? 1 : u < 0.85 ? 2 + below(rng, 4) : 6 + below(rng, 15);
		break;
	case SIM_LOW_SLOW:
		n = 1 + below(rng, 3);
		break;
	default:
		n = 1 + below(rng, 10);
		break;
	}
	for (k = 0; k < n; k++) {
		struct sim_addr a;
		double o = unit(rng);

		if (c->n_book > 0 && chance(rng, 0.1)) {
			/* Worms read the victim's address book too. */
			a = c->book[rnd_zipf(rng, c->n_book)];
			if (has_rcpt(pl, &a))
				continue;
			pl->rcpt[pl->n_rcpt] = a;
			pl->outcome[pl->n_rcpt++] = (a.local & STALE_BIT) ? SIM_UNKNOWN : SIM_SENT;
			continue;
		}
		a.local = HARVEST_BIT | (uint32_t)(next64(rng) >> 34);
		a.domain = chance(rng, 0.6) ? big_domain(rng) : tail_domain(rng);
		pl->rcpt[pl->n_rcpt] = a;
		pl->outcome[pl->n_rcpt++] = o < 0.25 ? SIM_UNKNOWN : o < 0.33 ? SIM_GREYLISTED :
		    o < 0.37 ? SIM_REFUSED : SIM_SENT;
	}
}

/* Its bot, from the compromise on. */
static bool
bot_act(struct sim_model *m, unsigned i, int64_t t, struct sim_msg_plan *pl, int64_t *next)
{
	struct sim_customer *c = &m->c[i];
	struct sim_rng *rng = &c->rng[1];
	double burst_min, burst_max, gap_min, gap_max;

	if (c->attack == SIM_ATTACK_NONE) {
		*next = INT64_MAX;
		return false;
	}
	if (t < c->compromise_ms) {
		*next = c->compromise_ms;
		return false;
	}
	bot_plan(m, i, t, pl);
	*next = later(t, rnd_exp(rng, (double)HOUR_MS / c->bot_rate_h));
	if (c->attack == SIM_LOW_SLOW)
		return true;
	/* Bursts: the bot works for a while, then sleeps. */
	burst_min = c->attack == SIM_STOLEN ? 30 : 20;
	burst_max = c->attack == SIM_STOLEN ? 180 : 120;
	gap_min = c->attack == SIM_STOLEN ? 2 : 1;
	gap_max = c->attack == SIM_STOLEN ? 10 : c->attack == SIM_RELAY ? 6 : 8;
	if (t >= c->burst_end_ms)
		c->burst_end_ms = t + (int64_t)(60000.0 * (burst_min + (burst_max - burst_min) *
		    unit(rng)));
	if (*next >= c->burst_end_ms)
		*next = c->burst_end_ms + (int64_t)((double)HOUR_MS *
		    (gap_min + (gap_max - gap_min) * unit(rng)));
	return true;
}

int64_t
sim_model_first(struct sim_model *m, unsigned i, int actor)
{
	struct sim_customer *c = &m->c[i];
	int64_t t;

	if (actor == 1)
		return c->attack != SIM_ATTACK_NONE ? c->compromise_ms : INT64_MAX;
	if (c->kind == SIM_NEWSLETTER)
		return c->special_ms;
	t = later(m->p.start_ms, rnd_exp(&c->rng[0], (double)DAY_MS / (c->per_day * 2)));
	if (c->join_ms > t)
		t = c->join_ms;
	return t < c->special_ms ? t : c->special_ms;
}

bool
sim_model_act(struct sim_model *m, unsigned i, int actor, int64_t t_ms,
    struct sim_msg_plan *plan, int64_t *next_ms)
{
	bool send = actor == 0 ? legit_act(m, i, t_ms, plan, next_ms) :
	    bot_act(m, i, t_ms, plan, next_ms);

	if (*next_ms >= m->end_ms)
		*next_ms = INT64_MAX;
	return send && t_ms < m->end_ms;
}
