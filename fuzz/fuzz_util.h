/* fuzz_util.h - shared by the libFuzzer harnesses: copy the fuzzer's bytes into a NUL-terminated string. */
#ifndef RC_FUZZ_UTIL_H
#define RC_FUZZ_UTIL_H

#include <stdlib.h>
#include <string.h>

static inline char *fuzz_cstr(const unsigned char *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif
