/*
 * file.c - whole-file reads with a hard size limit (see file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/xmalloc.h"

int
file_read_all(const char *path, size_t max, char **out, size_t *len,
    char *err, size_t errcap)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		int e = errno;

		snprintf(err, errcap, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errcap, "%s: not a regular file", path);
		close(fd);
		return ERR_INVAL;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(err, errcap, "%s: file is %lld bytes, over the limit of %zu",
		    path, (long long)st.st_size, max);
		close(fd);
		return ERR_TOOBIG;
	}
	if ((buf = xmalloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errcap, "%s: out of memory", path);
		close(fd);
		return ERR_NOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errcap, "%s: read failed: %s", path,
			    n < 0 ? strerror(errno) : "file shrank");
			xfree(buf);
			close(fd);
			return ERR_IO;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}
