/* SPDX-License-Identifier: MIT */
/* A tiny test harness: CHECK macros print file:line, count failures and continue. */
#ifndef CARVER_CHECK_H
#define CARVER_CHECK_H
#include <stdio.h>
#include <string.h>
#include <inttypes.h>

static int check_failures, check_count;

#define CHECK(expr)                                                            \
  do {                                                                         \
    check_count++;                                                             \
    if (!(expr)) {                                                             \
      check_failures++;                                                        \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr); \
    }                                                                          \
  } while (0)

#define CHECK_EQ_U64(a, b)                                                       \
  do {                                                                           \
    uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                 \
    check_count++;                                                               \
    if (check_a_ != check_b_) {                                                  \
      check_failures++;                                                          \
      fprintf(stderr, "%s:%d: %s == %s failed: 0x%" PRIx64 " != 0x%" PRIx64 "\n", \
              __FILE__, __LINE__, #a, #b, check_a_, check_b_);                   \
    }                                                                            \
  } while (0)

#define CHECK_EQ_I64(a, b)                                                       \
  do {                                                                           \
    int64_t check_a_ = (int64_t)(a), check_b_ = (int64_t)(b);                    \
    check_count++;                                                               \
    if (check_a_ != check_b_) {                                                  \
      check_failures++;                                                          \
      fprintf(stderr, "%s:%d: %s == %s failed: %" PRId64 " != %" PRId64 "\n",    \
              __FILE__, __LINE__, #a, #b, check_a_, check_b_);                   \
    }                                                                            \
  } while (0)

#define CHECK_STR(a, b)                                                            \
  do {                                                                             \
    const char *check_a_ = (a), *check_b_ = (b);                                   \
    check_count++;                                                                 \
    if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {               \
      check_failures++;                                                            \
      fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__,      \
              __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",                    \
              check_b_ ? check_b_ : "(null)");                                     \
    }                                                                              \
  } while (0)

#define CHECK_MEM(a, b, n)                                                     \
  do {                                                                         \
    check_count++;                                                             \
    if (memcmp((a), (b), (n)) != 0) {                                          \
      check_failures++;                                                        \
      fprintf(stderr, "%s:%d: memory differs: %s vs %s\n", __FILE__, __LINE__, \
              #a, #b);                                                         \
    }                                                                          \
  } while (0)

/* Return this from main(). */
#define CHECK_DONE()                                                            \
  (fprintf(stderr, "%d checks, %d failed\n", check_count, check_failures),      \
   check_failures ? 1 : 0)
#endif
