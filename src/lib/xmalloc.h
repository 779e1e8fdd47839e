/*
 * xmalloc.h - allocation wrappers with fault injection.
 *
 * xmalloc() and friends return NULL on failure like malloc(); callers
 * handle it (load and reload paths must survive it: see the fault
 * injection tests).  xmalloc_fail_after(n) makes the (n+1)-th allocation
 * from now on fail, and every one after it, until xmalloc_fail_after(-1).
 * It exists for tests only.
 */
#ifndef RG_LIB_XMALLOC_H
#define RG_LIB_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);	/* overflow-checked */
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size); /* overflow-checked */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void xfree(void *ptr);				/* xfree(NULL) is a no-op */

/* xmalloc_fail_after - tests: fail allocations after n more; -1 disables. */
void xmalloc_fail_after(long n);

#endif
