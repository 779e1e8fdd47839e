/*
 * engine_judge.c - engine_judge(): the order of judgement (SPEC section 3,
 * engine.h) for one policy request.
 *
 * The limits are judged in two passes so that only accepted events
 * consume a limit: the first pass finds (or makes) each limit's state
 * and asks limit_check() whether the event would go over; the most
 * severe action among the limits that would wins; the second pass counts
 * attempts and refusals everywhere and, only when the request is not
 * refused, commits the event to every limit.  Everything that can fail
 * (a new key, a new state, room in the message record) happens in the
 * first pass, so an allocation failure answers the default action with
 * nothing counted.
 *
 * Hot path: a known customer and a reused message record cost one
 * address parse, one trie lookup, two hash lookups and a window update,
 * and allocate nothing.  Texts are formatted only for non-DUNNO answers.
 *
 * Fingerprints of recipients and domains are folded to lower case and
 * hashed with fixed seeds: they are persisted in distinct sets, so they
 * must be the same after a restart.
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine_int.h"
#include "lib/dur.h"
#include "lib/err.h"
#include "lib/hash.h"

#define JUDGE_SEED_RCPT 0x7263707466703031ull
#define JUDGE_SEED_DOMAIN 0x646f6d6166703031ull
#define JUDGE_SEED_CLIENT 0x636c6e7466703031ull
#define JUDGE_SEED_LONG 0x6c6f6e676b657931ull

struct judge_key {
	const char *p;		/* NULL: absent */
	size_t len;
};

struct judge {
	struct engine *e;
	struct engine_rules *r;
	const struct policy_req *req;
	int64_t now;
	struct engine_verdict *out;
	struct ipaddr addr;
	bool have_addr;
	uint32_t net;
	uint8_t state;
	struct judge_key key[SUBJECT_KINDS];
	const struct overrides_entry *ov[SUBJECT_KINDS];
	char client_text[IPADDR_STRLEN];
	char client_buf[SUBJECT_KEY_MAX + 1];
	char sasl_buf[SUBJECT_KEY_MAX + 1];
	char sender_buf[SUBJECT_KEY_MAX + 1];
	char domain_buf[SUBJECT_KEY_MAX + 1];
};

static const char *const judge_unit[][2] = {
	[CONF_COUNT_MESSAGES] = { "message", "messages" },
	[CONF_COUNT_RECIPIENTS] = { "recipient", "recipients" },
	[CONF_COUNT_BYTES] = { "byte", "bytes" },
	[CONF_COUNT_DISTINCT_RECIPIENTS] = { "distinct recipient",
	    "distinct recipients" },
	[CONF_COUNT_DISTINCT_RECIPIENT_DOMAINS] = { "distinct recipient domain",
	    "distinct recipient domains" },
	[CONF_COUNT_DISTINCT_CLIENT_ADDRESSES] = { "distinct client address",
	    "distinct client addresses" },
};

static bool
judge_is(const struct policy_str *v, const char *s)
{
	size_t n = strlen(s);

	return v != NULL && v->len == n && memcmp(v->ptr, s, n) == 0;
}

static uint8_t
judge_state(const struct policy_req *req)
{
	static const struct {
		const char *name;
		uint8_t code;
	} states[] = {
		{ "RCPT", ENGINE_ST_RCPT }, { "END-OF-MESSAGE", ENGINE_ST_EOM },
		{ "DATA", ENGINE_ST_DATA }, { "MAIL", ENGINE_ST_MAIL },
		{ "CONNECT", ENGINE_ST_CONNECT }, { "EHLO", ENGINE_ST_HELO },
		{ "HELO", ENGINE_ST_HELO }, { "VRFY", ENGINE_ST_VRFY },
		{ "ETRN", ENGINE_ST_ETRN },
	};
	const struct policy_str *v = policy_req_get(req, PA_PROTOCOL_STATE);
	size_t i;

	if (v == NULL)
		return ENGINE_ST_RCPT;	/* none (Exim readsocket): RCPT */
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		if (judge_is(v, states[i].name))
			return states[i].code;
	}
	return ENGINE_ST_OTHER;
}

static unsigned char
judge_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/*
 * Case-folded fingerprints (hash_bytes_nocase): whole for the dedup of
 * repeated requests (a recipient confused with another of the same
 * message in 1 of 2^64), folded to 32 bits for distinct sets.
 */
static uint32_t
judge_fp(const char *p, size_t len, uint64_t seed)
{
	uint64_t h = hash_bytes_nocase(p, len, seed);

	return (uint32_t)(h ^ (h >> 32));
}

/*
 * A key value as kept: folded to lower case when fold is set; a value
 * over SUBJECT_KEY_MAX bytes becomes "~" and a 64-bit hash of it, so that
 * a long sender cannot slip past a limit.
 */
static void
judge_key_set(struct judge_key *k, const char *p, size_t len, bool fold,
    char *buf)
{
	size_t i;

	if (len > SUBJECT_KEY_MAX) {
		/* Folded like a short value, so case cannot split one sender. */
		k->len = (size_t)snprintf(buf, SUBJECT_KEY_MAX + 1, "~%016llx",
		    (unsigned long long)(fold ? hash_bytes_nocase(p, len, JUDGE_SEED_LONG) :
		    hash_bytes(p, len, JUDGE_SEED_LONG)));
		k->p = buf;
	} else if (fold) {
		for (i = 0; i < len; i++)
			buf[i] = (char)judge_lower((unsigned char)p[i]);
		buf[len] = '\0';
		k->p = buf;
		k->len = len;
	} else {
		k->p = p;
		k->len = len;
	}
}

/* The client address as text: canonical when it parsed. */
static void
judge_client_key(struct judge *j)
{
	const struct policy_str *v = policy_req_get(j->req, PA_CLIENT_ADDRESS);

	if (j->have_addr) {
		if (j->client_text[0] == '\0')
			ipaddr_format(&j->addr, j->client_text,
			    sizeof(j->client_text));
		j->key[CONF_LIMIT_KEY_CLIENT_ADDRESS].p = j->client_text;
		j->key[CONF_LIMIT_KEY_CLIENT_ADDRESS].len =
		    strlen(j->client_text);
	} else if (v != NULL)
		judge_key_set(&j->key[CONF_LIMIT_KEY_CLIENT_ADDRESS], v->ptr,
		    v->len, false, j->client_buf);
}

/* The customer key (SPEC section 3) into out->customer. */
static int
judge_customer(struct judge *j)
{
	const struct engine_rules *r = j->r;
	const struct policy_str *v;
	struct ipprefix pfx;
	size_t i;
	unsigned plen = r->conf->policy_ipv6_customer_prefix;

	for (i = 0; i < r->n_customer_attr; i++) {
		if ((v = policy_req_get(j->req, r->customer_attr[i])) == NULL)
			continue;
		if (r->customer_attr[i] == PA_CLIENT_ADDRESS && j->have_addr) {
			if (!ipaddr_is_v4(&j->addr) && plen > 0 && plen < 128) {
				/* A host rotates addresses in its prefix. */
				pfx.addr = j->addr;
				pfx.len = (uint8_t)plen;
				ipaddr_mask(&pfx.addr, plen);
				ipprefix_format(&pfx, j->out->customer,
				    sizeof(j->out->customer));
			} else {
				ipaddr_format(&j->addr, j->client_text,
				    sizeof(j->client_text));
				memcpy(j->out->customer, j->client_text,
				    strlen(j->client_text) + 1);
			}
			break;
		}
		if (v->len > ENGINE_CUSTOMER_MAX)
			return ERR_TOOBIG;
		memcpy(j->out->customer, v->ptr, v->len);
		j->out->customer[v->len] = '\0';
		break;
	}
	if (j->out->customer[0] != '\0') {
		j->key[CONF_LIMIT_KEY_CUSTOMER].p = j->out->customer;
		j->key[CONF_LIMIT_KEY_CUSTOMER].len = strlen(j->out->customer);
	}
	return 0;
}

static enum engine_role
judge_role(const struct judge *j)
{
	const struct policy_str *ctx, *port;

	ctx = policy_req_get(j->req, PA_POLICY_CONTEXT);
	port = policy_req_get(j->req, PA_SERVER_PORT);

	if (judge_is(ctx, "submission"))
		return ENGINE_ROLE_SUBMISSION;
	if (judge_is(ctx, "relay"))
		return ENGINE_ROLE_RELAY;
	if (judge_is(ctx, "inbound"))
		return ENGINE_ROLE_INBOUND;
	if (judge_is(port, "587") || judge_is(port, "465"))
		return ENGINE_ROLE_SUBMISSION;
	/* Port 25, another port or none: who is the client? */
	return j->net != ENGINE_NET_NONE ? ENGINE_ROLE_RELAY :
	    ENGINE_ROLE_INBOUND;
}

/* The key values the limits (and, with overrides, the exempt check) use. */
static void
judge_keys(struct judge *j)
{
	unsigned need = j->r->kinds_used | (j->e->ov ? ~0u : 0u);
	const struct policy_str *v;
	const char *at;
	unsigned k;

	if ((need & (1u << CONF_LIMIT_KEY_SASL_USERNAME)) &&
	    (v = policy_req_get(j->req, PA_SASL_USERNAME)) != NULL)
		judge_key_set(&j->key[CONF_LIMIT_KEY_SASL_USERNAME], v->ptr,
		    v->len, false, j->sasl_buf);
	if (need & (1u << CONF_LIMIT_KEY_CLIENT_ADDRESS))
		judge_client_key(j);
	if ((need & (3u << CONF_LIMIT_KEY_SENDER)) &&
	    (v = policy_req_get(j->req, PA_SENDER)) != NULL) {
		judge_key_set(&j->key[CONF_LIMIT_KEY_SENDER], v->ptr, v->len,
		    true, j->sender_buf);
		at = memrchr(v->ptr, '@', v->len);
		if (at != NULL && at + 1 < v->ptr + v->len)
			judge_key_set(&j->key[CONF_LIMIT_KEY_SENDER_DOMAIN],
			    at + 1, (size_t)(v->ptr + v->len - at - 1), true,
			    j->domain_buf);
	}
	for (k = 0; j->e->ov != NULL && k < SUBJECT_KINDS; k++) {
		if (j->key[k].p != NULL)
			j->ov[k] = overrides_find(j->e->ov, j->key[k].p,
			    j->key[k].len);
	}
}

/* Copy a NUL-terminated text into a field of cap bytes (cut to fit). */
static void
judge_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Set the verdict's action and rule.  Only the configured default
 * action could be longer than the field (POLICY_REPLY_MAX); it is a
 * reply text that Postfix would refuse at that length anyway.
 */
static void
judge_set(struct engine_verdict *out, const char *action, const char *rule)
{
	judge_copy(out->action, sizeof(out->action), action);
	judge_copy(out->rule, sizeof(out->rule), rule);
}

/* The answer (act, limit index) as action text and rule. */
static void
judge_answer(const struct judge *j, uint8_t act, uint16_t li)
{
	const struct engine_limit *el;
	const struct judge_key *k;
	struct limit_rate rate;
	char key[SUBJECT_KEY_MAX + 1], per[32], burst[40] = "";
	const char *head, *tail = "";
	size_t i;

	if (act != ENGINE_ACT_NONE && li == ENGINE_LIMIT_INCIDENT) {
		engine_detect_answer(j->e, j->out->customer, act, j->out);
		return;
	}
	if (act == ENGINE_ACT_NONE || li >= j->r->n_limits) {
		judge_set(j->out, "DUNNO", "");
		return;
	}
	el = &j->r->limits[li];
	k = &j->key[el->conf->key];
	/* The key goes into an SMTP reply: printable ASCII only. */
	for (i = 0; k->p != NULL && i < k->len; i++)
		key[i] = k->p[i] > ' ' && k->p[i] < 0x7f ? k->p[i] : '?';
	key[i] = '\0';
	engine_rate(j->r, li, j->ov[el->conf->key], &rate);
	dur_format(rate.period_ms, per, sizeof(per));
	if (rate.burst != 0)
		snprintf(burst, sizeof(burst), ", burst %llu",
		    (unsigned long long)rate.burst);
	switch (act) {
	case ENGINE_ACT(CONF_ACTION_REJECT):
		head = "REJECT 5.7.1 ";
		break;
	case ENGINE_ACT(CONF_ACTION_DEFER):
		head = "DEFER_IF_PERMIT 4.7.1 ";
		tail = "; try again later";
		break;
	case ENGINE_ACT(CONF_ACTION_HOLD):
		head = "HOLD ";
		tail = "; message held for review";
		break;
	default:
		head = "WARN ";
		break;
	}
	snprintf(j->out->action, sizeof(j->out->action),
	    "%srelayguard: limit %s exceeded for %s (%llu %s per %s%s)%s",
	    head, el->conf->name, key[0] ? key : "(none)",
	    (unsigned long long)rate.count,
	    judge_unit[el->conf->count][rate.count != 1], per, burst, tail);
	snprintf(j->out->rule, sizeof(j->out->rule), "%s", el->conf->name);
}

static bool
judge_applies(const struct judge *j, size_t i, enum engine_role role, bool sasl)
{
	const struct engine_limit *el = &j->r->limits[i];

	if (j->key[el->conf->key].p == NULL)
		return false;
	if (el->nets != NULL)
		return j->net != ENGINE_NET_NONE && el->nets[j->net];
	/* Every non-exempt network, and roaming authenticated submission. */
	return j->net != ENGINE_NET_NONE ||
	    (sasl && role == ENGINE_ROLE_SUBMISSION);
}

static uint64_t
judge_size(const struct policy_req *req)
{
	const struct policy_str *v = policy_req_get(req, PA_SIZE);
	uint64_t n = 0;
	size_t i;

	for (i = 0; v != NULL && i < v->len; i++) {
		if (v->ptr[i] < '0' || v->ptr[i] > '9')
			return 0;
		if (n > (UINT64_MAX - 9) / 10)
			return UINT64_MAX;
		n = n * 10 + (uint64_t)(v->ptr[i] - '0');
	}
	return n;
}

/* What this request is to limit i: the event weight and fingerprint. */
static bool
judge_weight(const struct judge *j, const struct conf_limit *lim,
    bool msg_event, struct engine_item *it)
{
	const struct policy_str *rcpt = policy_req_get(j->req, PA_RECIPIENT);
	const struct policy_str *ca;
	const char *at;

	switch (lim->count) {
	case CONF_COUNT_MESSAGES:
		it->w = msg_event;
		break;
	case CONF_COUNT_RECIPIENTS:
		it->w = j->state == ENGINE_ST_RCPT;
		break;
	case CONF_COUNT_BYTES:
		if (j->state == ENGINE_ST_EOM)
			it->w = judge_size(j->req);
		else if (j->state == ENGINE_ST_RCPT)
			it->check_only = true;
		break;
	case CONF_COUNT_DISTINCT_RECIPIENTS:
		if (j->state == ENGINE_ST_RCPT && rcpt != NULL) {
			it->w = 1;
			it->fp = judge_fp(rcpt->ptr, rcpt->len,
			    JUDGE_SEED_RCPT);
		}
		break;
	case CONF_COUNT_DISTINCT_RECIPIENT_DOMAINS:
		if (j->state == ENGINE_ST_RCPT && rcpt != NULL &&
		    (at = memrchr(rcpt->ptr, '@', rcpt->len)) != NULL &&
		    at + 1 < rcpt->ptr + rcpt->len) {
			it->w = 1;
			it->fp = judge_fp(at + 1,
			    (size_t)(rcpt->ptr + rcpt->len - at - 1),
			    JUDGE_SEED_DOMAIN);
		}
		break;
	case CONF_COUNT_DISTINCT_CLIENT_ADDRESSES:
		ca = policy_req_get(j->req, PA_CLIENT_ADDRESS);
		if (msg_event && j->have_addr) {
			it->w = 1;
			it->fp = judge_fp((const char *)j->addr.bytes, 16,
			    JUDGE_SEED_CLIENT);
		} else if (msg_event && ca != NULL) {
			it->w = 1;
			it->fp = judge_fp(ca->ptr, ca->len, JUDGE_SEED_CLIENT);
		}
		break;
	}
	return it->w > 0 || it->check_only;
}

/* A message-level count: refused, it refuses the whole message. */
static bool
judge_msg_level(const struct conf_limit *lim)
{
	return lim->count == CONF_COUNT_MESSAGES ||
	    lim->count == CONF_COUNT_DISTINCT_CLIENT_ADDRESSES;
}

/* Pass one: find or make every state taking part, check each limit. */
static int
judge_check(struct judge *j, enum engine_role role, bool msg_event,
    bool msg_first, size_t *n_items)
{
	struct subject_tab *st = &j->e->subjects;
	bool sasl = policy_req_get(j->req, PA_SASL_USERNAME) != NULL;
	const struct conf_limit *lim;
	struct engine_item *it;
	struct judge_key *k;
	uint64_t h;
	size_t i, n = 0;

	for (i = 0; i < j->r->n_limits; i++) {
		if (!judge_applies(j, i, role, sasl))
			continue;
		lim = j->r->limits[i].conf;
		it = &j->r->items[n];
		memset(it, 0, sizeof(*it));
		if (!judge_weight(j, lim, msg_event, it))
			continue;
		it->limit = (uint16_t)i;
		it->count_attempt = judge_msg_level(lim) ? msg_first : true;
		k = &j->key[lim->key];
		h = subject_hash(st, lim->key, k->p, k->len);
		it->subj = subject_find(st, lim->key, k->p, k->len, h);
		if (it->subj == NULL && (it->subj = subject_add(st, lim->key,
		    k->p, k->len, h, j->now)) == NULL)
			return ERR_NOMEM;
		if ((it->ls = subject_state(it->subj, (uint16_t)i)) == NULL) {
			it->ls = limit_state_new(j->r->limits[i].kind,
			    (uint16_t)i);
			if (it->ls == NULL)
				return ERR_NOMEM;
			it->ls->next = it->subj->states;
			it->subj->states = it->ls;
		}
		engine_rate(j->r, i, j->ov[lim->key], &it->rate);
		if (limit_check(it->ls, &it->rate, j->now, it->w, it->fp,
		    &it->over) != 0)
			return ERR_NOMEM;
		n++;
	}
	*n_items = n;
	return 0;
}

_Static_assert((int)LIMIT_WINDOW == (int)SHARED_WINDOW &&
    (int)LIMIT_BUCKET == (int)SHARED_BUCKET &&
    (int)LIMIT_DISTINCT == (int)SHARED_DISTINCT, "limit and shared kinds");

/*
 * The shared state's say (engine_set_shared()): every item's check
 * becomes a check-and-commit of the combined count of all relays, and
 * the customer's incident opened on another relay is looked up (when
 * detection judges this request).  Returns true when the backend
 * answered (each item's over is then the combined count's), false when
 * the request is judged with local state alone.
 */
static bool
judge_shared(struct judge *j, size_t n, bool det, struct shared_incident *inc)
{
	const struct engine_item *it;
	const struct conf_limit *lim;
	struct shared_op *op;
	size_t i;

	inc->id = 0;
	if (n == 0 && !det)
		return false;
	for (i = 0; i < n; i++) {
		it = &j->r->items[i];
		lim = j->r->limits[it->limit].conf;
		op = &j->r->sops[i];
		memset(op, 0, sizeof(*op));
		op->limit = lim->name;
		op->key_kind = engine_key_tag(lim->key);
		op->key = j->key[lim->key].p;
		op->key_len = j->key[lim->key].len;
		op->kind = (uint8_t)j->r->limits[it->limit].kind;
		op->count = it->rate.count;
		op->period_ms = it->rate.period_ms;
		op->burst = it->rate.burst;
		op->slot_us = limit_slot_us(&it->rate);
		op->idle_ms = limit_idle_us(j->r->limits[it->limit].kind,
		    &it->rate) / 1000;
		op->w = it->check_only ? 0 : it->w;
		op->fp = it->fp;
		/* A warn limit lets the message pass and counts it. */
		op->commit_over = lim->action == CONF_ACTION_WARN;
	}
	if (j->e->shared->judge(j->e->shared_ctx, det ? j->out->customer : NULL,
	    j->r->sops, n, j->now, inc) != 0) {
		inc->id = 0;
		return false;
	}
	for (i = 0; i < n; i++)
		j->r->items[i].over = j->r->sops[i].over;
	return true;
}

/* Give back what judge_shared() committed for a refused request. */
static void
judge_shared_undo(struct judge *j, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (j->r->sops[i].committed) {
			j->e->shared->undo(j->e->shared_ctx, j->r->sops, n,
			    j->now);
			return;
		}
	}
}

/* Pass two: count attempts and refusals; commit unless refused. */
static void
judge_commit(struct judge *j, size_t n, bool refused)
{
	struct engine_item *it;
	bool changed;
	size_t i;

	for (i = 0; i < n; i++) {
		it = &j->r->items[i];
		changed = false;
		/* A hit for /metrics: every answered request it went over. */
		if (it->over)
			j->r->limits[it->limit].hits++;
		if (it->check_only) {
			if (it->over) {
				limit_count_add(&it->ls->attempts, 1);
				limit_count_add(&it->ls->over, 1);
				changed = true;
			}
		} else {
			if (it->count_attempt) {
				limit_count_add(&it->ls->attempts, 1);
				if (it->over)
					limit_count_add(&it->ls->over, 1);
				changed = true;
			}
			if (!refused) {
				limit_commit(it->ls, &it->rate, j->now, it->w,
				    it->fp);
				changed = true;
			}
		}
		subject_touch(&j->e->subjects, it->subj, j->now);
		if (changed)
			subject_dirty(&j->e->subjects, it->subj);
	}
}

/*
 * The most severe action among the limits that went over (the first in
 * the configuration among equals), and the one that sticks to the whole
 * message: HOLD, or a refused message-level count.
 */
static void
judge_worst(const struct judge *j, size_t n, uint8_t *worst, uint16_t *wl,
    uint8_t *sticky, uint16_t *sl)
{
	const struct engine_item *it;
	const struct conf_limit *lim;
	uint8_t act;
	size_t i;

	for (i = 0; i < n; i++) {
		it = &j->r->items[i];
		lim = j->r->limits[it->limit].conf;
		if (!it->over)
			continue;
		act = ENGINE_ACT(lim->action);
		if (act > *worst) {
			*worst = act;
			*wl = it->limit;
		}
		if (act > *sticky && (act == ENGINE_ACT(CONF_ACTION_HOLD) ||
		    (act > ENGINE_ACT(CONF_ACTION_HOLD) &&
		    judge_msg_level(lim)))) {
			*sticky = act;
			*sl = it->limit;
		}
	}
}

/*
 * Steps 3 to 5 for one request of a message: the message record and
 * the dedup of repeated requests, an open incident, the limits (unless
 * an exempt override lifts them), detection.
 */
static int
judge_limits(struct judge *j, enum engine_role role)
{
	const struct policy_str *iv, *ca, *rcpt;
	struct instance *in = NULL;
	const struct instance_answer *a;
	struct engine_det_req x;
	uint8_t worst = ENGINE_ACT_NONE, sticky = ENGINE_ACT_NONE, act;
	uint16_t wl = INSTANCE_NO_LIMIT, sl = INSTANCE_NO_LIMIT;
	bool created, msg_event, msg_first, refused, keep = false, sasl;
	bool limits, det, exempt = false, shared = false;
	struct shared_incident sinc;
	uint64_t rfp = 0, h;
	size_t i, n = 0;
	unsigned k;
	int rc;

	if (j->state != ENGINE_ST_RCPT && j->state != ENGINE_ST_DATA &&
	    j->state != ENGINE_ST_EOM)
		return 0;
	sasl = policy_req_get(j->req, PA_SASL_USERNAME) != NULL;
	for (i = 0; i < j->r->n_limits; i++) {
		if (judge_applies(j, i, role, sasl))
			break;
	}
	limits = i < j->r->n_limits;
	det = j->e->det.on && j->out->customer[0] != '\0';
	if (!limits && !det)
		return 0;
	for (k = 0; limits && k < SUBJECT_KINDS; k++) {
		if (j->ov[k] != NULL && j->ov[k]->exempt)
			exempt = true;
	}
	if (exempt && !det) {
		judge_set(j->out, "DUNNO", "override_exempt");
		return 0;
	}
	if ((rcpt = policy_req_get(j->req, PA_RECIPIENT)) != NULL)
		rfp = hash_bytes_nocase(rcpt->ptr, rcpt->len, JUDGE_SEED_RCPT);
	if ((iv = policy_req_get(j->req, PA_INSTANCE)) != NULL) {
		ca = policy_req_get(j->req, PA_CLIENT_ADDRESS);
		h = instance_hash(&j->e->instances, iv->ptr, iv->len,
		    ca ? ca->ptr : "", ca ? ca->len : 0);
		in = instance_get(&j->e->instances, h, j->now, &created);
		if (in == NULL)
			return ERR_NOMEM;
		if ((a = instance_answer_find(in, j->state, rfp)) != NULL) {
			/* A repeated request: answered alike, not counted. */
			if (in->sticky_act > a->act)
				judge_answer(j, in->sticky_act,
				    in->sticky_limit);
			else if (a->act == ENGINE_ACT_NONE && exempt)
				judge_set(j->out, "DUNNO", "override_exempt");
			else
				judge_answer(j, a->act, a->limit);
			return 0;
		}
		rc = instance_answer_reserve(&j->e->instances, in);
		if (rc == ERR_NOMEM)
			return rc;
		keep = rc == 0;
	}
	memset(&x, 0, sizeof(x));
	if (det) {
		x.req = j->req;
		x.customer = j->out->customer;
		x.customer_len = strlen(j->out->customer);
		x.addr = j->have_addr ? &j->addr : NULL;
		x.in = in;
		x.state = j->state;
		x.now = j->now;
	}
	msg_event = in ? !(in->flags & INSTANCE_MSG_COUNTED) :
	    j->state == ENGINE_ST_RCPT;
	msg_first = in ? !(in->flags & INSTANCE_MSG_SEEN) : true;
	if (det && (act = engine_detect_gate(j->e, &x)) != ENGINE_ACT_NONE) {
		/* Step 3: an open incident acts; no limit is judged. */
		worst = sticky = act;
		wl = sl = ENGINE_LIMIT_INCIDENT;
		refused = true;
	} else {
		if (limits && !exempt &&
		    (rc = judge_check(j, role, msg_event, msg_first, &n)) != 0)
			return rc;
		shared = j->e->shared != NULL && judge_shared(j, n, det, &sinc);
		if (shared && sinc.id != 0 && (act = engine_detect_remote_note(
		    j->e, j->out->customer, &sinc)) != ENGINE_ACT_NONE) {
			/* Step 3 for an incident another relay opened. */
			judge_shared_undo(j, n);
			worst = sticky = act;
			wl = sl = ENGINE_LIMIT_INCIDENT;
			refused = true;
			goto answer;
		}
		judge_worst(j, n, &worst, &wl, &sticky, &sl);
		if (in != NULL && in->sticky_act > worst) {
			worst = in->sticky_act;
			wl = in->sticky_limit;
		}
		refused = worst >= ENGINE_ACT(CONF_ACTION_HOLD);
		judge_commit(j, n, refused);
		if (shared && refused)
			judge_shared_undo(j, n);
		if (det && !refused && (act = engine_detect_observe(j->e,
		    &x)) != ENGINE_ACT_NONE) {
			/* Step 5: an incident opened on this very request. */
			worst = sticky = act;
			wl = sl = ENGINE_LIMIT_INCIDENT;
		}
	}
answer:
	if (in != NULL) {
		if (msg_event) {
			in->flags |= INSTANCE_MSG_SEEN;
			if (!refused)
				in->flags |= INSTANCE_MSG_COUNTED;
		}
		if (sticky > in->sticky_act) {
			in->sticky_act = sticky;
			in->sticky_limit = sl;
		}
		if (keep)
			instance_answer_add(in, j->state, rfp, worst, wl);
	}
	if (worst == ENGINE_ACT_NONE && exempt)
		judge_set(j->out, "DUNNO", "override_exempt");
	else
		judge_answer(j, worst, wl);
	return 0;
}

int
engine_judge(struct engine *e, const struct policy_req *req, int64_t now_us,
    struct engine_verdict *out)
{
	const struct conf_network *net = NULL;
	const struct policy_str *ca;
	enum engine_role role;
	struct judge j;
	int rc;

	memset(&j, 0, offsetof(struct judge, client_text));
	j.client_text[0] = '\0';
	j.e = e;
	j.r = e->rules;
	j.req = req;
	j.now = now_us;
	j.out = out;
	j.net = ENGINE_NET_NONE;
	judge_set(out, "DUNNO", "");
	out->customer[0] = '\0';
	if ((ca = policy_req_get(req, PA_CLIENT_ADDRESS)) != NULL &&
	    ipaddr_parse(ca->ptr, ca->len, &j.addr) == 0) {
		j.have_addr = true;
		if (lpm_lookup(j.r->lpm, &j.addr, &j.net, NULL))
			net = &j.r->conf->networks[j.net];
	}
	j.state = judge_state(req);
	rc = judge_customer(&j);
	out->role = role = judge_role(&j);
	if (rc != 0)
		goto fallback;
	if (net != NULL && net->exempt) {
		judge_set(out, "DUNNO", "exempt");
		return 0;
	}
	if (role == ENGINE_ROLE_RELAY && net != NULL && net->require_auth &&
	    policy_req_get(req, PA_SASL_USERNAME) == NULL) {
		judge_set(out, "REJECT 5.7.1 relayguard: relaying from your "
		    "network requires authentication; submit your mail on "
		    "port 587 (submission) with SMTP authentication",
		    "require_auth");
		return 0;
	}
	if (role == ENGINE_ROLE_INBOUND || (j.r->n_limits == 0 && !e->det.on))
		return 0;
	judge_keys(&j);
	if ((rc = judge_limits(&j, role)) == 0)
		return 0;
fallback:
	judge_set(out, e->rules->default_action, "default");
	return rc;
}
