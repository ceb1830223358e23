// fuzz/fuzz_support: what every libFuzzer target here shares. A broken invariant must stop the
// run with a message and a reproducer, so FUZZ_CHECK aborts (libFuzzer then saves the input as
// crash-<sha1>); assert() would vanish in a release build.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)
