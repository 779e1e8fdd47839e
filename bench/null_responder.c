/*
 * null_responder.c - a policy service that decides nothing: it reads each
 * request up to its empty line and answers "action=DUNNO" plus an empty
 * line.  What it reaches is this machine's ceiling for the policy
 * protocol; bench/bench_policy.sh sets relayguardd and postfwd2 against it.
 *
 *   null_responder [-a HOST:PORT | -a unix:/path]   (default 127.0.0.1:10049)
 *
 * One thread with epoll, level-triggered: with the server pinned to one
 * core (taskset in the scripts) a single event loop beats a thread per
 * connection, which pays a context switch per request.  Pipelined
 * requests are answered in order.  A request over 256 KiB (POLICY_REQ_MAX),
 * or replies the socket cannot take at once (never with one request in
 * flight), close the connection.  Runs until SIGTERM or SIGINT.  libc only.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define NR_BUF_MAX (256u << 10)
#define NR_EVENTS 256

struct nr_conn {
	int fd;
	char *buf;
	size_t len, cap;
	size_t scan;		/* where to look for the next "\n\n" */
};

static volatile sig_atomic_t nr_stop;

static void
nr_on_signal(int sig)
{
	(void)sig;
	nr_stop = 1;
}

static int
nr_listen(const char *addr)
{
	int fd, one = 1;

	if (strncmp(addr, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		if (strlen(addr + 5) >= sizeof(sun.sun_path))
			return -1;
		strcpy(sun.sun_path, addr + 5);
		unlink(sun.sun_path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			close(fd);
			return -1;
		}
	} else {
		char host[256];
		const char *colon = strrchr(addr, ':');
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		    .ai_flags = AI_PASSIVE }, *ai;
		size_t hl;

		if (colon == NULL || (hl = (size_t)(colon - addr)) >= sizeof(host))
			return -1;
		memcpy(host, addr, hl);
		host[hl] = '\0';
		if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
			return -1;
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			freeaddrinfo(ai);
			return -1;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			freeaddrinfo(ai);
			close(fd);
			return -1;
		}
		freeaddrinfo(ai);
	}
	if (listen(fd, 1024) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
nr_close(int ep, struct nr_conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->buf);
	free(c);
}

/* nr_answer - answer every whole request in c; -1 to close. */
static int
nr_answer(struct nr_conn *c)
{
	static const char reply[] = "action=DUNNO\n\n";
	char out[64 * (sizeof(reply) - 1)];
	size_t olen = 0, start = 0;
	char *p;

	while ((p = memmem(c->buf + c->scan, c->len - c->scan, "\n\n", 2)) != NULL) {
		/* A request is everything up to and including the empty line. */
		start = (size_t)(p - c->buf) + 2;
		c->scan = start;
		if (olen + sizeof(reply) - 1 > sizeof(out)) {
			if (send(c->fd, out, olen, MSG_NOSIGNAL) != (ssize_t)olen)
				return -1;
			olen = 0;
		}
		memcpy(out + olen, reply, sizeof(reply) - 1);
		olen += sizeof(reply) - 1;
	}
	if (olen > 0 && send(c->fd, out, olen, MSG_NOSIGNAL) != (ssize_t)olen)
		return -1;
	if (start > 0) {
		memmove(c->buf, c->buf + start, c->len - start);
		c->len -= start;
	}
	c->scan = c->len > 0 ? c->len - 1 : 0;
	return 0;
}

static int
nr_read(struct nr_conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->len == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 4096;
			char *nb;

			if (cap > NR_BUF_MAX || (nb = realloc(c->buf, cap)) == NULL)
				return -1;
			c->buf = nb;
			c->cap = cap;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		c->len += (size_t)n;
		if (nr_answer(c) != 0)
			return -1;
		if (c->len < c->cap)
			return 0;
	}
}

int
main(int argc, char **argv)
{
	const char *addr = "127.0.0.1:10049";
	struct epoll_event ev, events[NR_EVENTS];
	struct sigaction sa = { .sa_handler = nr_on_signal };
	int lfd, ep, c;

	while ((c = getopt(argc, argv, "a:")) != -1) {
		if (c != 'a') {
			fprintf(stderr, "usage: null_responder "
			    "[-a HOST:PORT|unix:/path]\n");
			return 2;
		}
		addr = optarg;
	}
	if ((lfd = nr_listen(addr)) < 0) {
		fprintf(stderr, "null_responder: cannot listen on %s: %s\n", addr,
		    strerror(errno));
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return 1;
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;	/* NULL: the listener */
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	fprintf(stderr, "null_responder: listening on %s\n", addr);
	while (!nr_stop) {
		int n = epoll_wait(ep, events, NR_EVENTS, 500), i;

		for (i = 0; i < n; i++) {
			struct nr_conn *conn = events[i].data.ptr;

			if (conn == NULL) {
				int one = 1, fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (fd < 0)
					continue;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				    sizeof(one));
				if ((conn = calloc(1, sizeof(*conn))) == NULL) {
					close(fd);
					continue;
				}
				conn->fd = fd;
				ev.events = EPOLLIN;
				ev.data.ptr = conn;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				continue;
			}
			if (nr_read(conn) != 0)
				nr_close(ep, conn);
		}
	}
	close(lfd);
	if (strncmp(addr, "unix:", 5) == 0)
		unlink(addr + 5);
	return 0;
}
