/*
 * engine_detect_log.c - the Postfix log feed of detection
 * (engine_observe_log(), engine.h): queue IDs linked to customers,
 * delivery outcomes, hold: lines, log-only mode; and loading incidents
 * back from the incidents database.
 *
 * The queue ID map is direct-mapped: ENGINE_QMAP_SLOTS slots indexed by
 * a hash of the queue ID, each holding the full 64-bit hash, the
 * customer's detection hash, the client address, a few flags and the
 * message's outcomes so far (64 bytes; 4 MiB in all, made at first use).  A newer queue ID that falls
 * into a slot replaces the older one: Postfix delivers most mail within
 * seconds, so with 64K slots an entry survives until tens of thousands
 * of later messages have been queued, enough for deliveries and the
 * first retries; an outcome whose queue ID was replaced is ignored.
 * The address map (ENGINE_AMAP_SLOTS, 16 bytes each) remembers which
 * customer last sent from a client address, for complaints that name an
 * address (ARF Source-IP).
 *
 * The Message-ID map (ENGINE_MMAP_SLOTS, 16 bytes each, direct-mapped
 * like the queue ID map) links a cleanup message-id= line to its queue
 * ID, for content filters whose verdicts name only the Message-ID
 * (spamd).  Content verdicts (proto/verdict.h) count once a message
 * (QM_VERDICT); a delivery into an after-queue content filter on this
 * host that names the new queue ID ("queued as NEWQID") links NEWQID to
 * the same customer and is no outcome itself: the message's real
 * deliveries come under NEWQID.
 *
 * Log-only mode: when the engine has judged no outbound policy request,
 * a log replayed alone is the only source: the qmgr from= line stands
 * for the message (sender, client, authentication; no HELO), each final
 * delivery line (sent or bounced) for a recipient.
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine_int.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proto/verdict.h"
#include "store/incidents.h"

#define ENGINE_QMAP_SLOTS (1u << 16)
#define ENGINE_AMAP_SLOTS (1u << 14)
#define ENGINE_MMAP_SLOTS (1u << 14)
#define MMAP_SEED 0x6d6d61707365656full
#define QMAP_SEED 0x716d61707365656full

#define QM_LOG_ONLY 0x01	/* the log is the message's only source */
#define QM_MSG_SEEN 0x02	/* observed as a message */
#define QM_OUTCOME 0x04		/* an outcome was seen */
#define QM_SASL 0x10
#define QM_ADDR 0x20
#define QM_VERDICT 0x40		/* a content verdict was counted */

struct qmap_slot {
	uint64_t qid;		/* 0: empty */
	uint64_t cust;
	struct ipaddr addr;
	int64_t t_us;
	uint32_t flags;
	struct detect_msg_out out;	/* its outcomes so far */
};

struct amap_slot {
	uint64_t addr;		/* hash of the address, 0: empty */
	uint64_t cust;
};

struct mmap_slot {
	uint64_t mid;		/* hash of the Message-ID, 0: empty */
	uint64_t qid;		/* hash of its queue ID (qmap_slot.qid) */
};

struct engine_qmap {
	struct qmap_slot q[ENGINE_QMAP_SLOTS];
	struct amap_slot a[ENGINE_AMAP_SLOTS];
	struct mmap_slot m[ENGINE_MMAP_SLOTS];
};

static struct engine_qmap *
qmap_get(struct engine *e)
{
	if (e->det.qmap == NULL)
		e->det.qmap = xcalloc(1, sizeof(*e->det.qmap));
	return e->det.qmap;
}

void
engine_detect_qmap_free(struct engine *e)
{
	xfree(e->det.qmap);
	e->det.qmap = NULL;
}

static uint64_t
qmap_hash(const char *qid, size_t len)
{
	uint64_t h = hash_bytes(qid, len, QMAP_SEED);

	return h ? h : 1;
}

static struct qmap_slot *
qmap_find_hash(struct engine *e, uint64_t h)
{
	struct qmap_slot *s;

	if (e->det.qmap == NULL || h == 0)
		return NULL;
	s = &e->det.qmap->q[h & (ENGINE_QMAP_SLOTS - 1)];
	return s->qid == h ? s : NULL;
}

static struct qmap_slot *
qmap_find(struct engine *e, const char *qid, size_t len)
{
	if (qid == NULL || len == 0)
		return NULL;
	return qmap_find_hash(e, qmap_hash(qid, len));
}

static uint64_t
mmap_hash(const char *mid, size_t len)
{
	uint64_t h = hash_bytes(mid, len, MMAP_SEED);

	return h ? h : 1;
}

static struct qmap_slot *
qmap_put(struct engine *e, const char *qid, size_t len, uint64_t cust,
    const struct ipaddr *addr, bool sasl, int64_t now)
{
	struct engine_qmap *m = qmap_get(e);
	struct qmap_slot *s;
	uint64_t h;

	if (m == NULL || len == 0)
		return NULL;
	h = qmap_hash(qid, len);
	s = &m->q[h & (ENGINE_QMAP_SLOTS - 1)];
	if (s->qid == h && s->cust == cust)
		return s;	/* linked already (policy, then the log) */
	memset(s, 0, sizeof(*s));
	s->qid = h;
	s->cust = cust;
	s->t_us = now;
	if (sasl)
		s->flags |= QM_SASL;
	if (addr != NULL) {
		s->addr = *addr;
		s->flags |= QM_ADDR;
	}
	return s;
}

void
engine_detect_qmap_link(struct engine *e, const char *qid, size_t len,
    uint64_t cust, const struct ipaddr *addr, bool sasl, int64_t now)
{
	qmap_put(e, qid, len, cust, addr, sasl, now);
}

void
engine_detect_note_addr(struct engine *e, const struct ipaddr *addr,
    uint64_t cust)
{
	struct engine_qmap *m = qmap_get(e);
	uint64_t h;

	if (m == NULL || addr == NULL)
		return;
	h = hash_bytes(addr->bytes, sizeof(addr->bytes), QMAP_SEED) | 1;
	m->a[h & (ENGINE_AMAP_SLOTS - 1)].addr = h;
	m->a[h & (ENGINE_AMAP_SLOTS - 1)].cust = cust;
}

struct detect_cust *
engine_detect_by_addr(struct engine *e, const struct ipaddr *addr)
{
	const struct amap_slot *s;
	char text[IPADDR_STRLEN];
	uint64_t h;

	ipaddr_format(addr, text, sizeof(text));
	if (e->det.qmap != NULL) {
		h = hash_bytes(addr->bytes, sizeof(addr->bytes), QMAP_SEED) | 1;
		s = &e->det.qmap->a[h & (ENGINE_AMAP_SLOTS - 1)];
		if (s->addr == h)
			return detect_find_hash(&e->det.tab, s->cust);
	}
	return detect_find(&e->det.tab, text, strlen(text),
	    detect_hash(&e->det.tab, text, strlen(text)));
}

/*
 * The customer key of a client= line, as judge_customer() makes it
 * from a policy request (customer_key order; IPv6 grouped by prefix).
 * Returns its length, or 0 when the line gives none.
 */
static size_t
log_customer(const struct engine *e, const struct maillog_rec *rec, char *buf)
{
	const struct engine_rules *r = e->rules;
	unsigned plen = r->conf->policy_ipv6_customer_prefix;
	struct ipprefix pfx;
	size_t i;

	for (i = 0; i < r->n_customer_attr; i++) {
		if (r->customer_attr[i] == PA_SASL_USERNAME &&
		    rec->sasl_username.len > 0 &&
		    rec->sasl_username.len <= ENGINE_CUSTOMER_MAX) {
			memcpy(buf, rec->sasl_username.ptr,
			    rec->sasl_username.len);
			buf[rec->sasl_username.len] = '\0';
			return rec->sasl_username.len;
		}
		if (r->customer_attr[i] == PA_CLIENT_ADDRESS && rec->has_addr) {
			if (!ipaddr_is_v4(&rec->addr) && plen > 0 &&
			    plen < 128) {
				pfx.addr = rec->addr;
				pfx.len = (uint8_t)plen;
				ipaddr_mask(&pfx.addr, plen);
				ipprefix_format(&pfx, buf,
				    ENGINE_CUSTOMER_MAX + 1);
			} else
				ipaddr_format(&rec->addr, buf,
				    ENGINE_CUSTOMER_MAX + 1);
			return strlen(buf);
		}
	}
	return 0;
}

/* A client= line: link its queue ID to an outbound customer. */
static int
log_client(struct engine *e, const struct maillog_rec *rec, int64_t now)
{
	char key[ENGINE_CUSTOMER_MAX + 1];
	bool sasl = rec->sasl_username.len > 0;
	struct detect_cust *c;
	struct qmap_slot *s;
	uint32_t net = ENGINE_NET_NONE;
	size_t len;

	if (rec->queue_id.len == 0)
		return 0;
	if (rec->has_addr)
		lpm_lookup(e->rules->lpm, &rec->addr, &net, NULL);
	if (net != ENGINE_NET_NONE && e->rules->conf->networks[net].exempt)
		return 0;
	if (!sasl && net == ENGINE_NET_NONE)
		return 0;	/* inbound mail */
	if ((len = log_customer(e, rec, key)) == 0)
		return 0;
	c = detect_get(&e->det.tab, key, len,
	    detect_hash(&e->det.tab, key, len), now);
	if (c == NULL)
		return ERR_NOMEM;
	s = qmap_put(e, rec->queue_id.ptr, rec->queue_id.len, c->hash,
	    rec->has_addr ? &rec->addr : NULL, sasl, now);
	if (s == NULL)
		return ERR_NOMEM;
	if (!e->det.policy_seen)
		s->flags |= QM_LOG_ONLY;
	if (rec->has_addr)
		engine_detect_note_addr(e, &rec->addr, c->hash);
	return 0;
}

/* Log-only: the message of slot s, from its from= line (or none). */
static void
log_message(struct engine *e, struct qmap_slot *s, struct detect_cust *c,
    const struct maillog_rec *rec, int64_t now, enum sprt_decision *d)
{
	struct detect_msg m;

	memset(&m, 0, sizeof(m));
	if (rec != NULL && rec->from.len > 0) {
		m.sender = rec->from.ptr;
		m.sender_len = rec->from.len;
	}
	m.addr = (s->flags & QM_ADDR) ? &s->addr : NULL;
	m.sasl = (s->flags & QM_SASL) != 0;
	detect_message(&e->det.tab, &e->det.params, c, &m, now, d);
	s->flags |= QM_MSG_SEEN;
}

static void
log_decided(struct engine *e, struct detect_cust *c, struct qmap_slot *s,
    enum sprt_decision d, int64_t now)
{
	detect_touch(&e->det.tab, c, now);
	if (d == SPRT_COMPROMISED)
		engine_detect_open(e, c, "sprt",
		    (s->flags & QM_ADDR) ? &s->addr : NULL, now);
}

static void
log_delivery(struct engine *e, struct qmap_slot *s, struct detect_cust *c,
    const struct maillog_rec *rec, int64_t now)
{
	enum sprt_decision d = SPRT_CONTINUE, d2 = SPRT_CONTINUE;
	enum detect_outcome out;

	switch (rec->status) {
	case MAILLOG_STATUS_SENT:
		out = DETECT_OUT_SENT;
		break;
	case MAILLOG_STATUS_BOUNCED:
		/* 5.1.x: bad destination mailbox (RFC 3463), as 5.1.1. */
		out = rec->dsn.len >= 4 &&
		    memcmp(rec->dsn.ptr, "5.1.", 4) == 0 ?
		    DETECT_OUT_UNKNOWN_USER : DETECT_OUT_BOUNCE;
		break;
	case MAILLOG_STATUS_DEFERRED:
		out = DETECT_OUT_DEFERRED;
		break;
	default:
		return;
	}
	if ((s->flags & QM_LOG_ONLY) && out != DETECT_OUT_DEFERRED) {
		if (!(s->flags & QM_MSG_SEEN))
			log_message(e, s, c, NULL, now, &d);
		if (rec->to.len > 0)
			detect_recipient(&e->det.tab, &e->det.params, c,
			    rec->to.ptr, rec->to.len, now, &d2);
		if (d2 == SPRT_COMPROMISED || d == SPRT_CONTINUE)
			d = d2;
	}
	s->flags |= QM_OUTCOME;
	detect_outcome(&e->det.tab, &e->det.params, c, out, rec->to.ptr,
	    rec->to.len, &s->out, now, &d2);
	if (d2 == SPRT_COMPROMISED || d == SPRT_CONTINUE)
		d = d2;
	log_decided(e, c, s, d, now);
}

/* A hold: line naming "relayguard: incident N": list its queue ID. */
static void
log_hold(struct engine *e, const struct maillog_rec *rec, int64_t now)
{
	static const char tag[] = "relayguard: incident ";
	char qid[INCIDENT_QID_MAX + 1];
	const char *p = rec->text.ptr, *end = p + rec->text.len, *at;
	struct incident *inc;
	uint64_t id = 0;
	int rc;

	if (p == NULL || rec->queue_id.len == 0 ||
	    rec->queue_id.len > INCIDENT_QID_MAX ||
	    (at = memmem(p, rec->text.len, tag, sizeof(tag) - 1)) == NULL)
		return;
	for (at += sizeof(tag) - 1; at < end && *at >= '0' && *at <= '9'; at++)
		id = id * 10 + (uint64_t)(*at - '0');
	if ((inc = incident_find(&e->det.incidents, id)) == NULL)
		return;
	memcpy(qid, rec->queue_id.ptr, rec->queue_id.len);
	qid[rec->queue_id.len] = '\0';
	rc = incident_hold(inc, "", qid, now);
	if (rc > 0 && e->det.db != NULL &&
	    incidents_db_add_held(e->det.db, id, qid, "", now) != 0)
		log_error("detection: incident %llu: recording held message "
		    "%s failed", (unsigned long long)id, qid);
}

/* The customer of slot s, unless it has an open incident (or none). */
static struct detect_cust *
log_slot_customer(struct engine *e, const struct qmap_slot *s)
{
	struct detect_cust *c;

	if (s == NULL || (c = detect_find_hash(&e->det.tab, s->cust)) == NULL)
		return NULL;
	if (c->incident != 0) {
		const struct incident *inc = incident_find(&e->det.incidents,
		    c->incident);

		if (inc != NULL && inc->released_us == 0)
			return NULL;
	}
	return c;
}

/* cleanup's message-id= line: remember which queue ID it names. */
static void
log_message_id(struct engine *e, const struct maillog_rec *rec)
{
	struct qmap_slot *s = qmap_find(e, rec->queue_id.ptr, rec->queue_id.len);
	struct mmap_slot *m;
	uint64_t h;

	if (s == NULL || rec->message_id.len == 0)
		return;
	h = mmap_hash(rec->message_id.ptr, rec->message_id.len);
	m = &e->det.qmap->m[h & (ENGINE_MMAP_SLOTS - 1)];
	m->mid = h;
	m->qid = s->qid;
}

/* A content filter's verdict (proto/verdict.h), once a message. */
static void
log_verdict(struct engine *e, const struct verdict *v, int64_t now)
{
	enum sprt_decision d;
	struct detect_cust *c;
	struct qmap_slot *s = NULL;

	if (v->queue_id.len > 0)
		s = qmap_find(e, v->queue_id.ptr, v->queue_id.len);
	if (s == NULL && v->message_id.len > 0 && e->det.qmap != NULL) {
		uint64_t h = mmap_hash(v->message_id.ptr, v->message_id.len);
		const struct mmap_slot *m =
		    &e->det.qmap->m[h & (ENGINE_MMAP_SLOTS - 1)];

		if (m->mid == h)
			s = qmap_find_hash(e, m->qid);
	}
	if (s == NULL || (s->flags & QM_VERDICT) ||
	    (c = log_slot_customer(e, s)) == NULL)
		return;
	s->flags |= QM_VERDICT;
	detect_content(&e->det.tab, &e->det.params, c, v->spam, now, &d);
	log_decided(e, c, s, d, now);
}

/*
 * A delivery into a content filter on this host that re-queued the
 * message as new_qid: the new queue ID is the same customer's message.
 */
static void
log_requeued(struct engine *e, const struct maillog_rec *rec,
    const struct maillog_str *new_qid, int64_t now)
{
	struct qmap_slot *s = qmap_find(e, rec->queue_id.ptr, rec->queue_id.len);
	struct qmap_slot *n;
	struct qmap_slot old;

	if (s == NULL)
		return;
	old = *s;	/* the new slot may be the same one */
	n = qmap_put(e, new_qid->ptr, new_qid->len, old.cust,
	    (old.flags & QM_ADDR) ? &old.addr : NULL,
	    (old.flags & QM_SASL) != 0, now);
	if (n != NULL) {
		n->flags |= old.flags & (QM_LOG_ONLY | QM_MSG_SEEN | QM_VERDICT);
		n->out.nrcpt = old.out.nrcpt;
	}
}

int
engine_observe_log(struct engine *e, const struct maillog_rec *rec,
    int64_t now)
{
	struct maillog_str new_qid;
	struct maillog_err verr;
	struct verdict v;
	int rc;

	enum sprt_decision d = SPRT_CONTINUE;
	struct detect_cust *c;
	struct qmap_slot *s;

	if (!e->det.on)
		return 0;
	switch (rec->ev) {
	case MAILLOG_EV_CLIENT:
		return log_client(e, rec, now);
	case MAILLOG_EV_HOLD:
		log_hold(e, rec, now);
		return 0;
	case MAILLOG_EV_MESSAGE_ID:
		log_message_id(e, rec);
		return 0;
	case MAILLOG_EV_DELIVERY:
		if (verdict_requeued(rec, &new_qid)) {
			log_requeued(e, rec, &new_qid, now);
			return 0;
		}
		break;
	case MAILLOG_EV_FROM:
		break;
	case MAILLOG_EV_OTHER:
	case MAILLOG_EV_REJECT:
		rc = verdict_parse(NULL, rec, &v, &verr);
		if (rc == 1)
			log_verdict(e, &v, now);
		else if (rc < 0 && e->det.verdicts_malformed++ % 1000 == 0)
			/* As the feed does for malformed lines: not a flood. */
			log_warn("detection: content verdict: %s; %llu so far",
			    verr.reason,
			    (unsigned long long)e->det.verdicts_malformed);
		return 0;
	default:
		return 0;
	}
	s = qmap_find(e, rec->queue_id.ptr, rec->queue_id.len);
	if ((c = log_slot_customer(e, s)) == NULL)
		return 0;
	if (rec->ev == MAILLOG_EV_FROM) {
		if (rec->has_nrcpt && s->out.n == 0)
			s->out.nrcpt = rec->nrcpt > UINT16_MAX ? UINT16_MAX :
			    (uint16_t)rec->nrcpt;
		if ((s->flags & QM_LOG_ONLY) && !(s->flags & QM_MSG_SEEN) &&
		    rec->status == MAILLOG_STATUS_NONE) {
			log_message(e, s, c, rec, now, &d);
			log_decided(e, c, s, d, now);
		}
		return 0;
	}
	log_delivery(e, s, c, rec, now);
	return 0;
}

static int
load_incident(void *ctx, const struct incidents_db_row *row)
{
	struct engine *e = ctx;
	struct incident *inc;
	struct detect_cust *c;
	size_t len = strlen(row->customer);
	const char *p, *q;
	char addr[INCIDENT_ADDR_LEN];
	int rc;

	rc = incident_add(&e->det.incidents, row->id, row->customer,
	    row->opened_us, row->reason, row->evidence, row->actions, &inc);
	if (rc == ERR_EXIST || rc == ERR_TOOBIG) {
		log_warn("detection: incident %llu in the database skipped: "
		    "%s", (unsigned long long)row->id, err_str(rc));
		return 0;
	}
	if (rc != 0)
		return rc;
	/* The addresses: a JSON array of plain address strings. */
	for (p = row->client_addrs; p != NULL && (p = strchr(p, '"'));
	    p = q + 1) {
		if ((q = strchr(p + 1, '"')) == NULL)
			break;
		if ((size_t)(q - p - 1) < sizeof(addr)) {
			memcpy(addr, p + 1, (size_t)(q - p - 1));
			addr[q - p - 1] = '\0';
			incident_add_addr(inc, addr);
		}
	}
	if (row->released_us != 0) {
		incident_release(&e->det.incidents, inc, row->released_us);
		return 0;
	}
	c = detect_get(&e->det.tab, row->customer, len,
	    detect_hash(&e->det.tab, row->customer, len), row->opened_us);
	if (c == NULL)
		return ERR_NOMEM;
	c->incident = row->id;
	return 0;
}

static int
load_held(void *ctx, uint64_t id, const char *qid, const char *instance,
    int64_t t_us)
{
	struct engine *e = ctx;
	struct incident *inc = incident_find(&e->det.incidents, id);

	if (inc == NULL)
		return 0;
	return incident_hold(inc, instance, qid, t_us) < 0 ? ERR_NOMEM : 0;
}

int
engine_load_incidents(struct engine *e, struct incidents_db *db)
{
	uint64_t max = 0;
	int rc;

	if ((rc = incidents_db_load(db, load_incident, load_held, e)) != 0)
		return rc;
	if (incidents_db_max_id(db, &max) == 0 &&
	    max >= e->det.incidents.next_id)
		e->det.incidents.next_id = max + 1;
	return 0;
}
