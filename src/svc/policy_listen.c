/*
 * policy_listen.c - the listening sockets of the policy service (see
 * policy_listen.h): address parsing, bind, unix socket files, accept.
 *
 * Memory: one small struct per bound address (the name is kept for log
 * lines).  accept() runs up to ACCEPT_BATCH times per wake-up, so a burst
 * of connections costs one trip through the event loop, not one each.
 * Errors of accept() are logged at most once a second.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/hostport.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "svc/policy.h"
#include "svc/policy_listen.h"

#define ACCEPT_BATCH 64
#define PAUSE_S 1
#define NAME_CAP (sizeof(((struct sockaddr_un *)0)->sun_path) + 8)

struct policy_listen {
	struct policy_listen_set *set;
	struct policy_listen *next;
	struct event *ev;
	int fd;
	char name[NAME_CAP];		/* "127.0.0.1:10040", "unix:/p" */
	char *path;			/* owned socket file; TCP: NULL */
	dev_t dev;			/* the socket file we made */
	ino_t ino;
};

struct policy_listen_set {
	struct event_base *base;
	policy_listen_accept_fn *fn;
	void *arg;
	struct policy_listen *list;
	struct event *pause_ev;		/* resumes accept() */
	bool paused;
	int64_t log_us;			/* last accept() error logged */
};

void
policy_listen_format_addr(const struct sockaddr *sa, char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, cap, "%s:%u", host, ntohs(sin->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, cap, "[%s]:%u", host, ntohs(sin6->sin6_port));
		break;
	}
	default:
		snprintf(buf, cap, "(address family %d)", sa->sa_family);
		break;
	}
}

const char *
policy_listen_name(const struct policy_listen *lis)
{
	return lis->name;
}

bool
policy_listen_is_unix(const struct policy_listen *lis)
{
	return lis->path != NULL;
}

static void
policy_listen_pause(struct policy_listen_set *set, bool pause)
{
	struct policy_listen *l;
	struct timeval tv = { PAUSE_S, 0 };

	for (l = set->list; l != NULL; l = l->next) {
		if (pause)
			event_del(l->ev);
		else
			event_add(l->ev, NULL);
	}
	set->paused = pause;
	if (pause)
		event_add(set->pause_ev, &tv);
}

static void
policy_listen_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	policy_listen_pause(arg, false);
}

/* policy_listen_log_ok - true at most once a second. */
static bool
policy_listen_log_ok(struct policy_listen_set *set)
{
	int64_t now = clock_mono_us();

	if (set->log_us != 0 && now - set->log_us < 1000000)
		return false;
	set->log_us = now;
	return true;
}

static void
policy_listen_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policy_listen *lis = arg;
	struct policy_listen_set *set = lis->set;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int i, cfd;

	(void)what;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		sslen = sizeof(ss);
		cfd = accept4(fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0) {
			if (sslen > sizeof(ss))
				sslen = sizeof(ss);
			set->fn(set->arg, lis, cfd, (struct sockaddr *)&ss,
			    sslen);
			continue;
		}
		switch (errno) {
		case EAGAIN:
#if EAGAIN != EWOULDBLOCK
		case EWOULDBLOCK:
#endif
			return;
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			/* Level-triggered: retrying now would only spin. */
			if (policy_listen_log_ok(set))
				log_error("policy: %s: accept: %s; pausing "
				    "new connections for %ds", lis->name,
				    strerror(errno), PAUSE_S);
			policy_listen_pause(set, true);
			return;
		default:
			if (policy_listen_log_ok(set))
				log_error("policy: %s: accept: %s", lis->name,
				    strerror(errno));
			return;
		}
	}
}

static void
policy_listen_free(struct policy_listen *l)
{
	struct stat st;

	if (l->ev != NULL)
		event_free(l->ev);
	if (l->fd >= 0)
		close(l->fd);
	/* Remove the socket file only if it is still the one we made. */
	if (l->path != NULL && l->ino != 0 && stat(l->path, &st) == 0 &&
	    st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
	xfree(l->path);
	xfree(l);
}

static struct policy_listen *
policy_listen_alloc(struct policy_listen_set *set, int fd)
{
	struct policy_listen *l = xcalloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->set = set;
	l->fd = fd;
	return l;
}

/* policy_listen_start - listen() and watch; l is freed on failure. */
static int
policy_listen_start(struct policy_listen *l, char *err, size_t errcap)
{
	int rc;

	if (listen(l->fd, POLICY_SVC_BACKLOG) != 0) {
		rc = -errno;
		err_fmt(err, errcap, "%s: listen: %s", l->name,
		    strerror(errno));
		policy_listen_free(l);
		return rc;
	}
	if ((l->ev = event_new(l->set->base, l->fd, EV_READ | EV_PERSIST,
	    policy_listen_accept_cb, l)) == NULL) {
		err_fmt(err, errcap, "%s: out of memory", l->name);
		policy_listen_free(l);
		return ERR_NOMEM;
	}
	if (!l->set->paused)
		event_add(l->ev, NULL);
	return 0;
}

/*
 * policy_listen_stale - is the socket file at sun left by a dead
 * process?  True when nobody accepts on it; false when someone does or
 * it is not a socket at all (then it is not ours to remove).
 */
static bool
policy_listen_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(sun->sun_path, &st) != 0 || !S_ISSOCK(st.st_mode))
		return false;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	return rc != 0 && errno == ECONNREFUSED;
}

static int
policy_listen_unix(struct policy_listen_set *set, const char *addr,
    const char *path, char *err, size_t errcap)
{
	struct sockaddr_un sun;
	struct policy_listen *l;
	struct stat st;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
		err_fmt(err, errcap, "%s: the socket path must be "
		    "1 to %zu bytes", addr, sizeof(sun.sun_path) - 1);
		return ERR_INVAL;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0) {
		rc = -errno;
		err_fmt(err, errcap, "%s: socket: %s", addr,
		    strerror(errno));
		return rc;
	}
	if ((l = policy_listen_alloc(set, fd)) == NULL ||
	    (l->path = xstrdup(path)) == NULL) {
		if (l != NULL)
			policy_listen_free(l);
		else
			close(fd);
		err_fmt(err, errcap, "%s: out of memory", addr);
		return ERR_NOMEM;
	}
	snprintf(l->name, sizeof(l->name), "unix:%s", path);
	/* Bind first, so that a live socket is never unlinked by mistake. */
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (rc != 0 && errno == EADDRINUSE && policy_listen_stale(&sun)) {
		log_info("policy: %s: removing a stale socket", l->name);
		unlink(path);
		rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	}
	if (rc != 0) {
		rc = -errno;
		err_fmt(err, errcap, "%s: bind: %s%s", addr,
		    strerror(errno), errno == EADDRINUSE ? " (another process "
		    "listens on it, or it is not a socket)" : "");
		policy_listen_free(l);
		return rc;
	}
	/* Postfix's smtpd, not our user, connects: mode 0666. */
	if (chmod(path, 0666) != 0 || stat(path, &st) != 0) {
		rc = -errno;
		err_fmt(err, errcap, "%s: chmod: %s", addr,
		    strerror(errno));
		unlink(path);
		policy_listen_free(l);
		return rc;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	if ((rc = policy_listen_start(l, err, errcap)) != 0)
		return rc;
	l->next = set->list;
	set->list = l;
	return 0;
}

static int
policy_listen_tcp(struct policy_listen_set *set, const char *addr,
    unsigned *port_out, char *err, size_t errcap)
{
	struct addrinfo hints, *res = NULL, *ai, *bi;
	struct policy_listen *got = NULL, *l;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char host[256], port[8];
	unsigned port_n;
	bool any;
	int fd, rc, one = 1;

	if (hostport_split(addr, host, sizeof(host), &port_n) != 0) {
		err_fmt(err, errcap, "%s: not HOST:PORT, "
		    "[IPV6]:PORT, *:PORT or unix:/PATH", addr);
		return ERR_INVAL;
	}
	any = host[0] == '\0' || strcmp(host, "*") == 0;
	snprintf(port, sizeof(port), "%u", port_n);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(any ? NULL : host, port, &hints, &res)) != 0) {
		err_fmt(err, errcap, "%s: %s", addr,
		    gai_strerror(rc));
		return ERR_INVAL;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		/* Resolvers repeat addresses; bind each once. */
		for (bi = res; bi != ai; bi = bi->ai_next)
			if (bi->ai_addrlen == ai->ai_addrlen &&
			    memcmp(bi->ai_addr, ai->ai_addr,
			    ai->ai_addrlen) == 0)
				break;
		if (bi != ai)
			continue;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0 && errno == EAFNOSUPPORT && any)
			continue;	/* "*" on a host without IPv6 */
		if (fd < 0) {
			rc = -errno;
			err_fmt(err, errcap, "%s: socket: %s", addr,
			    strerror(errno));
			goto fail;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		/* "[::]:P" and "0.0.0.0:P" can then both be bound. */
		if (ai->ai_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof(one));
		if ((l = policy_listen_alloc(set, fd)) == NULL) {
			close(fd);
			err_fmt(err, errcap, "%s: out of memory",
			    addr);
			rc = ERR_NOMEM;
			goto fail;
		}
		policy_listen_format_addr(ai->ai_addr, l->name,
		    sizeof(l->name));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			rc = -errno;
			err_fmt(err, errcap, "%s: bind %s: %s", addr,
			    l->name, strerror(errno));
			policy_listen_free(l);
			goto fail;
		}
		/* With port 0 the kernel picked one: name the real one. */
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen < sizeof(ss) ?
		    ai->ai_addrlen : sizeof(ss));
		sslen = sizeof(ss);
		(void)getsockname(fd, (struct sockaddr *)&ss, &sslen);
		policy_listen_format_addr((struct sockaddr *)&ss, l->name,
		    sizeof(l->name));
		if ((rc = policy_listen_start(l, err, errcap)) != 0)
			goto fail;
		*port_out = ss.ss_family == AF_INET6 ?
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
		    ntohs(((struct sockaddr_in *)&ss)->sin_port);
		log_debug("policy: listening on %s", l->name);
		l->next = got;
		got = l;
	}
	freeaddrinfo(res);
	if (got == NULL) {
		err_fmt(err, errcap, "%s: no address to listen on",
		    addr);
		return ERR_NOENT;
	}
	/* All bound: hand them to the set. */
	for (l = got; l->next != NULL; l = l->next)
		;
	l->next = set->list;
	set->list = got;
	return 0;
fail:
	freeaddrinfo(res);
	while (got != NULL) {
		l = got->next;
		policy_listen_free(got);
		got = l;
	}
	return rc;
}

int
policy_listen_add(struct policy_listen_set *set, const char *addr,
    unsigned *port, char *err, size_t errcap)
{
	*port = 0;
	if (strncmp(addr, "unix:", 5) == 0)
		return policy_listen_unix(set, addr, addr + 5, err, errcap);
	return policy_listen_tcp(set, addr, port, err, errcap);
}

struct policy_listen_set *
policy_listen_set_new(struct event_base *base, policy_listen_accept_fn *fn,
    void *arg)
{
	struct policy_listen_set *set = xcalloc(1, sizeof(*set));

	if (set == NULL)
		return NULL;
	set->base = base;
	set->fn = fn;
	set->arg = arg;
	if ((set->pause_ev = evtimer_new(base, policy_listen_resume_cb,
	    set)) == NULL) {
		xfree(set);
		return NULL;
	}
	return set;
}

void
policy_listen_set_free(struct policy_listen_set *set)
{
	struct policy_listen *l;

	if (set == NULL)
		return;
	while ((l = set->list) != NULL) {
		set->list = l->next;
		policy_listen_free(l);
	}
	event_free(set->pause_ev);
	xfree(set);
}
