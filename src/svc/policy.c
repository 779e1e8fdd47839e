/*
 * policy.c - the policy service: sockets in, proto/policy_req and the
 * engine in the middle, "action=..." out (see policy.h).
 *
 * Event model: one persistent libevent read event per connection and a
 * plain recv()/send() on a buffer of our own; no bufferevents.  A
 * bufferevent copies every byte through an evbuffer chain and adds
 * callbacks per read; the policy exchange is one small request and one
 * small reply, where that overhead is most of the cost.  The idle timeout
 * rides on the read event (EV_PERSIST re-arms it on every read) through
 * a libevent common timeout, so re-arming is O(1) instead of a heap
 * operation.
 *
 * Buffers: each connection has an input buffer of 4 KiB (a Postfix
 * request is 600-900 bytes) that doubles while one request needs it, up
 * to POLICY_REQ_MAX, and shrinks back once empty.  Replies are written
 * into one service-wide scratch buffer, so that every request pipelined
 * in one read is answered with one send(); only when the peer does not
 * take them all is the remainder copied into a per-connection pending
 * buffer, and the connection then stops reading until it is sent.  No
 * allocation per request.  The bytes of all buffers count against
 * limits.buf_max.
 *
 * Scanning: a request arriving in many small reads is not rescanned from
 * its start on every read (quadratic in its size): after a read,
 * policy_req_scan() runs only if the new bytes complete an empty line,
 * the unfinished line is over POLICY_LINE_MAX, or the request has reached
 * POLICY_REQ_MAX.
 *
 * Errors: a request that fails policy_req_scan() or policy_req_parse()
 * gets one warning with the peer and the byte offset in the connection's
 * input stream, and the connection is closed without a reply; replies to
 * the requests before it still go out first.  A connection closed by the
 * peer in the middle of a request is a warning too (an Exim readsocket
 * whose request lacks its empty line looks like that).
 *
 * Addresses, binding and accept() live in policy_listen.c; this file
 * gets each accepted socket through policy_conn_new().
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine/engine.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proto/policy_req.h"
#include "svc/policy.h"
#include "svc/policy_listen.h"

#define IN_INIT 4096			/* initial input buffer */
#define IN_MAX POLICY_REQ_MAX		/* a request must end within it */
#define READ_MIN 512			/* compact below this much room */
#define REPLY_ROOM (POLICY_REPLY_MAX + 16)	/* one reply, at most */
#define OUT_HIGH (64u << 10)		/* send a batch at this size */
#define PEER_MAX 128			/* "[v6 address]:port" and more */

struct policy_conn {
	struct policy_svc *svc;
	struct policy_conn *prev, *next;
	const struct policy_listen *lis;
	struct event *rev;		/* read, persistent, idle timeout */
	struct event *wev;		/* write, while output is pending */
	int fd;
	char *in;			/* owned input buffer */
	size_t in_off;			/* start of unanswered bytes */
	size_t in_len;
	size_t in_cap;
	size_t line_start;		/* start of the unfinished line */
	uint64_t stream_off;		/* stream offset of in[0] */
	char *out;			/* owned pending output, or NULL */
	size_t out_off;
	size_t out_len;
	struct sockaddr_storage peer;
	socklen_t peer_len;
};

struct policy_svc {
	struct event_base *base;
	struct engine *engine;		/* borrowed; NULL: answer DUNNO */
	struct policy_listen_set *listeners;
	struct policy_conn *conns;
	struct policy_svc_limits lim;
	const struct timeval *idle_tv;	/* common timeout or idle_plain */
	struct timeval idle_plain;
	size_t buf_bytes;		/* in and pending out, all conns */
	char *scratch;			/* owned; replies of one batch */
	size_t scratch_len;
	size_t scratch_cap;
	unsigned last_port;
	int64_t refuse_log_us;		/* last refusal warning */
	uint64_t refuse_unlogged;
	struct policy_svc_stats st;
};

static void policy_conn_read_cb(evutil_socket_t, short, void *);
static void policy_conn_write_cb(evutil_socket_t, short, void *);
static int policy_conn_process(struct policy_conn *);

/* policy_log_ok - true at most once a second per *last_us. */
static bool
policy_log_ok(int64_t *last_us)
{
	int64_t now = clock_mono_us();

	if (*last_us != 0 && now - *last_us < 1000000)
		return false;
	*last_us = now;
	return true;
}

/* policy_conn_peer - the peer for log lines; unix peers by listener. */
static const char *
policy_conn_peer(const struct policy_conn *c, char *buf, size_t cap)
{
	if (policy_listen_is_unix(c->lis))
		return policy_listen_name(c->lis);
	policy_listen_format_addr((const struct sockaddr *)&c->peer, buf, cap);
	return buf;
}

/* Verbs */

static const char *const policy_verb_names[POLICY_SVC_VERB__COUNT] = {
	[POLICY_SVC_VERB_DUNNO] = "dunno",
	[POLICY_SVC_VERB_OK] = "ok",
	[POLICY_SVC_VERB_DEFER_IF_PERMIT] = "defer_if_permit",
	[POLICY_SVC_VERB_DEFER_IF_REJECT] = "defer_if_reject",
	[POLICY_SVC_VERB_DEFER] = "defer",
	[POLICY_SVC_VERB_REJECT] = "reject",
	[POLICY_SVC_VERB_HOLD] = "hold",
	[POLICY_SVC_VERB_DISCARD] = "discard",
	[POLICY_SVC_VERB_WARN] = "warn",
	[POLICY_SVC_VERB_PREPEND] = "prepend",
	[POLICY_SVC_VERB_OTHER] = "other",
};

const char *
policy_svc_verb_name(enum policy_svc_verb verb)
{
	if ((unsigned)verb >= POLICY_SVC_VERB__COUNT)
		return "other";
	return policy_verb_names[verb];
}

enum policy_svc_verb
policy_svc_verb_of(const char *action)
{
	enum policy_svc_verb v;
	size_t n;

	/* Once per request: pick the one candidate by length and letter. */
	n = 0;
	while (action[n] != '\0' && action[n] != ' ' && action[n] != '\t')
		n++;
	switch (n) {
	case 2:
		v = POLICY_SVC_VERB_OK;
		break;
	case 4:
		v = (action[0] | 0x20) == 'h' ? POLICY_SVC_VERB_HOLD :
		    POLICY_SVC_VERB_WARN;
		break;
	case 5:
		v = (action[0] | 0x20) == 'd' && (action[1] | 0x20) == 'u' ?
		    POLICY_SVC_VERB_DUNNO : POLICY_SVC_VERB_DEFER;
		break;
	case 6:
		v = POLICY_SVC_VERB_REJECT;
		break;
	case 7:
		v = (action[0] | 0x20) == 'd' ? POLICY_SVC_VERB_DISCARD :
		    POLICY_SVC_VERB_PREPEND;
		break;
	case 15:
		v = (action[9] | 0x20) == 'p' ?
		    POLICY_SVC_VERB_DEFER_IF_PERMIT :
		    POLICY_SVC_VERB_DEFER_IF_REJECT;
		break;
	default:
		return POLICY_SVC_VERB_OTHER;
	}
	/* Then confirm it: Postfix reads action words in any case. */
	return strncasecmp(action, policy_verb_names[v], n) == 0 ? v :
	    POLICY_SVC_VERB_OTHER;
}

/* Roles and latency buckets */

_Static_assert(ENGINE_ROLE_INBOUND + 1 == POLICY_SVC_ROLES,
    "policy.h counts the roles of engine.h");

static const char *const policy_role_names[POLICY_SVC_ROLES] = {
	[ENGINE_ROLE_SUBMISSION] = "submission",
	[ENGINE_ROLE_RELAY] = "relay",
	[ENGINE_ROLE_INBOUND] = "inbound",
};

/* Upper bounds in microseconds; the last bucket is +Inf. */
static const uint64_t policy_lat_le_us[POLICY_SVC_LAT_BUCKETS - 1] = {
	25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000
};

const char *
policy_svc_role_name(unsigned role)
{
	return role < POLICY_SVC_ROLES ? policy_role_names[role] : "unknown";
}

uint64_t
policy_svc_latency_le_us(size_t i)
{
	return i < POLICY_SVC_LAT_BUCKETS - 1 ? policy_lat_le_us[i] :
	    UINT64_MAX;
}

size_t
policy_svc_latency_bucket(uint64_t us)
{
	size_t i;

	/* Twelve compares at most; most answers stop at the first two. */
	for (i = 0; i < POLICY_SVC_LAT_BUCKETS - 1; i++) {
		if (us <= policy_lat_le_us[i])
			return i;
	}
	return POLICY_SVC_LAT_BUCKETS - 1;
}

/* Connections */

static void
policy_conn_close(struct policy_conn *c)
{
	struct policy_svc *svc = c->svc;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		svc->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->wev != NULL)
		event_free(c->wev);
	close(c->fd);
	svc->buf_bytes -= c->in_cap + c->out_len;
	xfree(c->in);
	xfree(c->out);
	xfree(c);
	svc->st.conns_open--;
}

/*
 * policy_conn_fail - a request failed scan or parse: send the replies
 * already made for the requests before it, warn once, close.
 */
static void
policy_conn_fail(struct policy_conn *c, int rc, const struct policy_err *perr)
{
	struct policy_svc *svc = c->svc;
	char peer[PEER_MAX];

	if (svc->scratch_len > 0 && c->out == NULL)
		(void)send(c->fd, svc->scratch, svc->scratch_len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	svc->scratch_len = 0;
	if (rc == ERR_TOOBIG)
		svc->st.too_big++;
	else
		svc->st.malformed++;
	log_warn("policy: %s: %s at offset %llu; closing",
	    policy_conn_peer(c, peer, sizeof(peer)), perr->reason,
	    (unsigned long long)(c->stream_off + c->in_off + perr->offset));
	policy_conn_close(c);
}

/*
 * policy_log_decision - one line per answer that is not a plain DUNNO
 * (info), so the postmaster can grep who was refused and why; plain
 * answers only at debug level, since a busy relay answers thousands a
 * second.  The client address is the one Postfix reported.
 */
static void
policy_log_decision(const struct policy_req *req, const struct engine_verdict *v,
    const char *action)
{
	const struct policy_str *client = &req->attr[PA_CLIENT_ADDRESS];
	const struct policy_str *inst = &req->attr[PA_INSTANCE];
	const struct policy_str *state = &req->attr[PA_PROTOCOL_STATE];

#define PSTR(s) (int)((s)->ptr ? (s)->len : 0), ((s)->ptr ? (s)->ptr : "")
	if (v->rule[0] == '\0' && strcmp(action, "DUNNO") == 0)
		log_debug("policy: client=%.*s customer=%s instance=%.*s state=%.*s action=DUNNO",
		    PSTR(client), v->customer, PSTR(inst), PSTR(state));
	else
		log_info("policy: client=%.*s customer=%s instance=%.*s state=%.*s rule=%s action=%s",
		    PSTR(client), v->customer, PSTR(inst), PSTR(state),
		    v->rule[0] ? v->rule : "-", action);
#undef PSTR
}

/*
 * policy_conn_answer - judge one request and append the reply to the
 * scratch buffer, which always has REPLY_ROOM bytes free here.
 */
static void
policy_conn_answer(struct policy_svc *svc, const struct policy_req *req)
{
	struct engine_verdict v;
	const char *action = "DUNNO";
	char *out = svc->scratch + svc->scratch_len;
	size_t cap = svc->scratch_cap - svc->scratch_len;
	int64_t dt, start;
	enum policy_svc_verb verb;
	int n;

	start = clock_mono_us();
	if (svc->engine != NULL) {
		if (engine_judge(svc->engine, req, clock_now_us(), &v) < 0)
			svc->st.engine_errors++;
		dt = clock_mono_us() - start;
		svc->st.judge_us += (uint64_t)dt;
		/* The engine answers synchronously: count, do not cut short. */
		if (svc->lim.time_budget_ms != 0 &&
		    (uint64_t)dt > svc->lim.time_budget_ms * 1000)
			svc->st.over_budget++;
		action = v.action;
	}
	if ((n = policy_reply_format(out, cap, action)) < 0) {
		/* An empty or oversized action: never send a broken reply. */
		svc->st.engine_errors++;
		action = "DUNNO";
		if (svc->engine != NULL) {
			engine_default_verdict(svc->engine, &v);
			action = v.action;
		}
		if ((n = policy_reply_format(out, cap, action)) < 0) {
			action = "DUNNO";
			n = policy_reply_format(out, cap, action);
		}
	}
	svc->scratch_len += (size_t)n;
	svc->st.requests++;
	verb = policy_svc_verb_of(action);
	svc->st.by_verb[verb]++;
	if (svc->engine != NULL) {
		if ((unsigned)v.role < POLICY_SVC_ROLES)
			svc->st.by_role[v.role][verb]++;
		policy_log_decision(req, &v, action);
	}
	dt = clock_mono_us() - start;
	if (dt < 0)
		dt = 0;
	svc->st.lat[policy_svc_latency_bucket((uint64_t)dt)]++;
	svc->st.lat_us += (uint64_t)dt;
}

/*
 * policy_conn_flush - send the scratch buffer.  What the peer does not
 * take now is kept in c->out, and the connection waits for writability
 * instead of reading.  Returns 0, 1 when output is now pending, or -1
 * when the connection was closed.
 */
static int
policy_conn_flush(struct policy_conn *c)
{
	struct policy_svc *svc = c->svc;
	size_t len = svc->scratch_len;
	ssize_t n;
	char peer[PEER_MAX];

	if (len == 0)
		return 0;
	svc->scratch_len = 0;
	n = send(c->fd, svc->scratch, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n == (ssize_t)len)
		return 0;
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			if (errno != EPIPE && errno != ECONNRESET)
				log_warn("policy: %s: send: %s; closing",
				    policy_conn_peer(c, peer, sizeof(peer)),
				    strerror(errno));
			policy_conn_close(c);
			return -1;
		}
		n = 0;
	}
	if (c->wev == NULL &&
	    (c->wev = event_new(svc->base, c->fd, EV_WRITE | EV_PERSIST,
	    policy_conn_write_cb, c)) == NULL)
		goto nomem;
	if ((c->out = xmalloc(len - (size_t)n)) == NULL)
		goto nomem;
	memcpy(c->out, svc->scratch + n, len - (size_t)n);
	c->out_off = 0;
	c->out_len = len - (size_t)n;
	svc->buf_bytes += c->out_len;
	event_del(c->rev);
	event_add(c->wev, svc->idle_tv);
	return 1;
nomem:
	log_error("policy: %s: out of memory; closing",
	    policy_conn_peer(c, peer, sizeof(peer)));
	policy_conn_close(c);
	return -1;
}

/*
 * policy_conn_process - answer every complete request in the input
 * buffer, in order.  Returns 0, or -1 when the connection was closed.
 */
static int
policy_conn_process(struct policy_conn *c)
{
	struct policy_svc *svc = c->svc;
	struct policy_req req;
	struct policy_err perr;
	size_t req_len;
	int rc;

	while (c->out == NULL) {
		rc = policy_req_scan(c->in + c->in_off, c->in_len - c->in_off,
		    &req_len, &perr);
		if (rc == ERR_AGAIN)
			break;
		if (rc == 0)
			rc = policy_req_parse(c->in + c->in_off, req_len, &req,
			    &perr);
		if (rc != 0) {
			policy_conn_fail(c, rc, &perr);
			return -1;
		}
		policy_conn_answer(svc, &req);
		c->in_off += req_len;
		if (svc->scratch_len > OUT_HIGH &&
		    (rc = policy_conn_flush(c)) != 0)
			return rc < 0 ? -1 : 0;
	}
	if (c->line_start < c->in_off)
		c->line_start = c->in_off;
	if (c->in_off == c->in_len) {
		c->stream_off += c->in_len;
		c->in_off = c->in_len = c->line_start = 0;
		/* Give back what a large request needed. */
		if (c->in_cap > IN_INIT) {
			char *p = xrealloc(c->in, IN_INIT);

			if (p != NULL) {
				svc->buf_bytes -= c->in_cap - IN_INIT;
				c->in = p;
				c->in_cap = IN_INIT;
			}
		}
	}
	return policy_conn_flush(c) < 0 ? -1 : 0;
}

/*
 * policy_empty_line_at - is the '\n' at in[i] the end of an empty line?
 * A line starts at c->in_off (a request boundary) or after a '\n'; an
 * empty line is a '\n', or "\r\n", right there.
 */
static inline bool
policy_empty_line_at(const struct policy_conn *c, size_t i)
{
	const char *in = c->in;

	return i == c->in_off || in[i - 1] == '\n' ||
	    (in[i - 1] == '\r' && (i - 1 == c->in_off || in[i - 2] == '\n'));
}

/*
 * policy_conn_complete - could the bytes from "from" on have completed a
 * request, or pushed one over a limit?  Only then is it worth a scan.
 * Also keeps c->line_start, the start of the unfinished line (a hint
 * that may lag behind, which only costs a scan that finds nothing).
 */
static bool
policy_conn_complete(struct policy_conn *c, size_t from)
{
	const char *in = c->in;
	const char *p = in + from, *end = in + c->in_len, *nl;
	bool found = false;

	/*
	 * The usual case first: the read ends with an empty line, as when
	 * Postfix writes a whole request and waits.  Every byte then
	 * belongs to a complete request: no need to walk the lines here.
	 */
	if (in[c->in_len - 1] == '\n' &&
	    policy_empty_line_at(c, c->in_len - 1)) {
		c->line_start = c->in_len;
		return true;
	}
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (policy_empty_line_at(c, (size_t)(nl - in)))
			found = true;
		c->line_start = (size_t)(nl - in) + 1;
		p = nl + 1;
	}
	return found || c->in_len - c->in_off >= POLICY_REQ_MAX ||
	    c->in_len - c->line_start > POLICY_LINE_MAX;
}

/*
 * policy_conn_room - make room to read: drop answered bytes, then grow.
 * Returns 0, or -1 when the connection was closed.
 */
static int
policy_conn_room(struct policy_conn *c)
{
	struct policy_svc *svc = c->svc;
	size_t cap;
	char *p, peer[PEER_MAX];

	if (c->in_cap - c->in_len >= READ_MIN)
		return 0;
	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->stream_off += c->in_off;
		c->in_len -= c->in_off;
		c->line_start -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_len < c->in_cap)
		return 0;
	/*
	 * Full: the unanswered request is shorter than IN_MAX, or scan
	 * would have failed it, so the buffer is still below IN_MAX.
	 */
	cap = c->in_cap * 2 > IN_MAX ? IN_MAX : c->in_cap * 2;
	if (cap <= c->in_cap) {
		log_error("policy: %s: input buffer full at %zu bytes; closing",
		    policy_conn_peer(c, peer, sizeof(peer)), c->in_cap);
		policy_conn_close(c);
		return -1;
	}
	if (svc->buf_bytes + (cap - c->in_cap) > svc->lim.buf_max) {
		svc->st.conns_refused++;
		log_warn("policy: %s: buffers of all connections at limit "
		    "(%zu bytes); closing", policy_conn_peer(c, peer,
		    sizeof(peer)), svc->lim.buf_max);
		policy_conn_close(c);
		return -1;
	}
	if ((p = xrealloc(c->in, cap)) == NULL) {
		log_error("policy: %s: out of memory; closing",
		    policy_conn_peer(c, peer, sizeof(peer)));
		policy_conn_close(c);
		return -1;
	}
	svc->buf_bytes += cap - c->in_cap;
	c->in = p;
	c->in_cap = cap;
	return 0;
}

static void
policy_conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policy_conn *c = arg;
	struct policy_svc *svc = c->svc;
	char peer[PEER_MAX];
	size_t from;
	ssize_t n;

	if (what & EV_TIMEOUT) {
		svc->st.conns_timed_out++;
		log_debug("policy: %s: idle for %us; closing",
		    policy_conn_peer(c, peer, sizeof(peer)),
		    svc->lim.idle_timeout_s);
		policy_conn_close(c);
		return;
	}
	if (policy_conn_room(c) != 0)
		return;
	n = recv(fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
	if (n > 0) {
		from = c->in_len;
		c->in_len += (size_t)n;
		if (policy_conn_complete(c, from))
			(void)policy_conn_process(c);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n == 0 && c->in_len > c->in_off)
		log_warn("policy: %s: connection closed inside a request "
		    "at offset %llu",
		    policy_conn_peer(c, peer, sizeof(peer)),
		    (unsigned long long)(c->stream_off + c->in_len));
	else if (n < 0 && errno != ECONNRESET)
		log_warn("policy: %s: recv: %s; closing",
		    policy_conn_peer(c, peer, sizeof(peer)), strerror(errno));
	policy_conn_close(c);
}

static void
policy_conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policy_conn *c = arg;
	struct policy_svc *svc = c->svc;
	char peer[PEER_MAX];
	ssize_t n;

	if (what & EV_TIMEOUT) {
		svc->st.conns_timed_out++;
		log_debug("policy: %s: reply not taken for %us; closing",
		    policy_conn_peer(c, peer, sizeof(peer)),
		    svc->lim.idle_timeout_s);
		policy_conn_close(c);
		return;
	}
	n = send(fd, c->out + c->out_off, c->out_len - c->out_off,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (errno != EPIPE && errno != ECONNRESET)
			log_warn("policy: %s: send: %s; closing",
			    policy_conn_peer(c, peer, sizeof(peer)),
			    strerror(errno));
		policy_conn_close(c);
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off < c->out_len)
		return;
	svc->buf_bytes -= c->out_len;
	xfree(c->out);
	c->out = NULL;
	c->out_off = c->out_len = 0;
	event_del(c->wev);
	event_add(c->rev, svc->idle_tv);
	/* Requests that arrived with the ones just answered. */
	(void)policy_conn_process(c);
}

/* policy_refuse - close an accepted connection we cannot serve. */
static void
policy_refuse(struct policy_svc *svc, int fd, const struct sockaddr *sa,
    const struct policy_listen *lis, const char *why)
{
	char peer[PEER_MAX];

	close(fd);
	svc->st.conns_refused++;
	if (!policy_log_ok(&svc->refuse_log_us)) {
		svc->refuse_unlogged++;
		return;
	}
	if (policy_listen_is_unix(lis))
		snprintf(peer, sizeof(peer), "%s", policy_listen_name(lis));
	else
		policy_listen_format_addr(sa, peer, sizeof(peer));
	if (svc->refuse_unlogged > 0)
		log_warn("policy: %s: %s; closing (and %llu more since the "
		    "last warning)", peer, why,
		    (unsigned long long)svc->refuse_unlogged);
	else
		log_warn("policy: %s: %s; closing", peer, why);
	svc->refuse_unlogged = 0;
}

/* policy_conn_new - the accept callback: a connection for fd, or none. */
static void
policy_conn_new(void *arg, const struct policy_listen *lis, int fd,
    const struct sockaddr *sa, socklen_t salen)
{
	struct policy_svc *svc = arg;
	struct policy_conn *c;
	char why[96];
	int one = 1;

	if (svc->st.conns_open >= svc->lim.conn_max) {
		snprintf(why, sizeof(why), "too many connections (%u open)",
		    svc->lim.conn_max);
		policy_refuse(svc, fd, sa, lis, why);
		return;
	}
	if (svc->buf_bytes + IN_INIT > svc->lim.buf_max) {
		policy_refuse(svc, fd, sa, lis,
		    "buffers of all connections at limit");
		return;
	}
	if ((c = xcalloc(1, sizeof(*c))) == NULL ||
	    (c->in = xmalloc(IN_INIT)) == NULL ||
	    (c->rev = event_new(svc->base, fd, EV_READ | EV_PERSIST,
	    policy_conn_read_cb, c)) == NULL) {
		if (c != NULL)
			xfree(c->in);
		xfree(c);
		policy_refuse(svc, fd, sa, lis,
		    "out of memory");
		return;
	}
	/* One reply per send(): do not let Nagle hold the next one back. */
	if (!policy_listen_is_unix(lis))
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	c->svc = svc;
	c->lis = lis;
	c->fd = fd;
	c->in_cap = IN_INIT;
	memcpy(&c->peer, sa, salen);
	c->peer_len = salen;
	if (event_add(c->rev, svc->idle_tv) != 0) {
		event_free(c->rev);
		xfree(c->in);
		xfree(c);
		policy_refuse(svc, fd, sa, lis,
		    "cannot add an event");
		return;
	}
	c->next = svc->conns;
	if (svc->conns != NULL)
		svc->conns->prev = c;
	svc->conns = c;
	svc->buf_bytes += IN_INIT;
	svc->st.conns_open++;
	svc->st.conns_accepted++;
}

int
policy_svc_listen(struct policy_svc *svc, const char *addr, char *err,
    size_t errcap)
{
	unsigned port;
	int rc;

	if ((rc = policy_listen_add(svc->listeners, addr, &port, err,
	    errcap)) == 0)
		svc->last_port = port;
	return rc;
}

unsigned
policy_svc_port(const struct policy_svc *svc)
{
	return svc->last_port;
}

/* The service */

void
policy_svc_set_limits(struct policy_svc *svc,
    const struct policy_svc_limits *limits)
{
	struct timeval tv;
	const struct timeval *common;

	svc->lim = *limits;
	if (svc->lim.conn_max == 0)
		svc->lim.conn_max = POLICY_SVC_CONN_MAX;
	if (svc->lim.idle_timeout_s == 0)
		svc->lim.idle_timeout_s = POLICY_SVC_IDLE_TIMEOUT_S;
	if (svc->lim.buf_max == 0)
		svc->lim.buf_max = POLICY_SVC_BUF_MAX;
	tv.tv_sec = svc->lim.idle_timeout_s;
	tv.tv_usec = 0;
	/* Falls back to a plain timeout if libevent has no slot left. */
	common = event_base_init_common_timeout(svc->base, &tv);
	if (common != NULL)
		svc->idle_tv = common;
	else {
		svc->idle_plain = tv;
		svc->idle_tv = &svc->idle_plain;
	}
}

struct policy_svc *
policy_svc_new(struct event_base *base, struct engine *engine, char *err,
    size_t errcap)
{
	struct policy_svc *svc;
	struct policy_svc_limits lim;

	if ((svc = xcalloc(1, sizeof(*svc))) == NULL)
		goto nomem;
	svc->base = base;
	svc->engine = engine;
	svc->scratch_cap = OUT_HIGH + REPLY_ROOM;
	if ((svc->scratch = xmalloc(svc->scratch_cap)) == NULL ||
	    (svc->listeners = policy_listen_set_new(base, policy_conn_new,
	    svc)) == NULL)
		goto nomem;
	memset(&lim, 0, sizeof(lim));
	policy_svc_set_limits(svc, &lim);
	if (svc->idle_tv == NULL)
		goto nomem;
	return svc;
nomem:
	err_fmt(err, errcap, "out of memory");
	policy_svc_free(svc);
	return NULL;
}

void
policy_svc_set_engine(struct policy_svc *svc, struct engine *engine)
{
	svc->engine = engine;
}

void
policy_svc_stats(const struct policy_svc *svc, struct policy_svc_stats *out)
{
	*out = svc->st;
}

void
policy_svc_free(struct policy_svc *svc)
{
	if (svc == NULL)
		return;
	policy_listen_set_free(svc->listeners);
	while (svc->conns != NULL)
		policy_conn_close(svc->conns);
	xfree(svc->scratch);
	xfree(svc);
}
