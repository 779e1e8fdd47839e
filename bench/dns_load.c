/*
 * dns_load.c - a UDP DNS load generator with recvmmsg/sendmmsg batching,
 * for bench/bench_dns.sh and the reload-under-load test.
 *
 *   dns_load -s HOST:PORT -q NAMES [-t SECONDS] [-w WINDOW] [-T TYPE] [-r QPS]
 *   dns_load -s HOST:PORT -q NAMES -P [-t SECONDS]
 *
 * Keeps WINDOW queries (default 512) in flight, each a name from the file
 * NAMES (one per line, used round-robin) asked as type A (or TXT with
 * -T 16).  With -r it offers at most QPS queries per second (an open
 * loop paced on the clock, still capped by WINDOW), so that a server
 * that keeps up answers everything and its CPU use can be compared at
 * the same offered load.  A query not answered within 2 s is lost.
 * Prints one line:
 *
 *   sent=N answered=N lost=N qps=N p50_us=N p99_us=N noerror=N nxdomain=N other=N
 *
 * With -P it only probes: one query every millisecond until the first
 * answer (or SECONDS), then prints "answer_at=S.NNNNNNNNN" (the wall
 * clock), so that a script can time a server from its start to its first
 * answer with a resolution of about 1 ms (dig in a loop: 10-20 ms).
 *
 * Why its own generator: dnsperf saturates its own core before it
 * saturates rbldnsd on the other one; this one batches 64 datagrams per
 * system call each way.  Single-threaded; IPv4 servers only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto/dns_msg.h"

#define BATCH 64
#define SLOTS 65536
#define TIMEOUT_NS 2000000000LL

struct slot {
	int64_t sent_ns;		/* 0: free */
};

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* run_probe - ask every 1 ms until an answer; print when it came. */
static int
run_probe(int fd, const uint8_t *name, size_t name_len, unsigned qtype,
    double seconds)
{
	uint8_t q[512], r[4096];
	int64_t end = mono_ns() + (int64_t)(seconds * 1e9);
	struct timespec ts;
	uint16_t id = 1;
	int len;

	while (mono_ns() < end) {
		int64_t wait_end = mono_ns() + 1000000;

		len = dns_msg_build_query(q, sizeof(q), id, name, name_len,
		    (uint16_t)qtype, DNS_CLASS_IN, 0);
		(void)send(fd, q, (size_t)len, 0);	/* refused until it listens */
		while (mono_ns() < wait_end) {
			ssize_t n = recv(fd, r, sizeof(r), MSG_DONTWAIT);

			if (n >= DNS_MSG_HDR_LEN && dns_msg_get16(r) == id) {
				clock_gettime(CLOCK_REALTIME, &ts);
				printf("answer_at=%lld.%09ld\n", (long long)ts.tv_sec,
				    ts.tv_nsec);
				return 0;
			}
			if (n < 0 && errno != EAGAIN && errno != ECONNREFUSED)
				break;
			if (n < 0) {
				struct timespec d = { 0, 50000 };

				nanosleep(&d, NULL);
			}
		}
		id++;
	}
	fprintf(stderr, "dns_load: no answer within %.0f s\n", seconds);
	return 1;
}

int
main(int argc, char **argv)
{
	const char *server = NULL, *names_path = NULL;
	double seconds = 5;
	unsigned window = 512, qtype = DNS_TYPE_A;
	double rate = 0;
	int probe = 0;
	struct sockaddr_in sa;
	uint8_t (*names)[DNS_MSG_NAME_MAX] = NULL;
	uint8_t *name_len = NULL;
	size_t n_names = 0, cap_names = 0, next_name = 0;
	struct slot *slots = calloc(SLOTS, sizeof(*slots));
	uint32_t *lat = NULL;
	size_t n_lat = 0, cap_lat = 0;
	uint64_t sent = 0, answered = 0, lost = 0, rc_noerr = 0, rc_nx = 0, rc_other = 0;
	unsigned inflight = 0, next_id = 0;
	static uint8_t qbuf[BATCH][512], rbuf[BATCH][4096];
	struct mmsghdr qm[BATCH], rm[BATCH];
	struct iovec qi[BATCH], ri[BATCH];
	char line[1024];
	FILE *f;
	int c, fd;
	int64_t start, end, last_sweep;
	char *colon;

	while ((c = getopt(argc, argv, "s:q:t:w:T:r:P")) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'q': names_path = optarg; break;
		case 't': seconds = atof(optarg); break;
		case 'w': window = (unsigned)atoi(optarg); break;
		case 'T': qtype = (unsigned)atoi(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'P': probe = 1; break;
		default: goto usage;
		}
	}
	if (server == NULL || names_path == NULL || window == 0 || window > 60000 ||
	    rate < 0)
		goto usage;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	if ((colon = strrchr(server, ':')) == NULL)
		goto usage;
	*colon = '\0';
	if (inet_pton(AF_INET, server, &sa.sin_addr) != 1)
		goto usage;
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if ((f = fopen(names_path, "r")) == NULL) {
		perror(names_path);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t l = strcspn(line, "\r\n");
		int n;

		if (l == 0)
			continue;
		if (n_names == cap_names) {
			cap_names = cap_names ? cap_names * 2 : 1024;
			names = realloc(names, cap_names * sizeof(*names));
			name_len = realloc(name_len, cap_names);
			if (names == NULL || name_len == NULL)
				return 1;
		}
		if ((n = dns_msg_name_from_text(line, l, names[n_names])) < 0)
			continue;
		name_len[n_names++] = (uint8_t)n;
	}
	fclose(f);
	if (n_names == 0 || slots == NULL) {
		fprintf(stderr, "dns_load: no names\n");
		return 1;
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("socket");
		return 1;
	}
	{
		int buf = 8 << 20;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	}
	if (probe)
		return run_probe(fd, names[0], name_len[0], qtype, seconds);
	for (c = 0; c < BATCH; c++) {
		qi[c].iov_base = qbuf[c];
		ri[c].iov_base = rbuf[c];
		ri[c].iov_len = sizeof(rbuf[c]);
		memset(&qm[c], 0, sizeof(qm[c]));
		memset(&rm[c], 0, sizeof(rm[c]));
		qm[c].msg_hdr.msg_iov = &qi[c];
		qm[c].msg_hdr.msg_iovlen = 1;
		rm[c].msg_hdr.msg_iov = &ri[c];
		rm[c].msg_hdr.msg_iovlen = 1;
	}
	start = last_sweep = mono_ns();
	end = start + (int64_t)(seconds * 1e9);
	for (;;) {
		int64_t now = mono_ns();
		unsigned nq = 0;
		uint64_t allowed = UINT64_MAX;
		int r, k;

		if (rate > 0)
			allowed = (uint64_t)((double)(now - start) * rate / 1e9) + 1;
		/* Fill the window, unless the time is up or the rate is reached. */
		while (now < end && inflight < window && nq < BATCH &&
		    sent + nq < allowed) {
			unsigned id;
			int len;

			for (k = 0; k < SLOTS && slots[next_id].sent_ns != 0; k++)
				next_id = (next_id + 1) % SLOTS;
			id = next_id;
			next_id = (next_id + 1) % SLOTS;
			len = dns_msg_build_query(qbuf[nq], sizeof(qbuf[nq]), (uint16_t)id,
			    names[next_name], name_len[next_name], (uint16_t)qtype,
			    DNS_CLASS_IN, 0);
			next_name = (next_name + 1) % n_names;
			qi[nq].iov_len = (size_t)len;
			slots[id].sent_ns = now;
			inflight++;
			nq++;
		}
		if (nq > 0) {
			unsigned done = 0;

			while (done < nq) {
				r = sendmmsg(fd, qm + done, nq - done, 0);
				if (r < 0) {
					if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS)
						continue;
					perror("sendmmsg");
					return 1;
				}
				done += (unsigned)r;
			}
			sent += nq;
		}
		if (now >= end && inflight == 0)
			break;
		r = recvmmsg(fd, rm, BATCH, MSG_DONTWAIT, NULL);
		if (r <= 0) {
			struct timespec ts = { 0, 20000 };

			if (now >= end || inflight >= window ||
			    (rate > 0 && sent >= allowed))
				nanosleep(&ts, NULL);
		}
		now = mono_ns();
		for (k = 0; k < r; k++) {
			uint16_t id;
			unsigned rc;

			if (rm[k].msg_len < DNS_MSG_HDR_LEN)
				continue;
			id = dns_msg_get16(rbuf[k]);
			if (slots[id].sent_ns == 0)
				continue;	/* late, already counted lost */
			if (n_lat == cap_lat) {
				cap_lat = cap_lat ? cap_lat * 2 : 1 << 20;
				if ((lat = realloc(lat, cap_lat * sizeof(*lat))) == NULL)
					return 1;
			}
			lat[n_lat++] = (uint32_t)((now - slots[id].sent_ns) / 1000);
			slots[id].sent_ns = 0;
			inflight--;
			answered++;
			rc = rbuf[k][3] & 0xf;
			if (rc == 0)
				rc_noerr++;
			else if (rc == 3)
				rc_nx++;
			else
				rc_other++;
		}
		if (now - last_sweep > 100000000LL) {
			unsigned s;

			for (s = 0; s < SLOTS; s++)
				if (slots[s].sent_ns != 0 && now - slots[s].sent_ns > TIMEOUT_NS) {
					slots[s].sent_ns = 0;
					inflight--;
					lost++;
				}
			last_sweep = now;
		}
	}
	qsort(lat, n_lat, sizeof(*lat), cmp_u32);
	printf("sent=%llu answered=%llu lost=%llu qps=%.0f p50_us=%u p99_us=%u "
	    "noerror=%llu nxdomain=%llu other=%llu\n",
	    (unsigned long long)sent, (unsigned long long)answered,
	    (unsigned long long)lost, (double)answered / seconds,
	    n_lat ? lat[n_lat / 2] : 0, n_lat ? lat[n_lat * 99 / 100] : 0,
	    (unsigned long long)rc_noerr, (unsigned long long)rc_nx,
	    (unsigned long long)rc_other);
	free(lat);
	free(names);
	free(name_len);
	free(slots);
	return 0;
usage:
	fprintf(stderr, "usage: dns_load -s HOST:PORT -q NAMES [-t SECONDS] [-w WINDOW] [-T TYPE] [-r QPS]\n"
	    "       dns_load -s HOST:PORT -q NAMES -P [-t SECONDS]\n");
	return 2;
}
