/*
 * xmalloc.c - allocation wrappers with a fault-injection counter (xmalloc.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

static long xmalloc_budget = -1;	/* -1: never fail */

static int
xmalloc_should_fail(void)
{
	if (xmalloc_budget < 0)
		return 0;
	if (xmalloc_budget == 0)
		return 1;
	xmalloc_budget--;
	return 0;
}

void
xmalloc_fail_after(long n)
{
	xmalloc_budget = n;
}

void *
xmalloc(size_t size)
{
	if (xmalloc_should_fail())
		return NULL;
	return malloc(size ? size : 1);
}

void *
xcalloc(size_t nmemb, size_t size)
{
	if (xmalloc_should_fail())
		return NULL;
	if (nmemb == 0 || size == 0)
		return calloc(1, 1);
	return calloc(nmemb, size);
}

void *
xrealloc(void *ptr, size_t size)
{
	if (xmalloc_should_fail())
		return NULL;
	return realloc(ptr, size ? size : 1);
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	return xrealloc(ptr, nmemb * size);
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

void
xfree(void *ptr)
{
	free(ptr);
}
