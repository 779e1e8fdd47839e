/*
 * feed.c - Postfix's log into the daemon: a followed file and/or a unix
 * datagram socket (see feed.h).
 *
 * Why polling and not inotify for the file: a poll every FEED_POLL_MS
 * costs one fstat and one stat, works on every file system (NFS log
 * hosts included) and sees both rename and copytruncate rotations the
 * same way; the feed's latency target is seconds, not milliseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "svc/feed.h"

#define FEED_READ_CHUNK (256u << 10)

struct feed {
	struct event_base *base;
	feed_line_fn fn;
	void *ctx;
	struct feed_stats st;

	/* The followed file. */
	char *path;			/* owned; NULL: none */
	int fd;				/* -1: not open (yet) */
	dev_t dev;
	ino_t ino;
	off_t off;			/* bytes consumed */
	char *buf;			/* partial line, FEED_LINE_MAX + 1 */
	size_t buf_len;
	int skipping;			/* inside an over-long line */
	struct event *ev_poll;

	/* The datagram socket. */
	char *sock_path;		/* owned; NULL: none */
	int sock_fd;
	struct event *ev_sock;
};

static void
feed_emit(struct feed *f, const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return;
	f->st.lines++;
	f->st.last_line_us = clock_now_us();
	f->fn(f->ctx, line, len);
}

/* feed_consume - split new bytes into lines, keeping a partial last one. */
static void
feed_consume(struct feed *f, const char *data, size_t len)
{
	const char *p = data, *end = data + len, *nl;

	f->st.bytes += len;
	while (p < end) {
		size_t take;

		nl = memchr(p, '\n', (size_t)(end - p));
		take = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (f->skipping) {
			if (nl)
				f->skipping = 0;
		} else if (f->buf_len + take > FEED_LINE_MAX) {
			f->st.too_long++;
			log_warn("feed: %s: a line over %u bytes; dropped", f->path,
			    FEED_LINE_MAX);
			f->buf_len = 0;
			f->skipping = nl == NULL;
		} else if (nl != NULL && f->buf_len == 0) {
			feed_emit(f, p, take);		/* the common case: no copy */
		} else {
			memcpy(f->buf + f->buf_len, p, take);
			f->buf_len += take;
			if (nl != NULL) {
				feed_emit(f, f->buf, f->buf_len);
				f->buf_len = 0;
			}
		}
		p += take + (nl ? 1 : 0);
	}
}

/* feed_drain - read the open file to its current end. */
static void
feed_drain(struct feed *f)
{
	static char chunk[FEED_READ_CHUNK];
	ssize_t n;

	while ((n = read(f->fd, chunk, sizeof(chunk))) > 0) {
		f->off += n;
		feed_consume(f, chunk, (size_t)n);
	}
	if (n < 0 && errno != EINTR && errno != EAGAIN)
		log_error("feed: %s: read: %s", f->path, strerror(errno));
}

/* feed_open - open the path; at_end: start at its end (first open). */
static int
feed_open(struct feed *f, int at_end)
{
	struct stat st;
	int fd;

	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -errno;
	}
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->off = 0;
	f->buf_len = 0;
	f->skipping = 0;
	if (at_end && lseek(fd, 0, SEEK_END) > 0)
		f->off = st.st_size;
	return 0;
}

static void
feed_poll(evutil_socket_t fd_unused, short what, void *arg)
{
	struct feed *f = arg;
	struct stat path_st, fd_st;
	int path_ok;

	(void)fd_unused;
	(void)what;
	if (f->fd < 0) {
		/* Not there at start, or gone: a new file is read from its start. */
		if (feed_open(f, 0) == 0) {
			log_info("feed: %s: following", f->path);
			feed_drain(f);
		}
		return;
	}
	feed_drain(f);
	path_ok = stat(f->path, &path_st) == 0;
	if (fstat(f->fd, &fd_st) == 0 && fd_st.st_size < f->off) {
		/* copytruncate: the same file, emptied. */
		log_info("feed: %s: truncated; reading from its start", f->path);
		f->st.rotations++;
		lseek(f->fd, 0, SEEK_SET);
		f->off = 0;
		f->buf_len = 0;
		feed_drain(f);
		return;
	}
	if (!path_ok || path_st.st_dev != f->dev || path_st.st_ino != f->ino) {
		/* Renamed away: the old file is drained above; switch. */
		close(f->fd);
		f->fd = -1;
		if (f->buf_len > 0) {
			feed_emit(f, f->buf, f->buf_len);	/* a last line without newline */
			f->buf_len = 0;
		}
		f->st.rotations++;
		if (path_ok && feed_open(f, 0) == 0) {
			log_info("feed: %s: rotated; following the new file", f->path);
			feed_drain(f);
		}
	}
}

static void
feed_sock_read(evutil_socket_t fd, short what, void *arg)
{
	static char dgram[FEED_LINE_MAX + 2];
	struct feed *f = arg;
	int i;

	(void)what;
	/* A bounded batch per wakeup keeps the loop fair to the other services. */
	for (i = 0; i < 256; i++) {
		ssize_t n = recv(fd, dgram, sizeof(dgram), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0)
			break;
		if ((size_t)n > FEED_LINE_MAX) {
			f->st.too_long++;
			log_warn("feed: %s: a datagram of %zd bytes; dropped",
			    f->sock_path, n);
			continue;
		}
		f->st.bytes += (uint64_t)n;
		while (n > 0 && (dgram[n - 1] == '\n' || dgram[n - 1] == '\0'))
			n--;
		feed_emit(f, dgram, (size_t)n);
	}
}

static int
feed_sock_open(struct feed *f, const char *addr, char *err, size_t errcap)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path;
	int fd, rcvbuf = 4 << 20;

	if (strncmp(addr, "unix:", 5) != 0) {
		snprintf(err, errcap, "feed.syslog: %s: want unix:/path", addr);
		return ERR_INVAL;
	}
	path = addr + 5;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errcap, "feed.syslog: %s: path too long", addr);
		return ERR_INVAL;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		snprintf(err, errcap, "feed.syslog: socket: %s", strerror(errno));
		return -errno;
	}
	(void)unlink(path);	/* datagram sockets have no listener to ask */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;

		snprintf(err, errcap, "feed.syslog: %s: bind: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	(void)chmod(path, 0666);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	f->sock_fd = fd;
	if ((f->sock_path = xstrdup(path)) == NULL ||
	    (f->ev_sock = event_new(f->base, fd, EV_READ | EV_PERSIST,
	    feed_sock_read, f)) == NULL) {
		snprintf(err, errcap, "feed.syslog: out of memory");
		return ERR_NOMEM;
	}
	event_add(f->ev_sock, NULL);
	return 0;
}

struct feed *
feed_new(struct event_base *base, const char *maillog, const char *syslog_addr,
    feed_line_fn fn, void *ctx, char *err, size_t errcap)
{
	struct timeval poll_tv = { 0, FEED_POLL_MS * 1000 };
	struct feed *f;

	if ((f = xcalloc(1, sizeof(*f))) == NULL) {
		snprintf(err, errcap, "feed: out of memory");
		return NULL;
	}
	f->base = base;
	f->fn = fn;
	f->ctx = ctx;
	f->fd = -1;
	f->sock_fd = -1;
	if (maillog != NULL) {
		if ((f->path = xstrdup(maillog)) == NULL ||
		    (f->buf = xmalloc(FEED_LINE_MAX + 1)) == NULL ||
		    (f->ev_poll = event_new(base, -1, EV_PERSIST, feed_poll, f)) == NULL) {
			snprintf(err, errcap, "feed: out of memory");
			feed_free(f);
			return NULL;
		}
		if (feed_open(f, 1) != 0)
			log_warn("feed: %s: not there yet; waiting for it", maillog);
		event_add(f->ev_poll, &poll_tv);
	}
	if (syslog_addr != NULL && feed_sock_open(f, syslog_addr, err, errcap) != 0) {
		feed_free(f);
		return NULL;
	}
	return f;
}

void
feed_stats(const struct feed *f, struct feed_stats *out)
{
	*out = f->st;
}

void
feed_free(struct feed *f)
{
	if (f == NULL)
		return;
	if (f->ev_poll != NULL)
		event_free(f->ev_poll);
	if (f->ev_sock != NULL)
		event_free(f->ev_sock);
	if (f->fd >= 0)
		close(f->fd);
	if (f->sock_fd >= 0)
		close(f->sock_fd);
	if (f->sock_path != NULL)
		(void)unlink(f->sock_path);
	xfree(f->sock_path);
	xfree(f->path);
	xfree(f->buf);
	xfree(f);
}
