/*
 * relayguardd.c - the relayguard daemon: one process, one libevent loop,
 * a table of services.
 *
 * Start-up: read the config (exit 2 with "FILE:LINE: KEY: message" when it
 * is bad), open the embedded state under state.dir and restore it, build
 * the engine, bind every listener, then run.  Once a second the changed
 * customer records go to the state journal (so kill -9 loses at most the
 * last second); the journal is compacted into a snapshot when it grows.
 *
 * SIGHUP: re-read the config and the overrides map; a bad new config is
 * logged with its file and line and the old one keeps running.  Requests
 * are never dropped: the loop swaps the rules between two requests.
 * Listener addresses are bound at start-up; changing them needs a restart
 * (logged when a reload asks for it).
 * SIGTERM/SIGINT: stop accepting, save every record, compact, exit 0.
 *
 * Privileges: with `user` set and started as root, once every listener
 * is bound and the state is open the daemon gives state.dir (and the
 * files in it) to that user and becomes it, with its supplementary
 * groups (adm on Debian reads the maillog); a failure to do so is fatal.
 *
 * State backend redis (store_redis.h): the embedded state is opened as
 * well (it is the fallback, and keeps the incidents database); the engine
 * is given the Redis operations, the incident callback shares open
 * incidents and their release, and the once-a-second tick reconnects
 * when Redis was unreachable (sharing the open incidents again).
 *
 * Metrics: the daemon counts failed state writes and copies the feed's
 * counters once a second into a struct api_daemon_stats that the HTTP
 * service borrows.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "daemon/act.h"
#include "engine/engine.h"
#include "http/api.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proto/maillog.h"
#include "store/incidents.h"
#include "store/store.h"
#include "store/store_redis.h"
#include "dnsbl/dnsbl_detection.h"
#include "svc/dns.h"
#include "svc/feed.h"
#include "svc/http.h"
#include "svc/policy.h"

#define OVERRIDES_MAX (256u << 20)
#define JOURNAL_COMPACT_BYTES (64u << 20)
#define COMPACT_INTERVAL_S 600
#define EXPIRE_INTERVAL_S 30

struct daemon {
	const char *conf_path;
	struct conf *conf;		/* owned; the engine borrows it */
	struct engine *engine;
	struct store *store;
	struct store_redis *redis;	/* NULL: backend embedded */
	struct policy_svc *policy;
	struct dns_svc *dns;		/* NULL without zones */
	struct incidents_db *incdb;	/* durable incidents and held mail */
	struct act *act;		/* on_compromise: list, notify */
	struct feed *feed;		/* NULL without feed.maillog/syslog */
	struct maillog_clock log_clock;	/* year and zone of the feed's lines */
	uint64_t feed_malformed;
	struct http_svc *http;		/* NULL without listen.http */
	struct api_daemon_stats stats;	/* for /metrics; http borrows it */
	struct event_base *base;
	struct event *ev_tick;
	struct event *ev_hup, *ev_term, *ev_int;
	int64_t last_compact_us;
	int64_t last_expire_us;
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: relayguardd [-f] [-c FILE]\n"
	    "  -c FILE    configuration (default " CONF_DEFAULT_PATH ")\n"
	    "  -f         stay in the foreground and log to stderr\n"
	    "  -d         log debug messages too\n"
	    "  --help     this text\n"
	    "  --version  print the version\n"
	    "Signals: SIGHUP reloads the config and data files; SIGTERM/SIGINT stop.\n");
}

/* daemon_load_overrides - read policy.overrides into the engine, if set. */
static int
daemon_load_overrides(struct engine *engine, const struct conf *conf)
{
	char err[CONF_ERR_MAX];
	char *text;
	size_t len;
	int rc;

	if (conf->policy_overrides == NULL)
		return engine_load_overrides(engine, "(none)", "", 0, err, sizeof(err));
	rc = file_read_all(conf->policy_overrides, OVERRIDES_MAX, &text, &len,
	    err, sizeof(err));
	if (rc != 0) {
		log_error("overrides: %s", err);
		return rc;
	}
	rc = engine_load_overrides(engine, conf->policy_overrides, text, len,
	    err, sizeof(err));
	xfree(text);
	if (rc != 0)
		log_error("overrides: %s", err);
	return rc;
}

static int
daemon_snapshot(struct daemon *d)
{
	int rc;

	if ((rc = engine_save(d->engine, d->store, false)) != 0 ||
	    (rc = store_sync(d->store)) != 0 ||
	    (rc = store_compact(d->store, engine_snapshot_iterate,
	    d->engine)) != 0) {
		d->stats.state_errors++;
		log_error("state: %s: snapshot failed: %s", d->conf->state_dir,
		    err_str(rc));
	}
	return rc;
}

/*
 * daemon_log_line - one line of Postfix's log from the feed.  The engine
 * takes the time of arrival (the line's own timestamp has no year and
 * may lag); lines that are not Postfix's are simply not events.
 */
static void
daemon_log_line(void *ctx, const char *line, size_t len)
{
	struct daemon *d = ctx;
	struct maillog_rec rec;
	struct maillog_err merr;

	if (maillog_parse(line, len, &d->log_clock, &rec, &merr) != 0) {
		d->stats.feed_malformed++;
		if (d->feed_malformed++ % 1000 == 0)
			log_warn("feed: malformed log line (%s at offset %zu); %llu so far",
			    merr.reason, merr.offset, (unsigned long long)d->feed_malformed);
		return;
	}
	engine_observe_log(d->engine, &rec, clock_now_us());
}

/* daemon_shared_inc - an incident as the shared state keeps it. */
static void
daemon_shared_inc(const struct engine_incident *inc, struct shared_incident *out)
{
	memset(out, 0, sizeof(*out));
	out->id = inc->id;
	out->actions = inc->actions;
	snprintf(out->reason, sizeof(out->reason), "%s", inc->reason);
}

/*
 * daemon_on_incident - the engine's incident callback: on_compromise
 * (act.c), then, with backend redis, share the open incident with the
 * other relays or end it there.
 */
static void
daemon_on_incident(void *ctx, const struct engine_incident *inc)
{
	struct daemon *d = ctx;
	struct shared_incident si;

	act_on_incident(d->act, inc);
	if (d->redis == NULL)
		return;
	daemon_shared_inc(inc, &si);
	if (inc->released_us == 0)
		store_redis_incident_set(d->redis, inc->customer, &si);
	else
		store_redis_incident_del(d->redis, inc->customer, &si);
}

/* daemon_share_open - one open incident to Redis (after a (re)connect). */
static void
daemon_share_open(void *ctx, const struct engine_incident *inc)
{
	struct daemon *d = ctx;
	struct shared_incident si;

	daemon_shared_inc(inc, &si);
	store_redis_incident_set(d->redis, inc->customer, &si);
}

/* daemon_redis_stats - the backend's counters into d->stats. */
static void
daemon_redis_stats(struct daemon *d)
{
	struct store_redis_stats rs;

	if (d->redis == NULL)
		return;
	store_redis_stats(d->redis, &rs);
	d->stats.state_redis = true;
	d->stats.state_fallback = !rs.up;
	d->stats.redis_shared = rs.requests;
	d->stats.redis_local = rs.local;
	d->stats.redis_errors = rs.errors;
	d->stats.redis_connects = rs.connects;
	d->stats.redis_redirects = rs.redirects;
	d->stats.redis_pending = rs.pending;
}

/* daemon_relist - an open incident restored at start-up: list it again. */
static void
daemon_relist(void *ctx, const struct engine_incident *inc)
{
	act_relist(ctx, inc);
}

/* daemon_expire_listings - drop DNSBL detection entries past their expiry. */
static void
daemon_expire_listings(struct daemon *d, int64_t now_us)
{
	size_t i, n;

	if (d->dns == NULL)
		return;
	for (i = 0; i < d->conf->n_zones; i++) {
		struct dnsbl_detection *det = dns_svc_detection(d->dns,
		    d->conf->zones[i].name, NULL);

		if (det != NULL && (n = dnsbl_detection_expire(det, now_us / 1000000)) > 0)
			log_info("dns: zone %s: %zu listings expired", d->conf->zones[i].name, n);
	}
}

/* daemon_feed_stats - the feed's counters into d->stats. */
static void
daemon_feed_stats(struct daemon *d)
{
	struct feed_stats fs;

	if (d->feed == NULL)
		return;
	feed_stats(d->feed, &fs);
	d->stats.feed_lines = fs.lines;
	d->stats.feed_too_long = fs.too_long;
	d->stats.feed_rotations = fs.rotations;
	d->stats.feed_last_line_us = fs.last_line_us;
}

static void
daemon_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	int64_t now_us = clock_now_us();
	int rc;

	(void)fd;
	(void)what;
	act_reap(d->act);
	if ((rc = engine_save(d->engine, d->store, false)) != 0 ||
	    (rc = store_sync(d->store)) != 0) {
		d->stats.state_errors++;
		log_error("state: %s: journal write failed: %s",
		    d->conf->state_dir, err_str(rc));
	}
	daemon_feed_stats(d);
	/* Reconnected: Redis may have lost the open incidents (a restart). */
	if (d->redis != NULL && store_redis_tick(d->redis))
		engine_incident_list(d->engine, true, daemon_share_open, d);
	daemon_redis_stats(d);
	if (now_us - d->last_expire_us >= EXPIRE_INTERVAL_S * 1000000LL) {
		engine_expire(d->engine, now_us);
		daemon_expire_listings(d, now_us);
		d->last_expire_us = now_us;
	}
	if (store_journal_bytes(d->store) > JOURNAL_COMPACT_BYTES ||
	    (now_us - d->last_compact_us >= COMPACT_INTERVAL_S * 1000000LL &&
	    store_journal_bytes(d->store) > 0)) {
		daemon_snapshot(d);
		d->last_compact_us = now_us;
	}
}

/* daemon_policy_limits - the policy service's limits from the config. */
static void
daemon_policy_limits(struct daemon *d)
{
	struct policy_svc_limits lim = {
		.time_budget_ms = d->conf->policy_time_budget_ms,
	};

	policy_svc_set_limits(d->policy, &lim);
}

static bool
strv_equal(const struct conf_strv *a, const struct conf_strv *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/* strv_equal_str - two optional strings are the same. */
static bool
strv_equal_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
daemon_reload(struct daemon *d)
{
	char err[CONF_ERR_MAX];
	struct conf *newconf;

	log_info("reload: reading %s", d->conf_path);
	if (conf_load(d->conf_path, &newconf, err, sizeof(err)) != 0) {
		log_error("reload: %s; keeping the running configuration", err);
		if (d->http != NULL)
			http_svc_reload(d->http, NULL, NULL, false, err);
		return;
	}
	/*
	 * The zones first: their data files are the likeliest to be broken.
	 * The DNS service borrows the conf it was last loaded with, so when a
	 * later step fails it is pointed back at the running one.
	 */
	if (d->dns != NULL && dns_svc_reload(d->dns, newconf, err, sizeof(err)) != 0) {
		log_error("reload: %s; keeping the running configuration and data", err);
		if (d->http != NULL)
			http_svc_reload(d->http, NULL, NULL, false, err);
		conf_free(newconf);
		return;
	}
	if (engine_set_conf(d->engine, newconf, err, sizeof(err)) != 0) {
		log_error("reload: %s: %s; keeping the running configuration",
		    d->conf_path, err);
		if (d->dns != NULL && dns_svc_reload(d->dns, d->conf, err, sizeof(err)) != 0)
			log_error("reload: dns: cannot return to the running zones: %s", err);
		if (d->http != NULL)
			http_svc_reload(d->http, NULL, NULL, false, err);
		conf_free(newconf);
		return;
	}
	if (d->dns == NULL && newconf->n_zones > 0)
		log_warn("reload: zones added; DNS service starts at the next restart");
	if (!strv_equal(&newconf->listen_policy, &d->conf->listen_policy))
		log_warn("reload: listen.policy changed; the new addresses take effect at the next restart");
	if (strcmp(newconf->state_dir, d->conf->state_dir) != 0)
		log_warn("reload: state.dir changed; it takes effect at the next restart");
	if (newconf->state_backend != d->conf->state_backend ||
	    !strv_equal(&newconf->redis_servers, &d->conf->redis_servers) ||
	    !strv_equal_str(newconf->redis_prefix, d->conf->redis_prefix) ||
	    newconf->redis_timeout_ms != d->conf->redis_timeout_ms)
		log_warn("reload: state.backend or state.redis changed; it takes effect at the next restart");
	if (!strv_equal_str(newconf->feed_maillog, d->conf->feed_maillog) ||
	    !strv_equal_str(newconf->feed_syslog, d->conf->feed_syslog))
		log_warn("reload: feed changed; it takes effect at the next restart");
	act_set(d->act, newconf, d->dns);
	conf_free(d->conf);
	d->conf = newconf;
	daemon_policy_limits(d);
	daemon_load_overrides(d->engine, d->conf);
	if (d->http != NULL)
		http_svc_reload(d->http, d->conf, d->engine, true, NULL);
	log_reopen();
	log_info("reload: done; %zu networks, %zu limits", d->conf->n_networks,
	    d->conf->n_limits);
}

static void
daemon_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		daemon_reload(d);
		return;
	}
	log_info("stopping on signal %d", (int)sig);
	event_base_loopbreak(d->base);
}

/*
 * daemon_chown_state - give state.dir and the files in it (not below:
 * the store keeps none there) to uid:gid, links not followed.  Returns 0
 * or -1 with errno and the failing path in *what.
 */
static int
daemon_chown_state(const char *dir, uid_t uid, gid_t gid, const char **what,
    char *path, size_t cap)
{
	struct dirent *de;
	DIR *dp;
	int dfd, saved;

	*what = dir;
	if (chown(dir, uid, gid) != 0 || (dp = opendir(dir)) == NULL)
		return -1;
	dfd = dirfd(dp);
	while ((errno = 0, de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fchownat(dfd, de->d_name, uid, gid,
		    AT_SYMLINK_NOFOLLOW) != 0) {
			saved = errno;
			snprintf(path, cap, "%s/%s", dir, de->d_name);
			*what = path;
			closedir(dp);
			errno = saved;
			return -1;
		}
	}
	saved = errno;
	closedir(dp);
	errno = saved;
	return saved != 0 ? -1 : 0;
}

/*
 * daemon_drop_privileges - become conf `user` (see the file's header).
 * Everything that needs root (binding ports below 1024, opening the
 * state) is done by now; what comes later (state writes, the maillog
 * after a rotation, the config at SIGHUP) must be open to that user.
 */
static void
daemon_drop_privileges(struct daemon *d)
{
	const char *user = d->conf->user, *what;
	char path[4096];
	struct passwd *pw;

	if (user == NULL || user[0] == '\0')
		return;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		log_fatal(1, "user: %s: %s", user, errno != 0 ? strerror(errno) :
		    "no such user");
	if (geteuid() != 0) {
		if (geteuid() != pw->pw_uid)
			log_warn("user: not started as root; running on as uid "
			    "%u, not %s", (unsigned)geteuid(), user);
		return;
	}
	if (daemon_chown_state(d->conf->state_dir, pw->pw_uid, pw->pw_gid,
	    &what, path, sizeof(path)) != 0)
		log_fatal(1, "user: cannot give %s to %s: %s", what, user,
		    strerror(errno));
	if (initgroups(pw->pw_name, pw->pw_gid) != 0)
		log_fatal(1, "user: %s: initgroups: %s", user, strerror(errno));
	if (setgid(pw->pw_gid) != 0)
		log_fatal(1, "user: %s: setgid(%u): %s", user,
		    (unsigned)pw->pw_gid, strerror(errno));
	if (setuid(pw->pw_uid) != 0)
		log_fatal(1, "user: %s: setuid(%u): %s", user,
		    (unsigned)pw->pw_uid, strerror(errno));
	/* Make sure there is no way back (a uid 0 user, a saved set-uid). */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || geteuid() != pw->pw_uid ||
	    getuid() != pw->pw_uid || getegid() != pw->pw_gid))
		log_fatal(1, "user: %s: privileges were not dropped", user);
	log_info("dropped privileges to %s (uid %u, gid %u)", user,
	    (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
}

static void
daemon_start(struct daemon *d)
{
	char err[CONF_ERR_MAX];
	struct timeval one_second = { 1, 0 };
	size_t i;
	int rc;

	/* The local state, also the fallback of backend redis. */
	if (store_open(d->conf->state_dir, &d->store, err, sizeof(err)) != 0)
		log_fatal(1, "state: %s", err);
	if ((d->engine = engine_new(d->conf, err, sizeof(err))) == NULL)
		log_fatal(2, "%s: %s", d->conf_path, err);
	if ((rc = engine_restore(d->engine, d->store)) != 0)
		log_fatal(1, "state: %s: cannot restore: %s", d->conf->state_dir,
		    err_str(rc));
	log_info("state: %s: restored %zu customers", d->conf->state_dir,
	    engine_customer_count(d->engine));
	if (incidents_db_open(d->conf->state_dir, &d->incdb, err, sizeof(err)) != 0)
		log_fatal(1, "state: %s", err);
	engine_set_incidents_db(d->engine, d->incdb);
	if ((rc = engine_load_incidents(d->engine, d->incdb)) != 0)
		log_fatal(1, "state: %s: cannot load incidents: %s", d->conf->state_dir,
		    err_str(rc));
	if ((d->act = act_new()) == NULL)
		log_fatal(1, "out of memory");
	engine_set_incident_fn(d->engine, daemon_on_incident, d);
	if (d->conf->state_backend == CONF_BACKEND_REDIS) {
		char host[SHARED_NODE_MAX] = "";

		if (gethostname(host, sizeof(host) - 1) != 0)
			host[0] = '\0';
		if ((d->redis = store_redis_new(d->conf, host, err,
		    sizeof(err))) == NULL)
			log_fatal(2, "%s: %s", d->conf_path, err);
		engine_set_shared(d->engine, store_redis_ops(), d->redis);
		engine_incident_list(d->engine, true, daemon_share_open, d);
		log_info("state: redis %s, prefix \"%s\", timeout %llums; "
		    "local state in %s", store_redis_server(d->redis),
		    d->conf->redis_prefix ? d->conf->redis_prefix : "",
		    (unsigned long long)d->conf->redis_timeout_ms,
		    d->conf->state_dir);
		daemon_redis_stats(d);
	}
	if (daemon_load_overrides(d->engine, d->conf) != 0 &&
	    d->conf->policy_overrides != NULL)
		log_fatal(2, "%s: policy.overrides: cannot load %s", d->conf_path,
		    d->conf->policy_overrides);

	if ((d->base = event_base_new()) == NULL)
		log_fatal(1, "event_base_new failed");
	if ((d->policy = policy_svc_new(d->base, d->engine, err, sizeof(err))) == NULL)
		log_fatal(1, "policy: %s", err);
	daemon_policy_limits(d);
	for (i = 0; i < d->conf->listen_policy.n; i++) {
		if (policy_svc_listen(d->policy, d->conf->listen_policy.v[i], err,
		    sizeof(err)) != 0)
			log_fatal(1, "policy: %s", err);
		log_info("policy: listening on %s", d->conf->listen_policy.v[i]);
	}
	if (d->conf->n_zones > 0 || d->conf->listen_dns.n > 0) {
		if ((d->dns = dns_svc_new(d->base, d->conf, err, sizeof(err))) == NULL)
			log_fatal(2, "dns: %s", err);
		for (i = 0; i < d->conf->listen_dns.n; i++) {
			if (dns_svc_listen(d->dns, d->conf->listen_dns.v[i], err,
			    sizeof(err)) != 0)
				log_fatal(1, "dns: %s", err);
			log_info("dns: listening on %s (UDP and TCP)",
			    d->conf->listen_dns.v[i]);
		}
	}
	act_set(d->act, d->conf, d->dns);
	engine_incident_list(d->engine, true, daemon_relist, d->act);
	if (d->conf->feed_maillog != NULL || d->conf->feed_syslog != NULL) {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		maillog_clock_init(&d->log_clock, tm.tm_year + 1900, (int32_t)tm.tm_gmtoff);
		if ((d->feed = feed_new(d->base, d->conf->feed_maillog,
		    d->conf->feed_syslog, daemon_log_line, d, err, sizeof(err))) == NULL)
			log_fatal(1, "%s", err);
		if (d->conf->feed_maillog != NULL)
			log_info("feed: following %s", d->conf->feed_maillog);
		if (d->conf->feed_syslog != NULL)
			log_info("feed: receiving syslog on %s", d->conf->feed_syslog);
		d->stats.feed_on = true;
		d->stats.feed_started_us = clock_now_us();
	}
	if (d->conf->listen_http.n > 0) {
		if ((d->http = http_svc_new(d->base, d->engine, d->conf, d->policy,
		    d->dns, err, sizeof(err))) == NULL)
			log_fatal(2, "http: %s", err);
		for (i = 0; i < d->conf->listen_policy.n; i++)
			http_svc_note_listener(d->http, "policy",
			    d->conf->listen_policy.v[i]);
		for (i = 0; i < d->conf->listen_dns.n; i++)
			http_svc_note_listener(d->http, "dns",
			    d->conf->listen_dns.v[i]);
		for (i = 0; i < d->conf->listen_http.n; i++) {
			if (http_svc_listen(d->http, d->conf->listen_http.v[i], err,
			    sizeof(err)) != 0)
				log_fatal(1, "http: %s", err);
			log_info("http: listening on %s", d->conf->listen_http.v[i]);
		}
		http_svc_set_daemon_stats(d->http, &d->stats);
	}
	daemon_drop_privileges(d);

	d->ev_tick = event_new(d->base, -1, EV_PERSIST, daemon_tick, d);
	d->ev_hup = evsignal_new(d->base, SIGHUP, daemon_signal, d);
	d->ev_term = evsignal_new(d->base, SIGTERM, daemon_signal, d);
	d->ev_int = evsignal_new(d->base, SIGINT, daemon_signal, d);
	if (d->ev_tick == NULL || d->ev_hup == NULL || d->ev_term == NULL ||
	    d->ev_int == NULL)
		log_fatal(1, "cannot create events");
	event_add(d->ev_tick, &one_second);
	event_add(d->ev_hup, NULL);
	event_add(d->ev_term, NULL);
	event_add(d->ev_int, NULL);
	d->last_compact_us = d->last_expire_us = clock_now_us();
}

static void
daemon_stop(struct daemon *d)
{
	http_svc_free(d->http);
	feed_free(d->feed);
	policy_svc_free(d->policy);
	daemon_snapshot(d);
	store_close(d->store);
	engine_free(d->engine);
	store_redis_free(d->redis);
	incidents_db_close(d->incdb);
	act_free(d->act);
	dns_svc_free(d->dns);
	event_free(d->ev_tick);
	event_free(d->ev_hup);
	event_free(d->ev_term);
	event_free(d->ev_int);
	event_base_free(d->base);
	conf_free(d->conf);
	log_info("stopped");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon d = { .conf_path = CONF_DEFAULT_PATH };
	char err[CONF_ERR_MAX];
	int foreground = 0, debug = 0, c;

	while ((c = getopt_long(argc, argv, "c:fdh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.conf_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("relayguardd %s\n", RG_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "relayguardd: unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (conf_load(d.conf_path, &d.conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "relayguardd: %s\n", err);
		return 2;
	}
	if (!foreground && daemon(1, 0) != 0) {
		fprintf(stderr, "relayguardd: daemon: %s\n", strerror(errno));
		return 1;
	}
	log_open("relayguardd", foreground);
	if (debug)
		log_set_level(LOG_LEVEL_DEBUG);
	signal(SIGPIPE, SIG_IGN);
	daemon_start(&d);
	log_info("relayguardd %s started with %s", RG_VERSION, d.conf_path);
	event_base_dispatch(d.base);
	daemon_stop(&d);
	return 0;
}
