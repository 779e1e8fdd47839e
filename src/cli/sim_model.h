/*
 * sim_model.h - the synthetic ISP behind `relayguard simulate`: who the
 * customers are, what each of them sends, when, to whom, and what
 * becomes of each recipient.  simulate.c turns the messages into Postfix
 * policy requests and log lines; this file knows nothing of Postfix.
 *
 * The model (doc/simulate.md has the numbers and the reasons):
 *
 *   Customers.  Consumers authenticate (SASL) on port 587 from dynamic
 *   addresses in 100.64.0.0/10 (a new one every lease of 1 to 7 days) or
 *   from a stable /64 in 2001:db8:100::/40 (a new interface ID every day);
 *   businesses relay on port 25 without SASL from a static address in
 *   198.51.100.0/24 or 203.0.113.0/24, or a static /64 in
 *   2001:db8:200::/40.  Legitimate kinds: legit-consumer,
 *   legit-consumer-v6, traveller (trips with hotel addresses in
 *   198.18.0.0/15 and a shifted day), greeting (once, a card to the whole
 *   address book), new-customer (no history: joins mid-trace),
 *   legit-business, legit-business-v6, newsletter (SASL from a business
 *   address, the same list at the same hour every 1 to 3 days, from the
 *   first day).
 *
 *   Sending.  Poisson arrivals thinned by a diurnal curve (evenings for
 *   consumers, office hours on weekdays for businesses); recipients drawn
 *   from a personal address book with Zipf popularity over a few
 *   domains; 1.5% of an address book is stale (5.1.1 user unknown);
 *   1% of legitimate deliveries are greylisted once.
 *
 *   Compromise.  K customers are compromised at a random time after a
 *   clean period (a quarter of the trace, at least 6 h): high-rate (a bot
 *   on the customer's PC with its SASL password, 300-2000 messages an
 *   hour in bursts), low-slow (2-6 an hour, day and night, the
 *   customer's own HELO and sender), stolen-account (the password used
 *   from a botnet: many addresses in 198.18.0.0/15 and 2001:db8:f000::/36),
 *   business-relay (an infected PC behind a business's trusted address,
 *   port 25).  Spam goes to harvested addresses over many domains
 *   (a tenth from the victim's own address book), from new or forged
 *   senders; 25% of its recipients are unknown, 8% greylisted, 4%
 *   refused as spam.  The customer's legitimate mail goes on meanwhile.
 *
 * Determinism: everything comes from the seed through xoshiro256**
 * streams (one per customer and actor, seeded by splitmix64), never
 * rand() or the clock; the same seed and parameters give the same
 * customers and messages.
 *
 * Memory: 584 bytes per customer plus 8 bytes per address-book entry
 * (5 to 1,500 entries), and 40 bytes for each of the 20,006 domain
 * names (cached once); simulate.c adds 1.4 KB per message in flight.
 */
#ifndef RG_CLI_SIM_MODEL_H
#define RG_CLI_SIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ipaddr.h"

#define SIM_RCPT_MAX 100	/* recipients of one message */
#define SIM_ISP_DOMAIN "isp.example"

struct sim_rng {
	uint64_t s[4];
};

/*
 * sim_model_rng_seed - a xoshiro256** stream for (seed, stream), its
 * state filled by splitmix64; then 64 random bits, a double in [0, 1),
 * and an integer in [0, n) for n > 0 (Lemire's multiply, bias < 2^-32).
 */
void sim_model_rng_seed(struct sim_rng *rng, uint64_t seed, uint64_t stream);
uint64_t sim_model_rng_u64(struct sim_rng *rng);
double sim_model_rng_unit(struct sim_rng *rng);
uint32_t sim_model_rng_below(struct sim_rng *rng, uint32_t n);

/* sim_model_mix - a 64-bit hash of two words (splitmix64 finaliser). */
uint64_t sim_model_mix(uint64_t a, uint64_t b);

enum sim_kind {
	SIM_CONSUMER, SIM_CONSUMER_V6, SIM_TRAVELLER, SIM_GREETING, SIM_NEW,
	SIM_BUSINESS, SIM_BUSINESS_V6, SIM_NEWSLETTER, SIM_KIND_N
};

enum sim_attack {
	SIM_ATTACK_NONE, SIM_HIGH_RATE, SIM_LOW_SLOW, SIM_STOLEN, SIM_RELAY,
	SIM_ATTACK_N,
	SIM_ATTACK_MIX = SIM_ATTACK_N	/* --scenario standard */
};

/* What becomes of one recipient at the receiving MX. */
enum sim_outcome {
	SIM_SENT, SIM_UNKNOWN, SIM_REFUSED, SIM_GREYLISTED
};

struct sim_addr {
	uint32_t local;		/* local-part id; bit 31: harvested style */
	uint32_t domain;	/* index into the domain table */
};

struct sim_params {
	unsigned customers;
	unsigned compromised;
	unsigned days;
	uint64_t seed;
	enum sim_attack scenario;	/* one kind, or SIM_ATTACK_MIX */
	int64_t start_ms;		/* epoch milliseconds */
};

/* One message to send: what simulate.c needs to write it. */
struct sim_msg_plan {
	bool spam;
	const char *kind;		/* truth.kind */
	bool sasl;			/* authenticated on 587, else relay on 25 */
	char client_addr[IPADDR_STRLEN];
	char client_name[96];		/* "unknown" or a reverse name */
	char helo[64];
	char sender[128];
	uint32_t size;
	uint16_t n_rcpt;
	struct sim_addr rcpt[SIM_RCPT_MAX];
	uint8_t outcome[SIM_RCPT_MAX];	/* enum sim_outcome */
};

struct sim_customer;

struct sim_model {
	struct sim_params p;
	int64_t end_ms;
	struct sim_customer *c;		/* owned, p.customers of them */
	char (*domains)[40];		/* owned: the domain names */
	uint32_t n_domains;
};

/*
 * sim_model_init - build the population for p.  Returns 0, or -1 with a
 * message in err (K > N, no business for business-relay, out of memory).
 */
int sim_model_init(struct sim_model *m, const struct sim_params *p,
    char *err, size_t errcap);

/* sim_model_fini - free everything; safe on a zeroed model. */
void sim_model_fini(struct sim_model *m);

/*
 * sim_model_first - the first time (ms) actor 0 (the customer) or 1 (its
 * bot) of customer i acts, or INT64_MAX when it never does.
 */
int64_t sim_model_first(struct sim_model *m, unsigned i, int actor);

/*
 * sim_model_act - actor of customer i wakes at t_ms: fills *plan and
 * returns true when it sends a message now; sets *next_ms to its next
 * wake-up (INT64_MAX: never again).
 */
bool sim_model_act(struct sim_model *m, unsigned i, int actor, int64_t t_ms,
    struct sim_msg_plan *plan, int64_t *next_ms);

/* The truth of customer i: its key (SPEC section 3) and scenario. */
const char *sim_model_key(const struct sim_model *m, unsigned i);
const char *sim_model_user(const struct sim_model *m, unsigned i);	/* "" if none */
const char *sim_model_scenario(const struct sim_model *m, unsigned i);

/* sim_model_addr_format - "local@domain" into buf. */
void sim_model_addr_format(const struct sim_model *m, const struct sim_addr *a,
    char *buf, size_t cap);

/* sim_model_domain_name - the name of domain d (valid for the model's life). */
const char *sim_model_domain_name(const struct sim_model *m, uint32_t d);

/* sim_model_scenario_parse - a --scenario name; false when unknown. */
bool sim_model_scenario_parse(const char *name, enum sim_attack *out);

/* sim_model_scenario_name - the scenario name ("high-rate", ..., "standard", "none"). */
const char *sim_model_scenario_name(enum sim_attack a);

#endif
