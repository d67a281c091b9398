/* SPDX-License-Identifier: MIT */
/* The per-process hash key (_Py_HashSecret): where it can come from, and proof that it is
 * right. A key is only ever used after objects carved from the same memory confirm it. */
#ifndef CARVER_KEY_H
#define CARVER_KEY_H
#include "scan.h"

#define CRV_KEY_SAMPLES 16u
#define CRV_KEY_SAMPLE_MAX 256u /* longest value kept as a sample, in bytes */

/* Carved objects with a cached hash, kept to test candidate keys. */
struct crv_key_sample {
  int64_t hash;
  unsigned unit;
  size_t len;
  uint8_t data[CRV_KEY_SAMPLE_MAX];
};
struct crv_key_samples {
  struct crv_key_sample s[CRV_KEY_SAMPLES];
  size_t n;
};

/* A short carving pass (bounded by bytes read) collecting distinct hashed objects. */
crv_err crvi_key_collect(struct crv_scan_cfg cfg, struct crv_key_samples *out);
/* The same within budget bytes; *complete (may be NULL): the pass found all the samples it
 * wants or read the whole space, so a longer pass would find no more. */
crv_err crvi_key_collect_upto(struct crv_scan_cfg cfg, uint64_t budget,
                              struct crv_key_samples *out, int *complete);

/* How many samples key (with algorithm algo) reproduces. */
unsigned crvi_key_agree(enum crv_hash_algo algo, unsigned ptr_size, const crv_hash_key *key,
                        const struct crv_key_samples *smp);
/* Enough independent agreement to trust key. */
int crvi_key_confirmed(unsigned ptr_size, unsigned agree, size_t n);

/* Searches the interpreter's data (the image cluster, then every region) for the key:
 * each pointer-aligned window is tried against the samples. Returns 1 and sets *at. */
int crvi_key_search(struct crv_space *s, const struct crv_pytypes *t,
                    const struct crv_layout *l, const struct crv_key_samples *smp,
                    crv_hash_key *key, uint64_t *at, const volatile sig_atomic_t *stop);

/* PYTHONHASHSEED=N in the environment strings of a [stack] region. Returns 1 with a
 * numeric seed, 2 when it says "random", 0 when absent. */
int crvi_key_env_seed(struct crv_space *s, uint32_t *seed);

struct crv_key_choice {
  int known;
  crv_hash_key key;
  const char *source; /* "option", "seed", "environ", "env-string", "dynsym", "zero", "search" */
  uint64_t found_at;  /* where the search found it, 0 otherwise */
  unsigned agree;     /* samples that confirmed it */
  size_t samples;
  char note[256];     /* a warning for the user, e.g. a given key that does not fit */
};

/* Picks the key: the given one (source "option"/"seed"), then _Py_HashSecret read through
 * .dynsym (hints; the real secret, also under python -E), PYTHONHASHSEED from the process
 * environment (hints) or its environment strings, the zero key, then the search. Every
 * candidate but a given one must be confirmed by the samples. Samples come from a short
 * pass first (32 MiB); the longer one (256 MiB) runs only when there is more to read and
 * the short one confirmed no key the process names (with a given key: found no sample to
 * check it against). */
crv_err crvi_key_choose(struct crv_space *s, const struct crv_pytypes *t,
                        struct crv_scan_cfg cfg, const crv_hash_key *given,
                        const char *given_source, struct crv_key_choice *out);
#endif
