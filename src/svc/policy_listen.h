/*
 * policy_listen.h - the listening sockets of the policy service: parse
 * an address, bind, accept, hand each new connection to a callback.
 *
 * Internal to svc/policy.c, split out so that each file does one job:
 * this one knows addresses and sockets, policy.c knows connections and
 * the protocol.  Addresses: "HOST:PORT" (an IPv4 address or a host name;
 * every address it resolves to is bound), "[IPV6]:PORT", "*:PORT" or
 * ":PORT" (every IPv4 and IPv6 address), "unix:/path".  TCP sockets get
 * SO_REUSEADDR, IPv6 ones IPV6_V6ONLY; all are non-blocking and
 * close-on-exec with a backlog of POLICY_SVC_BACKLOG.  A unix socket
 * file left by a dead process is replaced; one that a live process
 * accepts on, or a file that is not a socket, is an error.  The socket
 * file gets mode 0666 and is removed when the set is freed, if it is
 * still the one we made.
 *
 * The listeners of a set pause together for a second when accept() runs
 * out of descriptors or memory, rather than spin on a ready listener.
 * Accepted sockets are non-blocking and close-on-exec; the callback owns
 * them.  Not thread-safe.
 */
#ifndef RG_SVC_POLICY_LISTEN_H
#define RG_SVC_POLICY_LISTEN_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct policy_listen;
struct policy_listen_set;

/*
 * policy_listen_accept_fn - a new connection fd (owned by the callee)
 * from peer sa (salen bytes) on listener lis.
 */
typedef void policy_listen_accept_fn(void *arg, const struct policy_listen *lis,
    int fd, const struct sockaddr *sa, socklen_t salen);

/*
 * policy_listen_set_new - an empty set on base (borrowed) whose
 * listeners call fn(arg, ...).  Returns NULL when out of memory.
 */
struct policy_listen_set *policy_listen_set_new(struct event_base *base,
    policy_listen_accept_fn *fn, void *arg);

/*
 * policy_listen_add - bind addr and start accepting.  *port gets the TCP
 * port bound (useful with port 0), 0 for a unix socket.  All or nothing:
 * when one address of a host name fails, none is kept.  Returns 0, or a
 * negative error with "ADDR: reason" in err.
 */
int policy_listen_add(struct policy_listen_set *set, const char *addr,
    unsigned *port, char *err, size_t errcap);

/* policy_listen_name - "127.0.0.1:10040", "[::1]:10040", "unix:/path". */
const char *policy_listen_name(const struct policy_listen *lis);

/* policy_listen_is_unix - true for a unix socket listener. */
bool policy_listen_is_unix(const struct policy_listen *lis);

/* policy_listen_format_addr - "a.b.c.d:port" or "[v6]:port" into buf. */
void policy_listen_format_addr(const struct sockaddr *sa, char *buf,
    size_t cap);

/* policy_listen_set_free - close every listener; NULL is a no-op. */
void policy_listen_set_free(struct policy_listen_set *set);

#endif
