/*
 * policy_load.c - a load generator for Postfix policy services.
 *
 * It behaves like N Postfix smtpd processes: N persistent connections,
 * one thread each, every thread sending a request and waiting for its
 * answer before the next one (an smtpd waits for the policy verdict).
 * Each request is the full 29-attribute RCPT request Postfix 3.7 sends
 * (SMTPD_POLICY_README), about 700 bytes, for one of CUSTOMERS distinct
 * customers taken in turn: sasl_username u0..u(N-1), client_address
 * rotating through 100.64.0.0/10, and a distinct instance per request
 * (each request is a new one-recipient message).
 *
 *   policy_load [-c CONC] [-d SECONDS | -r REQUESTS] [-w WARMUP_S]
 *               [-n CUSTOMERS] [-o FIRST] [-a HOST:PORT | -a unix:/path]
 *
 * Output, one line on stdout:
 *   conc=8 requests=N seconds=S rps=R p50_us=A p99_us=B p999_us=C errors=E sent=T
 * (sent: every request answered, the warm-up's too, so that a script can
 * divide the server's CPU time by it) and on stderr the request size and
 * a tally of the actions answered.
 * Only requests started and answered inside the measured window count;
 * the warm-up (-w, default 1 s; 0 with -r) is sent but not counted.
 * With -r the run stops after REQUESTS measured requests, so that
 * `-n 1000000 -r 1000000 -w 0` sends every customer exactly once.
 *
 * Latencies come from clock_gettime(CLOCK_MONOTONIC) around each round
 * trip and go into a per-thread log-linear histogram (nanoseconds, 128
 * sub-buckets per power of two: under 0.8 % error, 36 KiB a thread), so
 * percentiles of millions of samples need no sorting and no big memory.
 *
 * An error (connect failure, timeout of 5 s, short or unexpected reply)
 * is counted, the connection is closed and made again after 10 ms.
 * Limits: CONC at most 4096; replies up to 4 KiB.  libc and pthreads.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PL_CONC_MAX 4096
#define PL_REQ_MAX 2048
#define PL_REPLY_MAX 4096
#define PL_SUB_BITS 7
#define PL_SUB (1u << PL_SUB_BITS)
#define PL_LINEAR (2u * PL_SUB)			/* exact below 256 ns */
#define PL_BUCKETS (PL_LINEAR + 40u * PL_SUB)	/* up to 2^48 ns */
#define PL_ACTIONS 8

struct pl_hist {
	uint64_t n[PL_BUCKETS];
};

struct pl_action {
	char name[24];
	uint64_t count;
};

struct pl_thread {
	pthread_t tid;
	unsigned id;
	struct pl_hist hist;
	uint64_t requests;	/* measured */
	uint64_t errors;	/* measured */
	uint64_t sent;		/* answered, warm-up included */
	struct pl_action actions[PL_ACTIONS];
	size_t req_len;
};

static struct {
	unsigned conc;
	double duration_s;
	double warmup_s;
	uint64_t count;		/* -r: measured requests, 0: by duration */
	uint64_t customers;
	uint64_t first;		/* -o: first customer number */
	const char *addr;
	struct sockaddr_storage sa;
	socklen_t salen;
} opt = { 8, 10, -1, 0, 100000, 0, "127.0.0.1:10040", { 0 }, 0 };

static atomic_int pl_measuring;		/* 1 inside the window */
static atomic_int pl_stop;
static atomic_uint_fast64_t pl_seq;	/* message sequence: customer, instance */
static atomic_uint_fast64_t pl_tickets;	/* measured requests given out (-r) */

static uint64_t
pl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned
pl_bucket(uint64_t v)
{
	unsigned e;

	if (v < PL_LINEAR)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);	/* >= PL_SUB_BITS + 1 */
	if (e - PL_SUB_BITS - 1 >= 40)
		return PL_BUCKETS - 1;
	return PL_LINEAR + (e - PL_SUB_BITS - 1) * PL_SUB +
	    (unsigned)((v >> (e - PL_SUB_BITS)) & (PL_SUB - 1));
}

/* pl_bucket_value - the middle of bucket b, in nanoseconds. */
static double
pl_bucket_value(unsigned b)
{
	unsigned e;
	double lo, width;

	if (b < PL_LINEAR)
		return b;
	e = (b - PL_LINEAR) / PL_SUB + PL_SUB_BITS + 1;
	width = (double)(1ull << (e - PL_SUB_BITS));
	lo = (double)(1ull << e) + (double)((b - PL_LINEAR) % PL_SUB) * width;
	return lo + width / 2;
}

static double
pl_percentile_us(const struct pl_hist *h, uint64_t total, double q)
{
	uint64_t rank = (uint64_t)(q * (double)total + 0.999999), seen = 0;
	unsigned b;

	if (total == 0)
		return 0;
	if (rank < 1)
		rank = 1;
	for (b = 0; b < PL_BUCKETS; b++) {
		seen += h->n[b];
		if (seen >= rank)
			return pl_bucket_value(b) / 1000.0;
	}
	return pl_bucket_value(PL_BUCKETS - 1) / 1000.0;
}

static int
pl_parse_addr(const char *text)
{
	if (strncmp(text, "unix:", 5) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&opt.sa;

		if (strlen(text + 5) >= sizeof(sun->sun_path))
			return -1;
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, text + 5);
		opt.salen = sizeof(*sun);
		return 0;
	} else {
		char host[256];
		const char *colon = strrchr(text, ':');
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
		size_t hl;

		if (colon == NULL || (hl = (size_t)(colon - text)) >= sizeof(host))
			return -1;
		memcpy(host, text, hl);
		host[hl] = '\0';
		if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
			memmove(host, host + 1, hl - 2);
			host[hl - 2] = '\0';
		}
		if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
			return -1;
		memcpy(&opt.sa, ai->ai_addr, ai->ai_addrlen);
		opt.salen = ai->ai_addrlen;
		freeaddrinfo(ai);
		return 0;
	}
}

static int
pl_connect(void)
{
	struct timeval tv = { 5, 0 };
	int one = 1;
	int fd = socket(opt.sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (opt.sa.ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&opt.sa, opt.salen) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* pl_request - the RCPT request for message seq; returns its length. */
static size_t
pl_request(char *buf, size_t cap, uint64_t seq, unsigned thread)
{
	uint64_t cust = opt.first + seq % opt.customers;
	uint32_t ip = (100u << 24) | (64u << 16) | (uint32_t)(cust & 0x3fffff);
	int n;

	n = snprintf(buf, cap,
	    "request=smtpd_access_policy\n"
	    "protocol_state=RCPT\n"
	    "protocol_name=ESMTP\n"
	    "helo_name=desktop-%05llx.home.example.net\n"
	    "queue_id=4X%010llX\n"
	    "sender=u%llu@customers.example.net\n"
	    "recipient=friend%llu@mail.example.org\n"
	    "recipient_count=0\n"
	    "client_address=%u.%u.%u.%u\n"
	    "client_name=cpe-%u-%u-%u-%u.dyn.broadband.example.net\n"
	    "reverse_client_name=cpe-%u-%u-%u-%u.dyn.broadband.example.net\n"
	    "instance=%x.%llx.%x\n"
	    "sasl_method=PLAIN\n"
	    "sasl_username=u%llu\n"
	    "sasl_sender=\n"
	    "size=%llu\n"
	    "ccert_subject=\n"
	    "ccert_issuer=\n"
	    "ccert_fingerprint=\n"
	    "ccert_pubkey_fingerprint=\n"
	    "encryption_protocol=TLSv1.3\n"
	    "encryption_cipher=TLS_AES_256_GCM_SHA384\n"
	    "encryption_keysize=256\n"
	    "etrn_domain=\n"
	    "stress=\n"
	    "client_port=%u\n"
	    "policy_context=submission\n"
	    "server_address=192.0.2.25\n"
	    "server_port=587\n"
	    "compatibility_level=3.6\n"
	    "mail_version=3.7.11\n"
	    "\n",
	    (unsigned long long)(cust & 0xfffff),
	    (unsigned long long)(seq * 2654435761u & 0xffffffffffull),
	    (unsigned long long)cust,
	    (unsigned long long)(seq % 9973),
	    ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255,
	    ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255,
	    ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255,
	    1000u + thread, (unsigned long long)seq, (unsigned)(seq & 0xff),
	    (unsigned long long)cust,
	    (unsigned long long)(2048 + seq % 60000),
	    (unsigned)(20000 + seq % 40000));
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static int
pl_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* pl_read_reply - read up to the empty line; the reply is NUL-terminated. */
static int
pl_read_reply(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	for (;;) {
		ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (len >= 2 && buf[len - 1] == '\n' && buf[len - 2] == '\n')
			break;
		if (len + 1 >= cap)
			return -1;
	}
	/* One request in flight: anything after the empty line is an error. */
	if (strncmp(buf, "action=", 7) != 0 || strstr(buf, "\n\n") != buf + len - 2)
		return -1;
	return 0;
}

static void
pl_tally(struct pl_thread *t, const char *reply)
{
	const char *a = reply + 7;
	size_t len = strcspn(a, " \n"), i;

	if (len >= sizeof(t->actions[0].name))
		len = sizeof(t->actions[0].name) - 1;
	for (i = 0; i < PL_ACTIONS; i++) {
		if (t->actions[i].name[0] == '\0') {
			memcpy(t->actions[i].name, a, len);
			t->actions[i].name[len] = '\0';
		}
		if (strlen(t->actions[i].name) == len &&
		    strncmp(t->actions[i].name, a, len) == 0) {
			t->actions[i].count++;
			return;
		}
	}
}

static void *
pl_run(void *arg)
{
	struct pl_thread *t = arg;
	char req[PL_REQ_MAX], reply[PL_REPLY_MAX];
	int fd = -1;

	while (!atomic_load(&pl_stop)) {
		uint64_t seq, t0, t1;
		int measured, ok;
		size_t len;

		if (fd < 0 && (fd = pl_connect()) < 0) {
			if (atomic_load(&pl_measuring))
				t->errors++;
			usleep(10000);
			continue;
		}
		measured = atomic_load(&pl_measuring);
		if (measured && opt.count > 0 &&
		    atomic_fetch_add(&pl_tickets, 1) >= opt.count) {
			atomic_store(&pl_stop, 1);
			break;
		}
		seq = atomic_fetch_add(&pl_seq, 1);
		len = pl_request(req, sizeof(req), seq, t->id);
		t->req_len = len;
		t0 = pl_now_ns();
		ok = len > 0 && pl_write_all(fd, req, len) == 0 &&
		    pl_read_reply(fd, reply, sizeof(reply)) == 0;
		t1 = pl_now_ns();
		/* Count it only when the window was open at both ends. */
		if (opt.count == 0)
			measured = measured && atomic_load(&pl_measuring);
		if (!ok) {
			if (measured)
				t->errors++;
			close(fd);
			fd = -1;
			usleep(10000);
			continue;
		}
		t->sent++;
		if (measured) {
			t->hist.n[pl_bucket(t1 - t0)]++;
			t->requests++;
			pl_tally(t, reply);
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void
pl_usage(void)
{
	fprintf(stderr, "usage: policy_load [-c CONC] [-d SECONDS | -r REQUESTS] "
	    "[-w WARMUP_S] [-n CUSTOMERS] [-o FIRST] [-a HOST:PORT|unix:/path]\n");
	exit(2);
}

static void
pl_sleep(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
main(int argc, char **argv)
{
	static struct pl_hist all;
	struct pl_thread *th;
	struct pl_action acts[PL_ACTIONS * 4];
	uint64_t requests = 0, errors = 0, sent = 0, start, end;
	size_t nacts = 0, i, j, k;
	double secs;
	int c;

	while ((c = getopt(argc, argv, "c:d:r:w:n:o:a:h")) != -1) {
		switch (c) {
		case 'c':
			opt.conc = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			opt.duration_s = strtod(optarg, NULL);
			break;
		case 'r':
			opt.count = strtoull(optarg, NULL, 10);
			break;
		case 'w':
			opt.warmup_s = strtod(optarg, NULL);
			break;
		case 'n':
			opt.customers = strtoull(optarg, NULL, 10);
			break;
		case 'o':
			opt.first = strtoull(optarg, NULL, 10);
			break;
		case 'a':
			opt.addr = optarg;
			break;
		default:
			pl_usage();
		}
	}
	if (optind != argc || opt.conc < 1 || opt.conc > PL_CONC_MAX ||
	    opt.customers < 1 || (opt.count == 0 && opt.duration_s <= 0))
		pl_usage();
	if (opt.warmup_s < 0)
		opt.warmup_s = opt.count > 0 ? 0 : 1;
	if (pl_parse_addr(opt.addr) != 0) {
		fprintf(stderr, "policy_load: bad address %s\n", opt.addr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((th = calloc(opt.conc, sizeof(*th))) == NULL)
		return 1;
	/* Without a warm-up every request counts, the first one included. */
	start = pl_now_ns();
	if (opt.warmup_s <= 0)
		atomic_store(&pl_measuring, 1);
	for (i = 0; i < opt.conc; i++) {
		th[i].id = (unsigned)i;
		if (pthread_create(&th[i].tid, NULL, pl_run, &th[i]) != 0) {
			fprintf(stderr, "policy_load: pthread_create failed\n");
			return 1;
		}
	}
	if (opt.warmup_s > 0) {
		pl_sleep(opt.warmup_s);
		start = pl_now_ns();
		atomic_store(&pl_measuring, 1);
	}
	if (opt.count == 0) {
		pl_sleep(opt.duration_s);
		atomic_store(&pl_measuring, 0);
		end = pl_now_ns();
		atomic_store(&pl_stop, 1);
		for (i = 0; i < opt.conc; i++)
			pthread_join(th[i].tid, NULL);
	} else {
		for (i = 0; i < opt.conc; i++)
			pthread_join(th[i].tid, NULL);
		end = pl_now_ns();
	}
	secs = (double)(end - start) / 1e9;
	for (i = 0; i < opt.conc; i++) {
		for (k = 0; k < PL_BUCKETS; k++)
			all.n[k] += th[i].hist.n[k];
		requests += th[i].requests;
		errors += th[i].errors;
		sent += th[i].sent;
		for (j = 0; j < PL_ACTIONS && th[i].actions[j].name[0]; j++) {
			for (k = 0; k < nacts; k++)
				if (strcmp(acts[k].name, th[i].actions[j].name) == 0)
					break;
			if (k == nacts) {
				if (nacts == sizeof(acts) / sizeof(acts[0]))
					continue;
				acts[nacts] = th[i].actions[j];
				acts[nacts++].count = 0;
			}
			acts[k].count += th[i].actions[j].count;
		}
	}
	fprintf(stderr, "policy_load: %s request_bytes=%zu actions:", opt.addr,
	    th[0].req_len);
	for (k = 0; k < nacts; k++)
		fprintf(stderr, " %s=%llu", acts[k].name,
		    (unsigned long long)acts[k].count);
	fprintf(stderr, "\n");
	printf("conc=%u requests=%llu seconds=%.2f rps=%.0f p50_us=%.1f "
	    "p99_us=%.1f p999_us=%.1f errors=%llu sent=%llu\n", opt.conc,
	    (unsigned long long)requests, secs, secs > 0 ? (double)requests / secs : 0,
	    pl_percentile_us(&all, requests, 0.50),
	    pl_percentile_us(&all, requests, 0.99),
	    pl_percentile_us(&all, requests, 0.999), (unsigned long long)errors,
	    (unsigned long long)sent);
	free(th);
	return 0;
}
