/*
 * feed.h - the log feed: Postfix's log lines into the daemon, from a file
 * it follows (feed.maillog) or from syslog datagrams on a unix socket
 * (feed.syslog).
 *
 * The file is followed like `tail -F`: at start the feed begins at the end
 * of the file (yesterday's lines are `relayguard replay --format
 * maillog`'s job), reads what is appended, and notices rotation (another
 * inode at the path, or the file shrinking: copytruncate) within one poll
 * interval; after a rename rotation it first drains the old file, then
 * reads the new one from its start, so no line is lost across logrotate.
 * A path that does not exist yet is waited for.
 *
 * Datagrams: one syslog message per datagram, as rsyslog's omuxsock or
 * syslog-ng's unix-dgram() destination send them; a "<PRI>" prefix is
 * left for the maillog parser, which understands it.
 *
 * Limits: a line at most FEED_LINE_MAX bytes; a longer one is dropped
 * with a warning (counted), never cut and parsed half.  The callback is
 * invoked on the event loop thread; it must not keep the line.
 */
#ifndef RG_SVC_FEED_H
#define RG_SVC_FEED_H

#include <stddef.h>
#include <stdint.h>

#define FEED_LINE_MAX (64u << 10)
#define FEED_POLL_MS 200

struct event_base;
struct feed;

/* A line without its newline, valid only during the call. */
typedef void (*feed_line_fn)(void *ctx, const char *line, size_t len);

struct feed_stats {
	uint64_t lines;
	uint64_t too_long;
	uint64_t rotations;
	uint64_t bytes;
	int64_t last_line_us;	/* wall clock of the last line, 0: none */
};

/*
 * feed_new - a feed calling fn(ctx, line, len) for each line.  maillog
 * (may be NULL) is the file to follow; syslog (may be NULL) is
 * "unix:/path" for a datagram socket (a stale socket file is replaced).
 * Returns NULL with a message in err.
 */
struct feed *feed_new(struct event_base *base, const char *maillog,
    const char *syslog_addr, feed_line_fn fn, void *ctx, char *err, size_t errcap);

/* feed_stats - counters so far. */
void feed_stats(const struct feed *feed, struct feed_stats *out);

/* feed_free - stop and close; NULL is a no-op. */
void feed_free(struct feed *feed);

#endif
