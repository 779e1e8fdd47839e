/*
 * store_redis.c - the Redis state backend (store_redis.h): limits and
 * open incidents shared by every relay that names the same Redis (or
 * Redis Cluster) and prefix.  The only file that includes hiredis.
 *
 * One Lua script, loaded with SCRIPT LOAD on every connection and called
 * with EVALSHA (reloaded on NOSCRIPT, e.g. after a Redis restart), does
 * every limit operation on exactly one key, atomically:
 *
 *   w   window: a hash of slot number -> count.  The slots are limit.c's
 *       16 slots of ceil(P/15), numbered from the epoch (the number is
 *       computed here from the relay's clock, so the script never
 *       divides); slots 16 or more behind the current one are deleted,
 *       the rest summed, and the event committed into the current slot
 *       unless it would go over (or always, for a warn limit).
 *       PEXPIRE: 16 slots + 1 s.
 *   b   bucket: a hash of level l (tokens x P in us, as limit.c keeps
 *       it) and last refill t; refilled at N per us, full at first.
 *       Exact while B x P(us) < 2^53 (Lua numbers are doubles: burst
 *       2,500,000 at 1h); beyond that it rounds.  PEXPIRE: refill time.
 *   d   distinct: a sorted set of item fingerprints scored by the time
 *       last seen; items older than P are dropped, at most N + 1 kept.
 *   uw, ub, ud   undo a committed w, b or d event (a request refused by
 *       another limit after all).
 *   di  delete an incident key if it still holds the value given.
 * Incidents are plain GET and SET.  Every call names one key, so it is
 * single-slot in a Cluster.
 *
 * Times: each relay passes its own clock (CLOCK_REALTIME, in the
 * engine's now_us), so the relays' clocks must agree (NTP); a skew of d
 * moves a window's slot boundaries by d, never its length.
 *
 * Cluster: hiredis 0.14 has no Cluster support, so this file follows
 * redirects itself, simply: commands go to the node that owns the
 * key's slot as far as MOVED replies have told (at first: the server
 * connected to); a MOVED reply re-sends that command to the named node
 * (connecting to it, up to STORE_REDIS_NODES_MAX nodes) and remembers
 * the slot; an ASK reply sends ASKING and the command there once.  No
 * CLUSTER SLOTS discovery: the map is learnt from redirects, one round
 * trip extra per slot the first time.  A failed node is a failure of the
 * backend (local state), like a single Redis being down, until the tick
 * reconnects; servers are tried in their configured order.
 *
 * Memory: one redisContext per node (hiredis buffers, a few KiB), the
 * slot map (16 KiB) once a redirect happened, pending incident writes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/hostport.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "store/store_redis.h"

#define REDIS_ARGS 12
#define REDIS_NUM 24
#define REDIS_NO_NODE 0xff
#define REDIS_TTL_MAX_MS (400LL * 86400 * 1000)	/* a key's longest life */

static const char redis_script[] =
    "local k, op = KEYS[1], ARGV[1]\n"
    "local function fmt(x) return string.format('%.0f', x) end\n"
    "if op == 'w' then\n"
    "  local cur, n, w = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "  local h = redis.call('HGETALL', k)\n"
    "  local sum = 0\n"
    "  for i = 1, #h, 2 do\n"
    "    if tonumber(h[i]) <= cur - 16 then redis.call('HDEL', k, h[i])\n"
    "    else sum = sum + tonumber(h[i + 1]) end\n"
    "  end\n"
    "  local over\n"
    "  if w == 0 then over = sum >= n else over = w > n or sum > n - w end\n"
    "  if w > 0 and (not over or ARGV[5] == '1') then\n"
    "    redis.call('HINCRBY', k, ARGV[2], ARGV[4])\n"
    "    redis.call('PEXPIRE', k, ARGV[6])\n"
    "    return {over and 1 or 0, 1}\n"
    "  end\n"
    "  return {over and 1 or 0, 0}\n"
    "elseif op == 'uw' then\n"
    "  local v = redis.call('HGET', k, ARGV[2])\n"
    "  if v then\n"
    "    local r = tonumber(v) - tonumber(ARGV[3])\n"
    "    if r > 0 then redis.call('HSET', k, ARGV[2], fmt(r))\n"
    "    else redis.call('HDEL', k, ARGV[2]) end\n"
    "  end\n"
    "  return 0\n"
    "elseif op == 'b' or op == 'ub' then\n"
    "  local now, n, p, b = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])\n"
    "  local w = tonumber(ARGV[6])\n"
    "  local cap = b * p\n"
    "  local v = redis.call('HMGET', k, 'l', 't')\n"
    "  local level, t = cap, now\n"
    "  if v[1] then\n"
    "    level, t = tonumber(v[1]), tonumber(v[2])\n"
    "    if now > t and level < cap then\n"
    "      local dt = now - t\n"
    "      if dt >= math.ceil((cap - level) / n) then level = cap\n"
    "      else level = level + dt * n end\n"
    "    end\n"
    "    if level > cap then level = cap end\n"
    "    if now > t then t = now end\n"
    "  end\n"
    "  local over, c = false, 0\n"
    "  if op == 'ub' then\n"
    "    level = level + w * p\n"
    "    if level > cap then level = cap end\n"
    "  else\n"
    "    local ww = w\n"
    "    if ww == 0 then ww = 1 end\n"
    "    over = ww * p > level\n"
    "    if w > 0 and (not over or ARGV[7] == '1') then\n"
    "      level = level - w * p\n"
    "      if level < 0 then level = 0 end\n"
    "      c = 1\n"
    "    end\n"
    "  end\n"
    "  redis.call('HSET', k, 'l', fmt(level), 't', fmt(t))\n"
    "  redis.call('PEXPIRE', k, ARGV[8])\n"
    "  return {over and 1 or 0, c}\n"
    "elseif op == 'd' then\n"
    "  local w, n = tonumber(ARGV[6]), tonumber(ARGV[4])\n"
    "  redis.call('ZREMRANGEBYSCORE', k, '-inf', fmt(tonumber(ARGV[2]) - tonumber(ARGV[3])))\n"
    "  if redis.call('ZSCORE', k, ARGV[5]) then\n"
    "    if w > 0 then\n"
    "      redis.call('ZADD', k, ARGV[2], ARGV[5])\n"
    "      redis.call('PEXPIRE', k, ARGV[8])\n"
    "      return {0, 1, 0}\n"
    "    end\n"
    "    return {0, 0, 0}\n"
    "  end\n"
    "  local over = redis.call('ZCARD', k) >= n\n"
    "  if w > 0 and (not over or ARGV[7] == '1') then\n"
    "    redis.call('ZADD', k, ARGV[2], ARGV[5])\n"
    "    redis.call('ZREMRANGEBYRANK', k, 0, -(n + 2))\n"
    "    redis.call('PEXPIRE', k, ARGV[8])\n"
    "    return {over and 1 or 0, 1, 1}\n"
    "  end\n"
    "  return {over and 1 or 0, 0, 0}\n"
    "elseif op == 'ud' then\n"
    "  local s = redis.call('ZSCORE', k, ARGV[3])\n"
    "  if s and tonumber(s) == tonumber(ARGV[2]) then redis.call('ZREM', k, ARGV[3]) end\n"
    "  return 0\n"
    "elseif op == 'di' then\n"
    "  if redis.call('GET', k) == ARGV[2] then redis.call('DEL', k) end\n"
    "  return 0\n"
    "end\n"
    "return redis.error_reply('relayguard: unknown operation')\n";

struct redis_node {
	char addr[128];			/* "host:port" or "unix:/path" */
	redisContext *c;		/* owned; NULL: not connected */
};

/* One command's arguments and the storage they point into. */
struct redis_cmd {
	const char *argv[REDIS_ARGS];
	size_t len[REDIS_ARGS];
	int argc;
	char key[SHARED_KEY_MAX];
	size_t klen;
	char num[REDIS_ARGS][REDIS_NUM];
	char val[SHARED_INCIDENT_TEXT_MAX];
};

struct redis_pending {
	char *customer;			/* owned */
	struct shared_incident inc;
	bool del;
};

struct store_redis {
	char *prefix;			/* owned */
	struct timeval tv;
	struct conf_strv servers;	/* owned copies */
	struct redis_node nodes[STORE_REDIS_NODES_MAX];
	size_t n_nodes;
	uint8_t *slots;			/* owned, SHARED_SLOTS node indexes; NULL: no redirect yet */
	size_t home;			/* the node of servers[] connected to */
	bool up;
	bool said;			/* the state was logged once */
	int64_t retry_mono_us;
	char sha[48];
	char node[SHARED_NODE_MAX];	/* this relay's name */
	char where[128];		/* the node of the last failure or success */
	struct redis_pending *pend;	/* owned, n_pend of them */
	size_t n_pend;
	struct store_redis_stats st;
	uint8_t *op_node;		/* owned scratch: node per op, cap_ops */
	redisReply **rep;		/* owned scratch: replies, cap_ops */
	size_t cap_ops;
	struct redis_cmd cmd;		/* scratch */
};

/* ------------------------------------------------------------ connection */

static void
redis_node_close(struct redis_node *n)
{
	if (n->c != NULL)
		redisFree(n->c);
	n->c = NULL;
}

static void
redis_close_all(struct store_redis *sr)
{
	size_t i;

	for (i = 0; i < sr->n_nodes; i++)
		redis_node_close(&sr->nodes[i]);
}

/*
 * Split "host:port", "[v6]:port" or "unix:/path" into what hiredis
 * wants.  Returns 0, or ERR_INVAL.
 */
static int
redis_addr_split(const char *addr, char *host, size_t cap, int *port,
    bool *unix_sock)
{
	unsigned p;

	*unix_sock = strncmp(addr, "unix:", 5) == 0;
	if (*unix_sock) {
		if (addr[5] == '\0' || strlen(addr + 5) >= cap)
			return ERR_INVAL;
		snprintf(host, cap, "%s", addr + 5);
		*port = 0;
		return 0;
	}
	if (hostport_split(addr, host, cap, &p) != 0 || host[0] == '\0')
		return ERR_INVAL;
	*port = (int)p;
	return 0;
}

/* SCRIPT LOAD on node n (connected, nothing in flight). */
static bool
redis_script_load(struct store_redis *sr, struct redis_node *n, char *why,
    size_t cap)
{
	redisReply *r = redisCommand(n->c, "SCRIPT LOAD %b", redis_script,
	    sizeof(redis_script) - 1);

	if (r == NULL || r->type != REDIS_REPLY_STRING || r->len >= sizeof(sr->sha)) {
		snprintf(why, cap, "SCRIPT LOAD: %s", r == NULL ? n->c->errstr :
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		if (r != NULL)
			freeReplyObject(r);
		return false;
	}
	memcpy(sr->sha, r->str, r->len);
	sr->sha[r->len] = '\0';
	freeReplyObject(r);
	return true;
}

/* Connect node n and load the script; false with why on failure. */
static bool
redis_node_open(struct store_redis *sr, struct redis_node *n, char *why,
    size_t cap)
{
	char host[128];
	bool unix_sock;
	int port;

	redis_node_close(n);
	if (redis_addr_split(n->addr, host, sizeof(host), &port,
	    &unix_sock) != 0) {
		snprintf(why, cap, "bad address");
		return false;
	}
	n->c = unix_sock ? redisConnectUnixWithTimeout(host, sr->tv) :
	    redisConnectWithTimeout(host, port, sr->tv);
	if (n->c == NULL) {
		snprintf(why, cap, "%s", err_str(ERR_NOMEM));
		return false;
	}
	if (n->c->err != 0 || redisSetTimeout(n->c, sr->tv) != REDIS_OK) {
		snprintf(why, cap, "%s", n->c->errstr[0] ? n->c->errstr :
		    "connect failed");
		redis_node_close(n);
		return false;
	}
	if (!redis_script_load(sr, n, why, cap)) {
		redis_node_close(n);
		return false;
	}
	return true;
}

/* The index of the node at addr, added (not connected) if new. */
static int
redis_node_find(struct store_redis *sr, const char *addr, size_t len)
{
	size_t i;

	for (i = 0; i < sr->n_nodes; i++) {
		if (strlen(sr->nodes[i].addr) == len &&
		    memcmp(sr->nodes[i].addr, addr, len) == 0)
			return (int)i;
	}
	if (sr->n_nodes == STORE_REDIS_NODES_MAX ||
	    len >= sizeof(sr->nodes[0].addr))
		return -1;
	memcpy(sr->nodes[sr->n_nodes].addr, addr, len);
	sr->nodes[sr->n_nodes].addr[len] = '\0';
	sr->nodes[sr->n_nodes].c = NULL;
	return (int)sr->n_nodes++;
}

/* Going down: close everything, log once, wait before the next try. */
static void
redis_down(struct store_redis *sr, const char *where, const char *why)
{
	char text[256];

	/* Both may point into a context about to be freed. */
	snprintf(text, sizeof(text), "%s", why != NULL && why[0] ? why :
	    "connection lost");
	if (where != sr->where)
		snprintf(sr->where, sizeof(sr->where), "%s", where);
	sr->st.errors++;
	redis_close_all(sr);
	sr->retry_mono_us = clock_mono_us() + STORE_REDIS_RETRY_MS * 1000LL;
	if (sr->up || !sr->said)
		log_error("state: redis %s unreachable (%s); using local state",
		    sr->where, text);
	sr->up = false;
	sr->said = true;
}

/* Try the servers in order; true when one answered. */
static bool
redis_connect(struct store_redis *sr)
{
	char why[256] = "no server";
	const char *where = sr->servers.n > 0 ? sr->servers.v[0] : "?";
	size_t i;
	int k;

	redis_close_all(sr);
	/*
	 * Learn the cluster afresh: after a failover the slot map points at
	 * the dead master, and nodes named by old redirects would fill
	 * nodes[] until a new one no longer fits.
	 */
	sr->n_nodes = 0;
	if (sr->slots != NULL)
		memset(sr->slots, REDIS_NO_NODE, SHARED_SLOTS);
	for (i = 0; i < sr->servers.n; i++) {
		k = redis_node_find(sr, sr->servers.v[i], strlen(sr->servers.v[i]));
		if (k < 0)
			continue;
		if (redis_node_open(sr, &sr->nodes[k], why, sizeof(why))) {
			sr->home = (size_t)k;
			sr->st.connects++;
			snprintf(sr->where, sizeof(sr->where), "%s",
			    sr->nodes[k].addr);
			if (!sr->said)
				log_info("state: redis %s connected; limits and "
				    "incidents are shared", sr->where);
			else
				log_info("state: redis %s reachable again; limits "
				    "and incidents are shared", sr->where);
			sr->up = true;
			sr->said = true;
			return true;
		}
		where = sr->servers.v[i];
		if (i + 1 < sr->servers.n && (sr->up || !sr->said))
			log_warn("state: redis %s: %s; trying %s", where, why,
			    sr->servers.v[i + 1]);
	}
	/* Logged only at start-up: down already, this is no change. */
	redis_down(sr, where, why);
	return false;
}

/* The node that owns key (by the slot map once there is one). */
static int
redis_node_for(struct store_redis *sr, const char *key, size_t len)
{
	uint8_t k;

	if (sr->slots == NULL)
		return (int)sr->home;
	k = sr->slots[shared_key_slot(key, len)];
	return k == REDIS_NO_NODE ? (int)sr->home : k;
}

/* Connect node k if it is not; false (and down) on failure. */
static bool
redis_node_ready(struct store_redis *sr, int k)
{
	char why[256];

	if (sr->nodes[k].c != NULL)
		return true;
	if (redis_node_open(sr, &sr->nodes[k], why, sizeof(why)))
		return true;
	redis_down(sr, sr->nodes[k].addr, why);
	return false;
}

/* ------------------------------------------------------------ commands */

static const char *
redis_num(struct redis_cmd *c, int i, int64_t v)
{
	snprintf(c->num[i], REDIS_NUM, "%" PRId64, v);
	return c->num[i];
}

static void
redis_arg(struct redis_cmd *c, const char *p, size_t len)
{
	c->argv[c->argc] = p;
	c->len[c->argc] = len;
	c->argc++;
}

static void
redis_arg_num(struct redis_cmd *c, int64_t v)
{
	const char *p = redis_num(c, c->argc, v);

	redis_arg(c, p, strlen(p));
}

static int64_t
redis_clamp(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

/*
 * The EVALSHA of op at now_us (undo: give it back instead) into c.
 * Returns 0 or ERR_TOOBIG (key too long).
 */
static int
redis_build_op(struct store_redis *sr, struct redis_cmd *c,
    const struct shared_op *op, int64_t now_us, bool undo)
{
	static const char *const ops[2][3] = { { "w", "b", "d" },
	    { "uw", "ub", "ud" } };
	int64_t p_us = redis_clamp(op->period_ms) * 1000;
	/* The engine's idle time (limit_idle_us), and a second to spare. */
	int64_t ttl_ms = op->idle_ms <= 0 || op->idle_ms > REDIS_TTL_MAX_MS -
	    1000 ? REDIS_TTL_MAX_MS : op->idle_ms + 1000;
	int kl;

	if ((kl = shared_key_limit(c->key, sizeof(c->key), sr->prefix, op)) < 0)
		return kl;
	c->klen = (size_t)kl;
	c->argc = 0;
	redis_arg(c, "EVALSHA", 7);
	redis_arg(c, sr->sha, strlen(sr->sha));
	redis_arg(c, "1", 1);
	redis_arg(c, c->key, c->klen);
	redis_arg(c, ops[undo][op->kind < 3 ? op->kind : 0],
	    strlen(ops[undo][op->kind < 3 ? op->kind : 0]));
	switch (op->kind) {
	case SHARED_WINDOW:
		if (undo) {
			redis_arg_num(c, op->undo);
			redis_arg_num(c, redis_clamp(op->w));
			break;
		}
		redis_arg_num(c, shared_window_slot(op->slot_us, now_us));
		redis_arg_num(c, redis_clamp(op->count));
		redis_arg_num(c, redis_clamp(op->w));
		redis_arg(c, op->commit_over ? "1" : "0", 1);
		redis_arg_num(c, ttl_ms);
		break;
	case SHARED_BUCKET:
		redis_arg_num(c, now_us);
		redis_arg_num(c, redis_clamp(op->count));
		redis_arg_num(c, p_us);
		redis_arg_num(c, redis_clamp(op->burst));
		redis_arg_num(c, redis_clamp(op->w));
		redis_arg(c, op->commit_over ? "1" : "0", 1);
		redis_arg_num(c, ttl_ms);
		break;
	default:
		if (undo) {
			redis_arg_num(c, now_us);
			redis_arg_num(c, op->fp);
			break;
		}
		redis_arg_num(c, now_us);
		redis_arg_num(c, p_us);
		redis_arg_num(c, redis_clamp(op->count));
		redis_arg_num(c, op->fp);
		redis_arg_num(c, redis_clamp(op->w));
		redis_arg(c, op->commit_over ? "1" : "0", 1);
		redis_arg_num(c, ttl_ms);
		break;
	}
	return 0;
}

/* The GET of customer's incident into c. */
static int
redis_build_get(struct store_redis *sr, struct redis_cmd *c, const char *customer)
{
	int kl = shared_key_incident(c->key, sizeof(c->key), sr->prefix,
	    customer, strlen(customer));

	if (kl < 0)
		return kl;
	c->klen = (size_t)kl;
	c->argc = 0;
	redis_arg(c, "GET", 3);
	redis_arg(c, c->key, c->klen);
	return 0;
}

/* Is r the error reply "WORD ..."? */
static bool
redis_err_is(const redisReply *r, const char *word)
{
	size_t n = strlen(word);

	return r->type == REDIS_REPLY_ERROR && r->len > n &&
	    memcmp(r->str, word, n) == 0 && r->str[n] == ' ';
}

/*
 * An error reply that says the node cannot serve anything now (loading,
 * busy with a script, the cluster down, a replica, out of memory or
 * unable to persist): the backend goes down until the next try.
 */
static bool
redis_node_unusable(const char *err)
{
	static const char *const words[] = { "LOADING ", "BUSY ",
		"CLUSTERDOWN ", "TRYAGAIN ", "MASTERDOWN ", "READONLY ",
		"NOREPLICAS ", "MISCONF ", "OOM " };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strncmp(err, words[i], strlen(words[i])) == 0)
			return true;
	}
	return false;
}

/*
 * Send c to node k and read its reply, synchronously, following one
 * MOVED or ASK and reloading the script on NOSCRIPT.  Returns the reply
 * (the caller frees it) or NULL: the backend down, or (an error reply
 * about this command only) just this command failed.
 */
static redisReply *
redis_call(struct store_redis *sr, struct redis_cmd *c, int k, int hops);

/*
 * A reply that may be a redirect or NOSCRIPT: deal with it.  Takes r;
 * returns the final reply or NULL (down).
 */
static redisReply *
redis_settle(struct store_redis *sr, struct redis_cmd *c, int k, redisReply *r,
    int hops)
{
	const char *sp, *addr, *last;
	char why[256], v6[128 + 3];	/* redis_node.addr, bracketed */
	redisReply *a;
	bool ask;
	long slot;
	int t;

	if (r->type != REDIS_REPLY_ERROR)
		return r;
	if (redis_err_is(r, "NOSCRIPT") && hops < 2) {
		/* SCRIPT FLUSH, or a replica promoted: load it again. */
		freeReplyObject(r);
		if (!redis_script_load(sr, &sr->nodes[k], why, sizeof(why))) {
			redis_down(sr, sr->nodes[k].addr, why);
			return NULL;
		}
		c->argv[1] = sr->sha;
		return redis_call(sr, c, k, hops + 1);
	}
	ask = redis_err_is(r, "ASK");
	if ((ask || redis_err_is(r, "MOVED")) && hops < 3) {
		/* "MOVED 3999 127.0.0.1:6381" (cluster spec). */
		slot = strtol(r->str + (ask ? 4 : 6), NULL, 10);
		sp = strchr(r->str + (ask ? 4 : 6), ' ');
		if (sp == NULL || slot < 0 || slot >= SHARED_SLOTS) {
			redis_down(sr, sr->nodes[k].addr, r->str);
			freeReplyObject(r);
			return NULL;
		}
		addr = sp + 1;
		/*
		 * Redis writes an IPv6 node unbracketed ("2001:db8::7:6381"):
		 * bracket it, the form the configured servers use.
		 */
		if ((last = strrchr(addr, ':')) != NULL && last != addr &&
		    memchr(addr, ':', (size_t)(last - addr)) != NULL &&
		    addr[0] != '[') {
			snprintf(v6, sizeof(v6), "[%.*s]%s", (int)(last - addr),
			    addr, last);
			addr = v6;
		}
		t = redis_node_find(sr, addr, strlen(addr));
		if (t < 0) {
			redis_down(sr, sr->nodes[k].addr, "too many cluster nodes");
			freeReplyObject(r);
			return NULL;
		}
		freeReplyObject(r);
		sr->st.redirects++;
		if (!redis_node_ready(sr, t))
			return NULL;
		if (!ask) {
			if (sr->slots == NULL) {
				if ((sr->slots = xmalloc(SHARED_SLOTS)) == NULL) {
					redis_down(sr, sr->nodes[t].addr,
					    err_str(ERR_NOMEM));
					return NULL;
				}
				memset(sr->slots, REDIS_NO_NODE, SHARED_SLOTS);
			}
			sr->slots[slot] = (uint8_t)t;
			return redis_call(sr, c, t, hops + 1);
		}
		a = redisCommand(sr->nodes[t].c, "ASKING");
		if (a == NULL) {
			redis_down(sr, sr->nodes[t].addr, sr->nodes[t].c->errstr);
			return NULL;
		}
		freeReplyObject(a);
		return redis_call(sr, c, t, hops + 1);
	}
	snprintf(why, sizeof(why), "%.*s", (int)r->len, r->str);
	freeReplyObject(r);
	if (redis_node_unusable(why)) {
		redis_down(sr, sr->nodes[k].addr, why);
		return NULL;
	}
	/*
	 * A key holding something else (WRONGTYPE), a script error: this
	 * request is judged locally, every other key is still shared.
	 */
	sr->st.errors++;
	if (sr->st.errors % 1000 == 1)
		log_warn("state: redis %s: %s (request judged locally; %llu "
		    "errors so far)", sr->nodes[k].addr, why,
		    (unsigned long long)sr->st.errors);
	return NULL;
}

static redisReply *
redis_call(struct store_redis *sr, struct redis_cmd *c, int k, int hops)
{
	void *r = NULL;

	if (!redis_node_ready(sr, k))
		return NULL;
	if (redisAppendCommandArgv(sr->nodes[k].c, c->argc, c->argv,
	    c->len) != REDIS_OK || redisGetReply(sr->nodes[k].c, &r) != REDIS_OK ||
	    r == NULL) {
		redis_down(sr, sr->nodes[k].addr, sr->nodes[k].c->errstr[0] ?
		    sr->nodes[k].c->errstr : "no reply");
		return NULL;
	}
	return redis_settle(sr, c, k, r, hops);
}

/* The script's answer {over, committed[, new]} into op. */
static bool
redis_op_result(const redisReply *r, struct shared_op *op, int64_t now_us)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_INTEGER)
		return false;
	op->over = r->element[0]->integer != 0;
	op->committed = r->element[1]->integer != 0;
	op->undo = 0;
	if (op->kind == SHARED_WINDOW)
		op->undo = shared_window_slot(op->slot_us, now_us);
	else if (op->kind == SHARED_DISTINCT)
		op->undo = r->elements > 2 &&
		    r->element[2]->type == REDIS_REPLY_INTEGER &&
		    r->element[2]->integer != 0;
	return true;
}

/* The GET of an incident: nil, or its text. */
static bool
redis_inc_result(const redisReply *r, struct shared_incident *inc)
{
	memset(inc, 0, sizeof(*inc));
	if (r->type == REDIS_REPLY_NIL)
		return true;
	if (r->type != REDIS_REPLY_STRING)
		return false;
	/* A value this relay cannot read is no incident (logged). */
	if (shared_incident_parse(r->str, r->len, inc) != 0)
		log_warn("state: redis: malformed incident value \"%.*s\"; "
		    "ignored", (int)(r->len > 64 ? 64 : r->len), r->str);
	return true;
}

/* Free the replies rep[from, to). */
static void
redis_free_replies(redisReply **rep, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		if (rep[i] != NULL)
			freeReplyObject(rep[i]);
		rep[i] = NULL;
	}
}

/* Room for total commands in the scratch arrays. */
static int
redis_scratch(struct store_redis *sr, size_t total)
{
	uint8_t *p;
	redisReply **q;

	if (total <= sr->cap_ops)
		return 0;
	if ((p = xrealloc(sr->op_node, total)) == NULL)
		return ERR_NOMEM;
	sr->op_node = p;
	if ((q = xreallocarray(sr->rep, total, sizeof(*q))) == NULL)
		return ERR_NOMEM;
	sr->rep = q;
	sr->cap_ops = total;
	return 0;
}

/* Command i of a request: op i, or the incident's GET after the ops. */
static int
redis_build_nth(struct store_redis *sr, size_t i, const char *customer,
    const struct shared_op *ops, size_t n, int64_t now_us)
{
	return i < n ? redis_build_op(sr, &sr->cmd, &ops[i], now_us, false) :
	    redis_build_get(sr, &sr->cmd, customer);
}

/*
 * The pipeline: every command appended to its node's buffer, then every
 * reply read in order (hiredis writes a node's buffer at its first
 * read), and only then the errors settled one by one (redirects,
 * NOSCRIPT), when no reply is in flight any more.
 */
static void redis_undo(void *ctx, const struct shared_op *ops, size_t n,
    int64_t now_us);

static int
redis_judge(void *ctx, const char *customer, struct shared_op *ops, size_t n,
    int64_t now_us, struct shared_incident *inc)
{
	struct store_redis *sr = ctx;
	struct redis_cmd *c = &sr->cmd;
	size_t i, total = n + (customer != NULL), sent = 0, got = 0;
	redisReply *r;
	void *rv;
	bool ok, bad = false;
	int k, rc = ERR_UNAVAIL;

	memset(inc, 0, sizeof(*inc));
	if (!sr->up) {
		sr->st.local++;
		return ERR_UNAVAIL;
	}
	if (redis_scratch(sr, total) != 0) {
		sr->st.local++;
		return ERR_NOMEM;
	}
	/*
	 * Every key first: a key too long for Redis makes the whole request
	 * local before anything is sent (sent, the checks before it would
	 * be committed in Redis and never given back).
	 */
	for (i = 0; i < total; i++) {
		if (redis_build_nth(sr, i, customer, ops, n, now_us) != 0) {
			sr->st.local++;
			return ERR_TOOBIG;
		}
	}
	for (sent = 0; sent < total; sent++) {
		if (redis_build_nth(sr, sent, customer, ops, n, now_us) != 0)
			goto fail;	/* checked above */
		k = redis_node_for(sr, c->key, c->klen);
		if (!redis_node_ready(sr, k))
			goto fail;
		sr->op_node[sent] = (uint8_t)k;
		if (redisAppendCommandArgv(sr->nodes[k].c, c->argc, c->argv,
		    c->len) != REDIS_OK) {
			redis_down(sr, sr->nodes[k].addr, sr->nodes[k].c->errstr);
			goto fail;
		}
	}
	for (got = 0; got < sent; got++) {
		k = sr->op_node[got];
		rv = NULL;
		if (sr->nodes[k].c == NULL ||
		    redisGetReply(sr->nodes[k].c, &rv) != REDIS_OK || rv == NULL) {
			if (sr->nodes[k].c != NULL)
				redis_down(sr, sr->nodes[k].addr,
				    sr->nodes[k].c->errstr[0] ?
				    sr->nodes[k].c->errstr : "no reply");
			goto fail;
		}
		sr->rep[got] = rv;
	}
	for (i = 0; i < total; i++) {
		r = sr->rep[i];
		sr->rep[i] = NULL;
		if (r->type == REDIS_REPLY_ERROR) {
			redis_build_nth(sr, i, customer, ops, n, now_us);
			if ((r = redis_settle(sr, c, sr->op_node[i], r, 0)) == NULL) {
				if (!sr->up) {
					got = total;
					goto fail_from;
				}
				bad = true;	/* this command only */
				continue;
			}
		}
		ok = i < n ? redis_op_result(r, &ops[i], now_us) :
		    redis_inc_result(r, inc);
		freeReplyObject(r);
		if (!ok) {
			redis_down(sr, sr->nodes[sr->op_node[i]].addr,
			    "unexpected reply");
			got = total;
			goto fail_from;
		}
	}
	if (bad) {
		/* Local after all: give back what the others committed. */
		redis_undo(sr, ops, n, now_us);
		goto fail;
	}
	sr->st.requests++;
	return 0;
fail_from:
	redis_free_replies(sr->rep, i + 1, got);
	got = 0;
fail:
	redis_free_replies(sr->rep, 0, got);
	sr->st.local++;
	memset(inc, 0, sizeof(*inc));
	return rc;
}

static void
redis_undo(void *ctx, const struct shared_op *ops, size_t n, int64_t now_us)
{
	struct store_redis *sr = ctx;
	struct redis_cmd *c = &sr->cmd;
	redisReply *r;
	size_t i;
	int k;

	for (i = 0; i < n && sr->up; i++) {
		if (!ops[i].committed || (ops[i].kind == SHARED_DISTINCT &&
		    ops[i].undo == 0))
			continue;	/* a distinct item seen before stays */
		if (redis_build_op(sr, c, &ops[i], now_us, true) != 0)
			continue;
		k = redis_node_for(sr, c->key, c->klen);
		if ((r = redis_call(sr, c, k, 0)) != NULL)
			freeReplyObject(r);
	}
}

static const struct shared_ops redis_ops = {
	.judge = redis_judge,
	.undo = redis_undo,
};

const struct shared_ops *
store_redis_ops(void)
{
	return &redis_ops;
}

/* ------------------------------------------------------------ incidents */

/* Send one incident write now; false (and down) on failure. */
static bool
redis_inc_send(struct store_redis *sr, const char *customer,
    const struct shared_incident *inc, bool del)
{
	struct redis_cmd *c = &sr->cmd;
	redisReply *r;
	int n;

	if (redis_build_get(sr, c, customer) != 0)
		return true;	/* too long to share: nothing to retry */
	if ((n = shared_incident_format(c->val, sizeof(c->val), inc)) < 0)
		return true;
	c->argc = 0;
	if (del) {
		redis_arg(c, "EVALSHA", 7);
		redis_arg(c, sr->sha, strlen(sr->sha));
		redis_arg(c, "1", 1);
		redis_arg(c, c->key, c->klen);
		redis_arg(c, "di", 2);
	} else {
		redis_arg(c, "SET", 3);
		redis_arg(c, c->key, c->klen);
	}
	redis_arg(c, c->val, (size_t)n);
	r = redis_call(sr, c, redis_node_for(sr, c->key, c->klen), 0);
	if (r == NULL)
		return false;
	freeReplyObject(r);
	return true;
}

static int
redis_inc_queue(struct store_redis *sr, const char *customer,
    const struct shared_incident *inc, bool del)
{
	struct redis_pending *p;
	size_t i;

	for (i = 0; i < sr->n_pend; i++) {
		if (strcmp(sr->pend[i].customer, customer) == 0) {
			sr->pend[i].inc = *inc;
			sr->pend[i].del = del;
			return ERR_AGAIN;
		}
	}
	if (sr->n_pend == STORE_REDIS_PENDING_MAX) {
		log_error("state: redis: %d incident writes waiting; dropping "
		    "the one for %s", STORE_REDIS_PENDING_MAX, customer);
		return ERR_TOOBIG;
	}
	p = xreallocarray(sr->pend, sr->n_pend + 1, sizeof(*sr->pend));
	if (p == NULL)
		return ERR_NOMEM;
	sr->pend = p;
	if ((p[sr->n_pend].customer = xstrdup(customer)) == NULL)
		return ERR_NOMEM;
	p[sr->n_pend].inc = *inc;
	p[sr->n_pend].del = del;
	sr->n_pend++;
	return ERR_AGAIN;
}

static int
redis_inc_write(struct store_redis *sr, const char *customer,
    const struct shared_incident *inc, bool del)
{
	struct shared_incident v = *inc;

	snprintf(v.node, sizeof(v.node), "%s", sr->node);
	if (sr->up && sr->n_pend == 0 && redis_inc_send(sr, customer, &v, del))
		return 0;
	return redis_inc_queue(sr, customer, &v, del);
}

int
store_redis_incident_set(struct store_redis *sr, const char *customer,
    const struct shared_incident *inc)
{
	return redis_inc_write(sr, customer, inc, false);
}

int
store_redis_incident_del(struct store_redis *sr, const char *customer,
    const struct shared_incident *inc)
{
	return redis_inc_write(sr, customer, inc, true);
}

/* Send what waited, in order, while Redis stays up. */
static void
redis_flush(struct store_redis *sr)
{
	size_t i, done = 0;

	for (i = 0; i < sr->n_pend && sr->up; i++) {
		if (!redis_inc_send(sr, sr->pend[i].customer, &sr->pend[i].inc,
		    sr->pend[i].del))
			break;
		done++;
	}
	for (i = 0; i < done; i++)
		xfree(sr->pend[i].customer);
	memmove(sr->pend, sr->pend + done, (sr->n_pend - done) * sizeof(*sr->pend));
	sr->n_pend -= done;
}

/* ------------------------------------------------------------ life cycle */

struct store_redis *
store_redis_new(const struct conf *conf, const char *node, char *err,
    size_t errcap)
{
	struct store_redis *sr;
	char host[128];
	bool unix_sock;
	size_t i;
	int port;

	for (i = 0; i < conf->redis_servers.n; i++) {
		if (redis_addr_split(conf->redis_servers.v[i], host,
		    sizeof(host), &port, &unix_sock) != 0) {
			snprintf(err, errcap, "state.redis.servers: %s: not "
			    "HOST:PORT, [IPV6]:PORT or unix:/PATH",
			    conf->redis_servers.v[i]);
			return NULL;
		}
	}
	if (conf->redis_servers.n == 0 || conf->redis_servers.n > STORE_REDIS_NODES_MAX) {
		snprintf(err, errcap, "state.redis.servers: 1 to %d addresses",
		    STORE_REDIS_NODES_MAX);
		return NULL;
	}
	if ((sr = xcalloc(1, sizeof(*sr))) == NULL)
		goto nomem;
	if ((sr->prefix = xstrdup(conf->redis_prefix ? conf->redis_prefix : "")) == NULL ||
	    (sr->servers.v = xcalloc(conf->redis_servers.n, sizeof(char *))) == NULL)
		goto nomem;
	for (i = 0; i < conf->redis_servers.n; i++) {
		if ((sr->servers.v[i] = xstrdup(conf->redis_servers.v[i])) == NULL)
			goto nomem;
		sr->servers.n++;
	}
	sr->tv.tv_sec = (time_t)(conf->redis_timeout_ms / 1000);
	sr->tv.tv_usec = (suseconds_t)(conf->redis_timeout_ms % 1000) * 1000;
	snprintf(sr->node, sizeof(sr->node), "%s", node && node[0] ? node : "relay");
	for (i = 0; sr->node[i] != '\0'; i++) {
		if (sr->node[i] == ' ')
			sr->node[i] = '_';	/* a word of the incident text */
	}
	redis_connect(sr);
	return sr;
nomem:
	snprintf(err, errcap, "state: redis: %s", err_str(ERR_NOMEM));
	store_redis_free(sr);
	return NULL;
}

void
store_redis_free(struct store_redis *sr)
{
	size_t i;

	if (sr == NULL)
		return;
	redis_close_all(sr);
	for (i = 0; i < sr->n_pend; i++)
		xfree(sr->pend[i].customer);
	xfree(sr->pend);
	for (i = 0; i < sr->servers.n; i++)
		xfree(sr->servers.v[i]);
	xfree(sr->servers.v);
	xfree(sr->prefix);
	xfree(sr->slots);
	xfree(sr->op_node);
	xfree(sr->rep);
	xfree(sr);
}

bool
store_redis_tick(struct store_redis *sr)
{
	bool connected = false;

	if (!sr->up && clock_mono_us() >= sr->retry_mono_us)
		connected = redis_connect(sr);
	if (sr->up && sr->n_pend > 0)
		redis_flush(sr);
	return connected;
}

void
store_redis_stats(const struct store_redis *sr, struct store_redis_stats *out)
{
	*out = sr->st;
	out->up = sr->up;
	out->pending = sr->n_pend;
}

const char *
store_redis_server(const struct store_redis *sr)
{
	return sr->where;
}
