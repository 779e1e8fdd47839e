/*
 * detect_model.c - the likelihood model of detection (detect.h): each
 * observation of a customer becomes ln(P(x | compromised) / P(x |
 * normal)), where P(x | normal) comes from the customer's own baseline
 * (EWMA rates learned from its mail, started at a new-customer prior)
 * and P(x | compromised) from what compromised senders do whatever their
 * victim did before.  doc/detection.md gives the numbers and why.
 *
 * Recipients of one message are one decision of its sender, not
 * independent observations: their LLR is capped per message
 * (msg_cap_pos, msg_cap_neg), and so are delivery outcomes
 * (outcome_cap_pos), so that a single message to a thousand novel
 * addresses (a greeting, a newsletter) weighs like a few messages.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/detect.h"
#include "lib/err.h"
#include "lib/json_esc.h"

/* Fingerprint seeds: fixed, the sets are persisted. */
#define SEED_RCPT 0x6474726370743031ull
#define SEED_DOM 0x6474646f6d303031ull
#define SEED_SENDER 0x647473656e643031ull
#define SEED_SDOM 0x647473646f6d3031ull
#define SEED_HELO 0x647468656c6f3031ull
#define SEED_NET 0x64746e6574303031ull
#define SEED_DEAD 0x6474646561643031ull

/* P(x | compromised): see doc/detection.md. */
#define P1_RCPT_NOVEL 0.97f	/* spam goes to addresses it never wrote to */
#define P1_DOM_NOVEL 0.35f	/* ... at domains it never wrote to */
#define P1_SENDER_NEW 0.30f	/* bots forging a new sender per message */
#define P1_UNKNOWN 0.20f	/* harvested lists: unknown users */
#define P1_BOUNCE 0.08f		/* other permanent failures */
#define P1_DEFER 0.08f		/* greylisting, receivers' rate limits */
#define P1_CONTENT 0.80f	/* a zombie's messages judged spam */
#define P0_CONTENT 0.02f	/* a customer's, by the filter's mistakes */
#define LLR_CLEAN_MIN (-0.5f)	/* bots' spam passes filters often */
#define P0_BOUNCE 0.01f
#define P0_DEFER 0.04f		/* per recipient */
#define LLR_LOCAL_MAX 0.5f	/* a new local part at a known domain */
#define LLR_HELO_NEW 1.0f
#define LLR_HELO_KNOWN 0.0f	/* bots on the victim's PC use its HELO */
#define LLR_NET_3 0.7f		/* a third client network in the window */
#define LLR_NET_4 1.5f		/* a fourth or more */
#define NET_SAME_HELO 0.3f	/* ... from a HELO name it uses */
#define LLR_VOLUME 0.7f		/* a message in a slot over 2 x peak + 3 */
#define VOLUME_MAX 3		/* ... for the first 3 such in a slot */
#define VOLUME_WARM 1		/* active slots before volume counts */
#define RCPT_INDEP 3.0f		/* independent recipients in a message */
#define OUT_INDEP 3.0f		/* ... and outcomes */
#define OUT_INDEP_POS 4.0f	/* ... when they lean to compromised */
#define LLR_RCPTS 0.15f		/* a recipient past 2 x usual + 1 ... */
#define RCPTS_MAX 2		/* ... for the first 2 such in a message */
#define RCPTS_WARM 5		/* messages before recipients count */
#define W_RPM (1.0f / 16)	/* EWMA weight of recipients a message */
#define VOLUME_DECAY 0.97f	/* the peak fades by active slot */

/*
 * P(x | normal): the customer's own rate (a running mean over its first
 * 1/W observations, an EWMA with weight W after), mixed with a prior
 * worth K observations, so that a customer with little history is
 * judged by what new customers do (doc/detection.md, "warm-up").
 */
#define LEARN_BELOW (-2.0f)	/* learn only while S is below this */
#define W_RCPT (1.0f / 64)	/* EWMA weights: per recipient */
#define W_MSG (1.0f / 32)	/* per message */
#define PRIOR_NOVEL 0.9f	/* a new customer writes to new people */
#define PRIOR_DOM_NOVEL 0.7f
#define PRIOR_SENDER_NEW 0.5f
#define PRIOR_OFF 0.1f
#define PRIOR_UNKNOWN 0.03f
#define K_NOVEL 16.0f
#define K_SENDER 4.0f
#define K_OFF 8.0f
#define K_UNKNOWN 30.0f
#define K_DEFER 30.0f		/* deferrals: the population's 4% */

static const char *const detect_sig_names[DETECT_SIG__COUNT] = {
	"rcpt_novel", "rcpt_known", "domain_novel", "domain_known",
	"recipients", "volume",
	"sender_new", "sender_known", "helo_new", "networks", "off_hours",
	"unknown_user", "bounce", "deferred", "delivered", "complaint",
	"content_spam", "content_clean"
};

void
detect_params_default(struct detect_params *p)
{
	memset(p, 0, sizeof(*p));
	sprt_params_init(&p->sprt, 0.001, 0.01);
	p->min_messages = 1;
	p->off_hours_start = 0;
	p->off_hours_end = 6;
	p->utc_offset_s = 0;
	p->network_window_us = 24 * 3600 * 1000000LL;
	p->complaint_llr = 5.0f;
	p->msg_cap_pos = 3.0f;
	p->msg_cap_neg = -3.0f;
	p->outcome_cap_pos = 3.0f;
}

const char *
detect_sig_name(enum detect_sig sig)
{
	return (unsigned)sig < DETECT_SIG__COUNT ? detect_sig_names[sig] : "";
}

static float
clampf(float x, float lo, float hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/*
 * Learn x into rate k of c: a running mean over the first 1/w learned
 * observations, an EWMA with weight w after.  While the test leans
 * towards "compromised" the baseline does not learn, so that an attack
 * cannot teach it that the attack is normal before the test decides: it
 * learns only while S is below LEARN_BELOW, about half way down to B,
 * where the customer's recent mail has already been found normal.
 */
static void
learn(struct detect_cust *c, enum detect_rate k, float *r, float x, float w)
{
	float a = 1.0f / ((float)c->n_learned[k] + 1.0f);

	if (c->sprt.llr > LEARN_BELOW)
		return;
	*r += (a > w ? a : w) * (x - *r);
	if (c->n_learned[k] < UINT16_MAX)
		c->n_learned[k]++;
}

/* P(x | normal) from rate r of kind k and the prior worth kp. */
static float
p0_of(const struct detect_cust *c, enum detect_rate k, float r, float w,
    float prior, float kp, float lo, float hi)
{
	float n = c->n_learned[k], m = n < 1.0f / w ? n : 1.0f / w;

	return clampf((prior * kp + r * m) / (kp + m), lo, hi);
}

/*
 * The LLR of something unusual: ln(p1 / p0), but never below 0: a
 * customer for whom it is the rule (p0 > p1) gains no evidence of being
 * normal from one more such thing.  And of the usual: ln((1 - p1) /
 * (1 - p0)), never above 0, for the same reason the other way round.
 */
static float
novel_llr(float p1, float p0)
{
	return p1 > p0 ? logf(p1 / p0) : 0.0f;
}

static float
usual_llr(float p1, float p0)
{
	return p1 > p0 ? logf((1 - p1) / (1 - p0)) : 0.0f;
}


/* Look fp up in a ring set; add it when missing.  True if it was there. */
static bool
set_seen(uint16_t *v, unsigned cap, uint8_t *n, uint8_t *pos, uint16_t fp,
    bool add)
{
	unsigned i;

	for (i = 0; i < *n; i++) {
		if (v[i] == fp)
			return true;
	}
	if (add) {
		v[*pos] = fp;
		*pos = (uint8_t)((*pos + 1) % cap);
		if (*n < cap)
			(*n)++;
	}
	return false;
}

/* Count llr for sig in the evidence (making it when S > 0) and add it. */
static enum sprt_decision
model_add(struct detect_tab *t, const struct detect_params *p,
    struct detect_cust *c, enum detect_sig sig, float llr, bool new_obs,
    int64_t now_us)
{
	struct detect_act *a = c->act;
	enum sprt_decision d;

	if (a == NULL && c->sprt.llr + llr > 0)
		a = detect_act_get(t, c, now_us);
	if (a != NULL) {
		a->sig_llr[sig] += llr;
		a->sig_n[sig]++;
	}
	d = sprt_add(&c->sprt, &p->sprt, llr, new_obs);
	if (d == SPRT_NORMAL)
		detect_act_drop(t, c);
	if (d == SPRT_COMPROMISED && c->sprt.n < p->min_messages)
		d = SPRT_CONTINUE;
	return d;
}

/* Merge decisions of several steps: compromised wins, then normal. */
static void
model_merge(enum sprt_decision *acc, enum sprt_decision d)
{
	if (d == SPRT_COMPROMISED || *acc == SPRT_CONTINUE)
		*acc = d;
}

static void
model_rate(struct detect_act *a, int64_t now_us)
{
	uint32_t m = (uint32_t)(now_us / 60000000), i;

	if (m < a->rate_minute)
		m = a->rate_minute;
	if (m - a->rate_minute >= DETECT_RATE_MIN) {
		/* Shift the window so that m is its last minute. */
		uint32_t shift = m - a->rate_minute - (DETECT_RATE_MIN - 1);

		for (i = 0; i < DETECT_RATE_MIN; i++)
			a->rate[i] = i + shift < DETECT_RATE_MIN ?
			    a->rate[i + shift] : 0;
		a->rate_minute += shift;
	}
	if (a->rate[m - a->rate_minute] < UINT16_MAX)
		a->rate[m - a->rate_minute]++;
}

/*
 * Volume against the customer's own busiest times, in slots of ten
 * minutes (DETECT_SLOT_US): base_msgs is the peak of a slot, fading by
 * 3% an active slot, so that a newsletter's campaign stays its normal.
 * A message counts once its slot holds more than twice that peak plus
 * 3, and only after VOLUME_WARM active slots: a customer's first burst
 * (a first campaign) is no evidence by itself.  Humans rarely send
 * more than a few messages in ten minutes; bots send hundreds.  But a
 * burst says that something unusual happens, not what: only the first
 * VOLUME_MAX messages over the line count (2.1 a slot at most), and the
 * recipients and outcomes of the burst have to say the rest.
 */
static float
model_volume(struct detect_cust *c, int64_t now_us)
{
	uint32_t h = (uint32_t)(now_us / DETECT_SLOT_US);

	if (h != c->hour) {
		if (c->hour_msgs > 0) {
			if (c->active_hours == 0)
				c->base_msgs = c->hour_msgs;
			else {
				c->base_msgs *= VOLUME_DECAY;
				if (c->hour_msgs > c->base_msgs)
					c->base_msgs = c->hour_msgs;
			}
			if (c->active_hours < UINT16_MAX)
				c->active_hours++;
		}
		c->hour = h;
		c->hour_msgs = 0;
	}
	if (c->hour_msgs < UINT16_MAX)
		c->hour_msgs++;
	if (c->active_hours < VOLUME_WARM ||
	    c->hour_msgs <= 2 * c->base_msgs + 3 ||
	    c->hour_msgs > 2 * c->base_msgs + 3 + VOLUME_MAX)
		return 0;
	return LLR_VOLUME;
}

/* The network of a client: /24 for IPv4, /48 for IPv6. */
static uint32_t
model_net(const struct ipaddr *addr)
{
	struct ipaddr n = *addr;

	ipaddr_mask(&n, ipaddr_is_v4(addr) ? 96 + 24 : 48);
	return detect_fp32(n.bytes, sizeof(n.bytes), SEED_NET);
}

static float
model_networks(const struct detect_params *p, struct detect_cust *c,
    const struct ipaddr *addr, int64_t now_us)
{
	uint32_t fp = model_net(addr), h = (uint32_t)(now_us / 3600000000LL);
	uint32_t win = (uint32_t)(p->network_window_us / 3600000000LL);
	unsigned i, recent = 0, oldest = 0;

	for (i = 0; i < DETECT_NETS; i++) {
		if (c->net_fp[i] == fp) {
			c->net_hour[i] = h;
			return 0;
		}
	}
	for (i = 0; i < DETECT_NETS; i++) {
		if (c->net_fp[i] != 0 && c->net_hour[i] + win >= h)
			recent++;
		if (c->net_fp[i] == 0 ||
		    (c->net_fp[oldest] != 0 &&
		    c->net_hour[i] < c->net_hour[oldest]))
			oldest = i;
	}
	c->net_fp[oldest] = fp;
	c->net_hour[oldest] = h;
	return recent + 1 >= 4 ? LLR_NET_4 : recent + 1 == 3 ? LLR_NET_3 : 0;
}

float
detect_message(struct detect_tab *t, const struct detect_params *p,
    struct detect_cust *c, const struct detect_msg *m, int64_t now_us,
    enum sprt_decision *dec)
{
	enum sprt_decision d = SPRT_CONTINUE;
	float llr, total = 0, p0;
	int64_t local;
	bool seen, off, helo_known;
	uint16_t fp;
	int hour;

	/*
	 * The last message's recipients are learned as one observation
	 * each of novelty and domain novelty (their means), as they are
	 * one choice of its sender: learned per recipient, one message to
	 * fifty new addresses moved a young customer's novelty rate most
	 * of the way to 1, and a bot taught the baseline its own habits in
	 * three messages.
	 */
	if (c->msg_rcpts > 0) {
		learn(c, DETECT_R_RPM, &c->base_rpm, c->msg_rcpts, W_RPM);
		learn(c, DETECT_R_NOVEL, &c->rate_novel,
		    (float)c->msg_novel / c->msg_rcpts, W_MSG);
	}
	if (c->msg_doms > 0)
		learn(c, DETECT_R_DOM, &c->rate_dom_novel,
		    (float)c->msg_dnovel / c->msg_doms, W_MSG);
	c->msg_rcpts = c->msg_novel = c->msg_doms = c->msg_dnovel = 0;
	c->msg_raw = c->msg_done = 0;
	if (c->messages < UINT32_MAX)
		c->messages++;
	/* The message itself: counted as an observation, volume. */
	llr = model_volume(c, now_us);
	model_merge(&d, model_add(t, p, c, DETECT_SIG_VOLUME, llr, true,
	    now_us));
	total += llr;
	if (c->act != NULL) {
		c->act->messages++;
		model_rate(c->act, now_us);
		if (m->addr != NULL && c->act->n_addrs < DETECT_SAMPLES) {
			unsigned i;

			for (i = 0; i < c->act->n_addrs; i++) {
				if (memcmp(&c->act->addrs[i], m->addr,
				    sizeof(*m->addr)) == 0)
					break;
			}
			if (i == c->act->n_addrs)
				c->act->addrs[c->act->n_addrs++] = *m->addr;
		}
	}
	/*
	 * Senders, by domain first: a business's employees, a newsletter's
	 * list addresses and VERP bounce addresses are new local parts at
	 * the customer's own domain; a bot forging its senders takes them
	 * from other domains (full weight), or invents local parts at its
	 * victim's domain, which counts (at most LLR_LOCAL_MAX) only for a
	 * customer whose own senders rarely change: one person, one address.
	 */
	if (m->sender != NULL && m->sender_len > 0) {
		const char *at = memrchr(m->sender, '@', m->sender_len);
		const char *dom = at != NULL && at + 1 < m->sender + m->sender_len ?
		    at + 1 : m->sender;
		uint16_t dfp = detect_fp16(dom,
		    (size_t)(m->sender + m->sender_len - dom), SEED_SDOM);
		/* A version 1 record has senders but no sender domains yet. */
		bool dfirst = c->sdom_n == 0, first = dfirst && c->sender_n == 0;
		bool dseen;

		fp = detect_fp16(m->sender, m->sender_len, SEED_SENDER);
		dseen = set_seen(c->sdom_fp, DETECT_SENDERS, &c->sdom_n,
		    &c->sdom_pos, dfp, true) || dfirst;
		seen = set_seen(c->sender_fp, DETECT_SENDERS, &c->sender_n,
		    &c->sender_pos, fp, true);
		if (!first) {
			llr = 0;
			if (!dseen) {
				p0 = p0_of(c, DETECT_R_SDOM, c->rate_sdom_new,
				    W_MSG, PRIOR_SENDER_NEW, K_SENDER, 0.02f,
				    0.9f);
				llr = novel_llr(P1_SENDER_NEW, p0);
			} else if (!seen) {
				p0 = p0_of(c, DETECT_R_SENDER,
				    c->rate_sender_new, W_MSG, PRIOR_SENDER_NEW,
				    K_SENDER, 0.02f, 0.9f);
				llr = novel_llr(P1_SENDER_NEW, p0);
				if (llr > LLR_LOCAL_MAX)
					llr = LLR_LOCAL_MAX;
			}
			/*
			 * Known: no evidence either way (many bots send
			 * as their victim), so not ln(0.7 / (1 - p0)).
			 */
			learn(c, DETECT_R_SDOM, &c->rate_sdom_new,
			    dseen ? 0.0f : 1.0f, W_MSG);
			learn(c, DETECT_R_SENDER, &c->rate_sender_new,
			    seen ? 0.0f : 1.0f, W_MSG);
			model_merge(&d, model_add(t, p, c, seen ?
			    DETECT_SIG_SENDER_KNOWN : DETECT_SIG_SENDER_NEW,
			    llr, false, now_us));
			total += llr;
		}
	}
	helo_known = false;
	if (m->helo != NULL && m->helo_len > 0) {
		fp = detect_fp16(m->helo, m->helo_len, SEED_HELO);
		if (c->helo_n > 0) {
			seen = set_seen(c->helo_fp, DETECT_HELOS, &c->helo_n,
			    &c->helo_pos, fp, true);
			helo_known = seen;
			llr = seen ? LLR_HELO_KNOWN : LLR_HELO_NEW;
			model_merge(&d, model_add(t, p, c, DETECT_SIG_HELO_NEW,
			    llr, false, now_us));
			total += llr;
		} else
			set_seen(c->helo_fp, DETECT_HELOS, &c->helo_n,
			    &c->helo_pos, fp, true);
	}
	/*
	 * A new network under a HELO name the customer uses is its own
	 * machine on the move (a phone behind a carrier's NAT pool, a
	 * laptop in a hotel): a third of the weight.  Stolen credentials
	 * are used by many machines, each with its own name.
	 */
	if (m->addr != NULL && m->sasl) {
		llr = model_networks(p, c, m->addr, now_us);
		if (helo_known)
			llr *= NET_SAME_HELO;
		if (llr != 0) {
			model_merge(&d, model_add(t, p, c, DETECT_SIG_NETWORKS,
			    llr, false, now_us));
			total += llr;
		}
	}
	local = now_us / 1000000 + p->utc_offset_s;
	hour = (int)(((local % 86400) + 86400) % 86400 / 3600);
	off = p->off_hours_start <= p->off_hours_end ?
	    hour >= p->off_hours_start && hour < p->off_hours_end :
	    hour >= p->off_hours_start || hour < p->off_hours_end;
	/*
	 * Once a ten-minute slot (its first message): the messages of one
	 * burst share their hour, they are one observation of it.
	 */
	if (p->off_hours_start != p->off_hours_end && c->hour_msgs == 1) {
		float span = (float)((p->off_hours_end - p->off_hours_start +
		    24) % 24) / 24.0f;

		/*
		 * Floor 0.15: at most ln(0.25 / 0.15) = +0.51 a message, as
		 * a traveller's shifted day or a late evening is no proof.
		 */
		p0 = p0_of(c, DETECT_R_OFF, c->rate_off, W_MSG, PRIOR_OFF,
		    K_OFF, 0.15f, 0.95f);
		llr = off ? novel_llr(span, p0) : usual_llr(span, p0);
		learn(c, DETECT_R_OFF, &c->rate_off, off ? 1.0f : 0.0f,
		    W_MSG);
		model_merge(&d, model_add(t, p, c, DETECT_SIG_OFF_HOURS, llr,
		    false, now_us));
		total += llr;
	}
	c->last_us = now_us > c->last_us ? now_us : c->last_us;
	*dec = d;
	return total;
}

/*
 * The recipients of one message are one choice of its sender, not
 * independent observations: the message's recipient evidence is the
 * mean LLR of its recipients times min(k, RCPT_INDEP) for k recipients,
 * within [msg_cap_neg, msg_cap_pos].  Given the raw LLR of the k-th
 * recipient, returns what to add now (the change of that amount).
 */
static float
model_msg_share(const struct detect_params *p, struct detect_cust *c,
    float raw)
{
	float k = c->msg_rcpts ? c->msg_rcpts : 1, target;

	c->msg_raw += raw;
	target = c->msg_raw / k * (k < RCPT_INDEP ? k : RCPT_INDEP);
	target = clampf(target, p->msg_cap_neg, p->msg_cap_pos);
	raw = target - c->msg_done;
	c->msg_done = target;
	return raw;
}

float
detect_recipient(struct detect_tab *t, const struct detect_params *p,
    struct detect_cust *c, const char *rcpt, size_t len, int64_t now_us,
    enum sprt_decision *dec)
{
	enum sprt_decision d = SPRT_CONTINUE;
	const char *at = memrchr(rcpt, '@', len);
	float p0, lr, ld = 0, delta, wr, lim, total;
	bool seen, dseen = false;
	uint16_t fp;

	if (c->msg_rcpts < UINT16_MAX)
		c->msg_rcpts++;
	fp = detect_fp16(rcpt, len, SEED_RCPT);
	seen = set_seen(c->rcpt_fp, DETECT_RCPT_FPS, &c->rcpt_n, &c->rcpt_pos,
	    fp, true);
	p0 = p0_of(c, DETECT_R_NOVEL, c->rate_novel, W_MSG, PRIOR_NOVEL,
	    K_NOVEL, 0.05f, 0.95f);
	lr = seen ? usual_llr(P1_RCPT_NOVEL, p0) :
	    novel_llr(P1_RCPT_NOVEL, p0);
	if (!seen && c->msg_novel < UINT16_MAX)
		c->msg_novel++;
	if (!seen && at != NULL && at + 1 < rcpt + len) {
		fp = detect_fp16(at + 1, (size_t)(rcpt + len - at - 1),
		    SEED_DOM);
		dseen = set_seen(c->dom_fp, DETECT_DOM_FPS, &c->dom_n,
		    &c->dom_pos, fp, true);
		p0 = p0_of(c, DETECT_R_DOM, c->rate_dom_novel, W_MSG,
		    PRIOR_DOM_NOVEL, K_NOVEL, 0.05f, 0.95f);
		/*
		 * A known domain is no evidence of normality: bots
		 * that mail the big freemail domains hit known ones
		 * as often as people do.
		 */
		ld = dseen ? usual_llr(P1_DOM_NOVEL, p0) :
		    novel_llr(P1_DOM_NOVEL, p0);
		if (c->msg_doms < UINT16_MAX)
			c->msg_doms++;
		if (!dseen && c->msg_dnovel < UINT16_MAX)
			c->msg_dnovel++;
	}
	/* The message's share, split between the two signals. */
	delta = total = model_msg_share(p, c, lr + ld);
	wr = fabsf(lr) + fabsf(ld) > 0 ? fabsf(lr) / (fabsf(lr) + fabsf(ld)) :
	    1.0f;
	model_merge(&d, model_add(t, p, c, seen ? DETECT_SIG_RCPT_KNOWN :
	    DETECT_SIG_RCPT_NOVEL, delta * wr, false, now_us));
	if (wr < 1.0f)
		model_merge(&d, model_add(t, p, c, dseen ?
		    DETECT_SIG_DOMAIN_KNOWN : DETECT_SIG_DOMAIN_NOVEL,
		    delta * (1 - wr), false, now_us));
	/* Recipients a message against the customer's usual. */
	lim = 2 * (c->base_rpm > 1 ? c->base_rpm : 1) + 1;
	if (c->messages > RCPTS_WARM && c->msg_rcpts > lim &&
	    c->msg_rcpts <= lim + RCPTS_MAX) {
		total += LLR_RCPTS;
		model_merge(&d, model_add(t, p, c, DETECT_SIG_RCPTS, LLR_RCPTS,
		    false, now_us));
	}
	if (c->recipients < UINT32_MAX)
		c->recipients++;
	if (c->act != NULL) {
		c->act->recipients++;
		if (!seen && c->act->n_samples < DETECT_SAMPLES) {
			size_t n = len < DETECT_SAMPLE_LEN - 1 ? len :
			    DETECT_SAMPLE_LEN - 1;

			memcpy(c->act->samples[c->act->n_samples], rcpt, n);
			c->act->samples[c->act->n_samples++][n] = '\0';
		}
	}
	*dec = d;
	return total;
}

/*
 * Outcomes, like recipients, are shared within a message: the recipients
 * of one message come from one list, whose quality is one fact about
 * its sender, so a message's outcome evidence is the mean LLR of its
 * outcomes times min(k, OUT_INDEP), k its recipients (nrcpt when the
 * log gave it, else the outcomes seen), within [-inf, outcome_cap_pos];
 * min(k, OUT_INDEP_POS) while the mean is positive: dead addresses say
 * more about a list than clean deliveries do (a harvested list shows
 * itself in each of them, a clean one in none).
 * Taken per recipient instead, a bot with a clean list mailing 20
 * addresses a message earned -5.8 of "normal" a message and was never
 * caught; and an early bounce of a big message counts as one of its k.
 *
 * Deferrals are per recipient and in the same mean: a deferred recipient
 * adds ln(0.08 / p0) once (a retry of it, the same bit of the message's
 * 32 in mo->deferred, adds nothing; two of its few deferred recipients
 * may share a bit), p0 the customer's rate per recipient.  "Never
 * deferred", ln(0.92 / (1 - p0)) = -0.04, counts once a message, as
 * before: a recipient's share of it is 1 / min(k, OUT_INDEP) (with it
 * per recipient, -0.13 a message of three, relayguard simulate's bots
 * were stopped a message later, a median of 6 instead of 5).  Counted
 * once a message instead (deferred or not), a newsletter's BCC batch of
 * 50 at 2.5% greylisting was "deferred" in 72% of its messages, and
 * each of them rose by ln(0.08 / 0.04): the first campaigns of
 * newsletters were held for their greylisting alone.
 */
static uint32_t
defer_bit(const char *rcpt, size_t len)
{
	if (rcpt == NULL || len == 0)
		return 0;
	return 1u << (detect_fp16(rcpt, len, SEED_DEAD) & 31);
}

/* The message's recipients k: nrcpt when known, else outcomes seen. */
static float
outcome_k(const struct detect_msg_out *mo)
{
	float k = mo->nrcpt > mo->n ? mo->nrcpt : mo->n;

	return k < 1 ? 1 : k;
}

/* Adds mo's new target to the test, attributed to sig. */
static enum sprt_decision
outcome_pool(struct detect_tab *t, const struct detect_params *p,
    struct detect_cust *c, enum detect_sig sig, struct detect_msg_out *mo,
    int64_t now_us, float *added)
{
	float k = outcome_k(mo), ind, target;

	ind = mo->raw > 0 ? OUT_INDEP_POS : OUT_INDEP;
	target = mo->raw / k * (k < ind ? k : ind);
	if (target > p->outcome_cap_pos)
		target = p->outcome_cap_pos;
	*added = target - mo->done;
	mo->done = target;
	return model_add(t, p, c, sig, *added, false, now_us);
}

float
detect_outcome(struct detect_tab *t, const struct detect_params *p,
    struct detect_cust *c, enum detect_outcome out, const char *rcpt,
    size_t len, struct detect_msg_out *mo, int64_t now_us,
    enum sprt_decision *dec)
{
	enum detect_sig sig;
	float llr, raw = 0, pd;
	uint32_t bit = defer_bit(rcpt, len);
	/*
	 * Floor 0.02: a customer with no unknown user in its last hundred
	 * deliveries may still have a stale address book (1 to 2% is
	 * common); one bounce is then worth at most ln(0.2 / 0.02) = 2.3.
	 */
	float p0 = p0_of(c, DETECT_R_UNKNOWN, c->rate_unknown, W_RCPT,
	    PRIOR_UNKNOWN, K_UNKNOWN, 0.02f, 0.5f);

	pd = p0_of(c, DETECT_R_DEFER, c->rate_defer, W_RCPT, P0_DEFER, K_DEFER,
	    0.01f, 0.5f);
	if (out == DETECT_OUT_DEFERRED) {
		if (bit != 0 && (mo->deferred & bit) != 0) {
			*dec = SPRT_CONTINUE;	/* a retry: the same one */
			return 0;
		}
		mo->deferred |= bit;
		mo->raw += novel_llr(P1_DEFER, pd);
		learn(c, DETECT_R_DEFER, &c->rate_defer, 1.0f, W_RCPT);
		*dec = outcome_pool(t, p, c, DETECT_SIG_DEFERRED, mo, now_us,
		    &llr);
		return llr;
	}
	switch (out) {
	case DETECT_OUT_UNKNOWN_USER:
		sig = DETECT_SIG_UNKNOWN_USER;
		raw = logf(P1_UNKNOWN / p0);
		learn(c, DETECT_R_UNKNOWN, &c->rate_unknown, 1.0f, W_RCPT);
		if (rcpt != NULL && len > 0 && set_seen(c->dead_fp,
		    DETECT_DEAD, &c->dead_n, &c->dead_pos,
		    detect_fp16(rcpt, len, SEED_DEAD), true))
			raw = 0;	/* the same dead address again */
		break;
	case DETECT_OUT_BOUNCE:
		sig = DETECT_SIG_BOUNCE;
		raw = logf(P1_BOUNCE / P0_BOUNCE);
		break;
	default:
		sig = DETECT_SIG_DELIVERED;
		raw = logf((1 - P1_UNKNOWN - P1_BOUNCE) / (1 - p0 - P0_BOUNCE));
		if (raw > 0)
			raw = 0;	/* never evidence of compromise */
		learn(c, DETECT_R_UNKNOWN, &c->rate_unknown, 0.0f, W_RCPT);
		break;
	}
	if (c->outcomes < UINT32_MAX)
		c->outcomes++;
	if (mo->n < UINT16_MAX)
		mo->n++;
	/* The other side of the deferral's evidence: never deferred. */
	if (bit == 0 || (mo->deferred & bit) == 0) {
		float k = outcome_k(mo);

		raw += usual_llr(P1_DEFER, pd) / (k < OUT_INDEP ? k : OUT_INDEP);
		learn(c, DETECT_R_DEFER, &c->rate_defer, 0.0f, W_RCPT);
	}
	mo->raw += raw;
	*dec = outcome_pool(t, p, c, sig, mo, now_us, &llr);
	return llr;
}

float
detect_content(struct detect_tab *t, const struct detect_params *p,
    struct detect_cust *c, bool spam, int64_t now_us, enum sprt_decision *dec)
{
	float llr = spam ? logf(P1_CONTENT / P0_CONTENT) :
	    logf((1 - P1_CONTENT) / (1 - P0_CONTENT));

	if (llr < LLR_CLEAN_MIN)
		llr = LLR_CLEAN_MIN;
	*dec = model_add(t, p, c, spam ? DETECT_SIG_CONTENT_SPAM :
	    DETECT_SIG_CONTENT_CLEAN, llr, false, now_us);
	return llr;
}

float
detect_complaint(struct detect_tab *t, const struct detect_params *p,
    struct detect_cust *c, int64_t now_us, enum sprt_decision *dec)
{
	*dec = model_add(t, p, c, DETECT_SIG_COMPLAINT, p->complaint_llr,
	    false, now_us);
	if (*dec == SPRT_CONTINUE && c->sprt.llr >= p->sprt.a)
		*dec = SPRT_COMPROMISED;	/* min_messages: not here */
	return p->complaint_llr;
}

void
detect_reset(struct detect_tab *t, struct detect_cust *c)
{
	sprt_reset(&c->sprt);
	detect_act_drop(t, c);
}

enum detect_sig
detect_top_signal(const struct detect_cust *c)
{
	unsigned i, best = DETECT_SIG_RCPT_NOVEL;

	if (c->act == NULL)
		return DETECT_SIG_RCPT_NOVEL;
	for (i = 1; i < DETECT_SIG__COUNT; i++) {
		if (c->act->sig_llr[i] > c->act->sig_llr[best])
			best = i;
	}
	return (enum detect_sig)best;
}
