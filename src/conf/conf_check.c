/*
 * conf_check.c - checks of single configuration values (conf_check.h).
 *
 * Written against the documents the values go to: listen addresses as
 * sockets take them (a unix path fits sun_path), Postfix actions as
 * access(5) lists them, DNS names as RFC 1035 section 2.3.4 bounds them,
 * SOA fields as RFC 1035 section 3.3.13 orders them.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf/conf_check.h"
#include "lib/ipaddr.h"
#include "lib/err.h"
#include "proto/policy_req.h"

#define CONF_DNSNAME_MAX 253
#define CONF_TXT_MAX 255	/* one DNS character-string */
#define CONF_UNIX_PATH_MAX 107	/* sizeof(sun_path) - 1 on Linux */

const char *const conf_check_dataset_types[] = { "detection", "ip4set",
	"ip4trie", "ip6trie", "dnset", NULL };

static int conf_why(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
conf_why(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return -1;
}

bool
conf_check_hostname(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > CONF_DNSNAME_MAX + 1)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	/* One trailing dot (the root) is fine; otherwise len is the name. */
	return s[len - 1] == '.' || len <= CONF_DNSNAME_MAX;
}

int
conf_check_inet_addr(const char *s, size_t len, char *why, size_t cap)
{
	const char *colon, *host = s;
	struct ipaddr ip;
	size_t hlen, i;
	unsigned long port = 0;

	if (len >= 5 && memcmp(s, "unix:", 5) == 0)
		return conf_why(why, cap, "this listener cannot be a unix socket");
	if (len > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', len);

		if (rb == NULL || rb + 1 >= s + len || rb[1] != ':')
			return conf_why(why, cap, "want [IPv6]:PORT");
		if (ipaddr_parse(s + 1, (size_t)(rb - s - 1), &ip) != 0 ||
		    memchr(s + 1, ':', (size_t)(rb - s - 1)) == NULL)
			return conf_why(why, cap, "not an IPv6 address in [ ]");
		colon = rb + 1;
	} else {
		if ((colon = memrchr(s, ':', len)) == NULL)
			return conf_why(why, cap, "want HOST:PORT, [IPv6]:PORT "
			    "or unix:/path");
		hlen = (size_t)(colon - host);
		if (memchr(host, ':', hlen) != NULL)
			return conf_why(why, cap, "an IPv6 address goes in "
			    "brackets: [::1]:PORT");
		if (hlen == 0)
			return conf_why(why, cap, "no host before the port");
		if (ipaddr_parse(host, hlen, &ip) != 0 &&
		    !conf_check_hostname(host, hlen))
			return conf_why(why, cap, "not an IPv4 address or host "
			    "name");
	}
	for (i = (size_t)(colon + 1 - s); i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || port > 65535)
			return conf_why(why, cap, "the port is not a number "
			    "from 1 to 65535");
		port = port * 10 + (unsigned long)(s[i] - '0');
	}
	if (port == 0 || port > 65535 || (size_t)(colon + 1 - s) == len)
		return conf_why(why, cap, "the port is not a number from 1 to "
		    "65535");
	return 0;
}

int
conf_check_addr(const char *s, size_t len, char *why, size_t cap)
{
	if (len >= 5 && memcmp(s, "unix:", 5) == 0) {
		if (len == 5)
			return conf_why(why, cap, "no path after unix:");
		if (len - 5 > CONF_UNIX_PATH_MAX)
			return conf_why(why, cap, "a unix socket path is at most "
			    "%d bytes", CONF_UNIX_PATH_MAX);
		return conf_check_path(s + 5, len - 5, why, cap);
	}
	return conf_check_inet_addr(s, len, why, cap);
}

int
conf_check_attr(const char *s, size_t len, char *why, size_t cap)
{
	if (policy_attr_lookup(s, len) < 0)
		return conf_why(why, cap, "not a policy attribute that Postfix "
		    "sends (like sasl_username, client_address, sender)");
	return 0;
}

/*
 * The actions of Postfix's access(5) that a policy service may answer:
 * the answer on an internal failure must be one Postfix understands.
 */
int
conf_check_action(const char *s, size_t len, char *why, size_t cap)
{
	static const struct {
		const char *word;
		int text;	/* 0 no text, 1 optional, 2 required */
	} words[] = {
		{ "DUNNO", 0 }, { "OK", 0 }, { "DEFER_IF_PERMIT", 1 },
		{ "DEFER_IF_REJECT", 1 }, { "DEFER", 1 }, { "REJECT", 1 },
		{ "HOLD", 1 }, { "WARN", 1 }, { "INFO", 1 }, { "DISCARD", 1 },
		{ "PREPEND", 2 },
	};
	size_t wlen = strcspn(s, " \t"), i;
	const char *text = s + wlen;

	while (*text == ' ' || *text == '\t')
		text++;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return conf_why(why, cap, "control character in an action");
	if (len > POLICY_REPLY_MAX - sizeof("action=\n\n"))
		return conf_why(why, cap, "longer than %zu bytes",
		    POLICY_REPLY_MAX - sizeof("action=\n\n"));
	/* "450 4.7.1 text" or "550 ...": a numeric SMTP reply code. */
	if (wlen == 3 && (s[0] == '4' || s[0] == '5') && s[1] >= '0' &&
	    s[1] <= '9' && s[2] >= '0' && s[2] <= '9')
		return 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].word) != wlen ||
		    strncasecmp(words[i].word, s, wlen) != 0)
			continue;
		if (words[i].text == 0 && *text != '\0')
			return conf_why(why, cap, "%s takes no text",
			    words[i].word);
		if (words[i].text == 2 && strchr(text, ':') == NULL)
			return conf_why(why, cap, "PREPEND needs a header "
			    "(PREPEND Name: value)");
		return 0;
	}
	return conf_why(why, cap, "not a Postfix action (DUNNO, OK, "
	    "DEFER_IF_PERMIT text, REJECT text, HOLD text, WARN text, "
	    "PREPEND header, 4NN/5NN text)");
}

int
conf_check_dnsname(const char *s, size_t len, char *why, size_t cap)
{
	if (!conf_check_hostname(s, len))
		return conf_why(why, cap, "not a DNS name (labels of letters, "
		    "digits, - and _, up to 63 bytes each, 253 in all)");
	return 0;
}

int
conf_check_ip_or_prefix(const char *s, size_t len, char *why, size_t cap)
{
	struct ipprefix p;
	int rc = ipprefix_parse(s, len, &p);

	if (rc == ERR_INVAL)
		return conf_why(why, cap, "host bits set after the prefix length "
		    "(did you mean the network address?)");
	if (rc != 0)
		return conf_why(why, cap, "not an IP address or prefix "
		    "(ADDRESS/LENGTH)");
	return 0;
}

int
conf_check_ipv4(const char *s, size_t len, char *why, size_t cap)
{
	struct in_addr a;

	(void)len;
	if (inet_pton(AF_INET, s, &a) != 1)
		return conf_why(why, cap, "not an IPv4 address (like 127.0.0.2)");
	return 0;
}

int
conf_check_dataset_type(const char *s, size_t len, char *why, size_t cap)
{
	char list[128];

	(void)len;
	if (conf_check_word(conf_check_dataset_types, s) < 0)
		return conf_why(why, cap, "not one of %s",
		    conf_check_word_list(conf_check_dataset_types, list, sizeof(list)));
	return 0;
}

int
conf_check_txt(const char *s, size_t len, char *why, size_t cap)
{
	(void)s;
	if (len > CONF_TXT_MAX)
		return conf_why(why, cap, "longer than %d bytes (one TXT string)",
		    CONF_TXT_MAX);
	return 0;
}

/* "MNAME RNAME [SERIAL REFRESH RETRY EXPIRE MINIMUM]" (RFC 1035 3.3.13). */
int
conf_check_soa(const char *s, size_t len, char *why, size_t cap)
{
	const char *p = s, *end = s + len;
	int field = 0;

	while (p < end) {
		const char *w = p;
		size_t wlen;

		while (p < end && *p != ' ' && *p != '\t')
			p++;
		wlen = (size_t)(p - w);
		if (wlen > 0) {
			if (field < 2 && !conf_check_hostname(w, wlen))
				return conf_why(why, cap, "field %d is not a DNS "
				    "name", field + 1);
			if (field >= 2 && (wlen > 10 ||
			    strspn(w, "0123456789") < wlen))
				return conf_why(why, cap, "field %d is not a "
				    "number", field + 1);
			field++;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
	}
	if (field != 2 && field != 7)
		return conf_why(why, cap, "want \"MNAME RNAME\" or \"MNAME RNAME "
		    "SERIAL REFRESH RETRY EXPIRE MINIMUM\"");
	return 0;
}

int
conf_check_user(const char *s, size_t len, char *why, size_t cap)
{
	if (strcspn(s, ":/ \t") != len)
		return conf_why(why, cap, "not a user name");
	return 0;
}

int
conf_check_path(const char *s, size_t len, char *why, size_t cap)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20)
			return conf_why(why, cap, "control character in a path");
	return 0;
}

int
conf_check_word(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *
conf_check_word_list(const char *const *names, char *buf, size_t cap)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; names[i] != NULL && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " | " : "",
		    names[i]);
	return buf;
}
