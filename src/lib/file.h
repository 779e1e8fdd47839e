/*
 * file.h - read a whole small file (config, map file) with a size limit.
 */
#ifndef RG_LIB_FILE_H
#define RG_LIB_FILE_H

#include <stddef.h>

/*
 * file_read_all - read path into a new NUL-terminated buffer (*out, owned
 * by the caller, xfree it) of *len bytes.  Files over max bytes are
 * ERR_TOOBIG; errors leave "PATH: reason" in err.
 */
int file_read_all(const char *path, size_t max, char **out, size_t *len,
    char *err, size_t errcap);

#endif
