/*
 * conf_check.h - checks of single configuration values: listen
 * addresses, Postfix actions, DNS names, IP prefixes, ...
 *
 * The config table (conf.c) runs them on every value it reads; they are
 * exported for whoever takes the same kinds of value from elsewhere (the
 * overrides map, the HTTP API).  Each takes len bytes at s, which must
 * also be NUL-terminated at s[len], and returns 0, or -1 with a short
 * English reason (no value, no key: the caller adds those) in why.
 * Pure functions, no allocation.
 */
#ifndef RG_CONF_CONF_CHECK_H
#define RG_CONF_CONF_CHECK_H

#include <stdbool.h>
#include <stddef.h>

typedef int conf_check_fn(const char *s, size_t len, char *why, size_t whycap);

/* The dataset types of zone "Z" { dataset "D" { type = ...; } }. */
extern const char *const conf_check_dataset_types[];

/* "HOST:PORT", "[IPv6]:PORT" or "unix:/path" (a policy or HTTP listener). */
conf_check_fn conf_check_addr;

/* "HOST:PORT" or "[IPv6]:PORT" only (the DNS listener, UDP and TCP). */
conf_check_fn conf_check_inet_addr;

/* A policy attribute name Postfix sends (policy_attr_lookup). */
conf_check_fn conf_check_attr;

/*
 * A Postfix access(5) action a policy service may answer: DUNNO, OK,
 * DEFER_IF_PERMIT/DEFER_IF_REJECT/DEFER/REJECT/HOLD/WARN/INFO/DISCARD
 * with optional text, PREPEND with a header, or a 4NN/5NN code and text;
 * no control characters; short enough for a policy reply.
 */
conf_check_fn conf_check_action;

/* A DNS name: labels of letters, digits, '-' and '_'; 63/253 bytes. */
conf_check_fn conf_check_dnsname;

/* An IPv4 or IPv6 address or ADDRESS/LENGTH without host bits set. */
conf_check_fn conf_check_ip_or_prefix;

/* An IPv4 address (a DNSBL A answer). */
conf_check_fn conf_check_ipv4;

/* One of conf_check_dataset_types. */
conf_check_fn conf_check_dataset_type;

/* A TXT answer: at most 255 bytes (one DNS character-string). */
conf_check_fn conf_check_txt;

/* "MNAME RNAME" or "MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM". */
conf_check_fn conf_check_soa;

/* A user name for privilege dropping: no ':', '/' or blanks. */
conf_check_fn conf_check_user;

/* A file or command path: no control characters. */
conf_check_fn conf_check_path;

/* conf_check_hostname - true when the len bytes at s are a DNS name. */
bool conf_check_hostname(const char *s, size_t len);

/* conf_check_word - the index of s in a NULL-terminated list, or -1. */
int conf_check_word(const char *const *names, const char *s);

/* conf_check_word_list - "a | b | c" into buf; returns buf. */
const char *conf_check_word_list(const char *const *names, char *buf,
    size_t cap);

#endif
