/* SPDX-License-Identifier: MIT */
/* The interpreter's layout from its accessors' code (see pylayout.h). */
#include "disasm/pylayout.h"

#include <stdio.h>
#include <string.h>

static const char *const fact_names[CRV_FACT_COUNT] = {
    [CRV_FACT_OB_TYPE] = "object.ob_type",
    [CRV_FACT_TP_FLAGS] = "type.tp_flags",
    [CRV_FACT_BYTES_OB_SIZE] = "bytes.ob_size",
    [CRV_FACT_BYTES_OB_SVAL] = "bytes.ob_sval",
    [CRV_FACT_STR_LENGTH] = "str.length",
    [CRV_FACT_STR_STATE] = "str.state",
    [CRV_FACT_STR_READY] = "str.ready_check",
};

const char *crvi_code_fact_name(int fact)
{
  return fact >= 0 && fact < CRV_FACT_COUNT ? fact_names[fact] : NULL;
}

void crvi_code_layout_init(struct crv_code_layout *f)
{
  memset(f, 0, sizeof *f);
}

void crvi_code_layout_add(struct crv_code_layout *f, const struct crvi_sig_hit *h)
{
  const struct crvi_sig_info *in = h->info;
  unsigned ps = h->arch == CRVI_ARCH_X86_32 ? 4 : 8;
  int used = 0;
  for (size_t k = 0; k < in->n_facts; k++) {
    for (int i = 0; i < CRV_FACT_COUNT; i++) {
      if (strcmp(in->fact_key[k], fact_names[i]) != 0)
        continue;
      int64_t v = h->m->fact[k];
      if (!f->have[i]) {
        f->have[i] = 1;
        f->value[i] = v;
        f->found++;
      } else if (f->value[i] != v) {
        f->conflicts++;
      }
      used = 1;
    }
  }
  if (!used)
    return;
  if (f->ptr_size && f->ptr_size != ps)
    f->conflicts++;
  f->ptr_size = ps;
  size_t l = strlen(f->evidence);
  if (l + 2 < sizeof f->evidence)
    snprintf(f->evidence + l, sizeof f->evidence - l, "%s%s@0x%llx", l ? ", " : "",
             h->symbol ? h->symbol : in->name, (unsigned long long)h->addr);
}

static int on_hit(void *user, const struct crvi_sig_hit *h)
{
  crvi_code_layout_add(user, h);
  return 0;
}

crv_err crvi_code_layout(struct crv_space *s, struct crv_code_layout *f,
                         const volatile sig_atomic_t *stop)
{
  struct crvi_sigset *set;
  crvi_code_layout_init(f);
  crv_err e = crvi_sigset_create(&set);
  if (e != CRV_OK)
    return e;
  e = crvi_sigset_parse(set, "<built-in cpython-layout.sig>",
                        (const char *)crvi_sig_builtin_layout, crvi_sig_builtin_layout_len);
  if (e == CRV_OK) {
    struct crvi_sig_scan c = {.space = s, .set = set, .code_from_files = 1, .stop = stop,
                              .hit = on_hit, .user = f};
    struct crvi_sig_stats st;
    memset(&st, 0, sizeof st);
    e = crvi_sig_scan_run(&c, &st);
  } else {
    e = CRV_ERR_UNSUPPORTED; /* the built-in text does not parse: a build problem */
  }
  crvi_sigset_destroy(set);
  return e;
}

static int64_t expected(const struct crv_layout *l, int fact)
{
  const struct crv_header_layout *h = l->hdr;
  switch (fact) {
  case CRV_FACT_OB_TYPE: return h->off_type;
  case CRV_FACT_TP_FLAGS: return h->tp_flags;
  case CRV_FACT_BYTES_OB_SIZE: return l->bytes->off_size;
  case CRV_FACT_BYTES_OB_SVAL: return l->bytes->off_sval;
  case CRV_FACT_STR_LENGTH:
    return l->pep393 ? l->pep393->off_length : l->ubuf ? l->ubuf->off_length : -1;
  case CRV_FACT_STR_STATE:
    return l->pep393 ? l->pep393->off_state : -1;
  case CRV_FACT_STR_READY:
    return l->pep393 && l->pep393->ready_bit != CRV_NO_BIT ? 1 : 0;
  default: return -1;
  }
}

int crvi_code_layout_check(const struct crv_code_layout *f, const struct crv_layout *l,
                           char *why, size_t why_cap)
{
  if (why_cap)
    why[0] = '\0';
  if (!f->found || !l || f->ptr_size != l->hdr->ptr_size)
    return -1;
  for (int i = 0; i < CRV_FACT_COUNT; i++) {
    if (!f->have[i])
      continue;
    int64_t want = expected(l, i);
    if (want != f->value[i]) {
      if (why_cap)
        snprintf(why, why_cap, "%s is %lld in the code, %lld in layout %s", fact_names[i],
                 (long long)f->value[i], (long long)want, l->id);
      return 0;
    }
  }
  return 1;
}

const struct crv_layout *crvi_code_layout_pick(const struct crv_code_layout *f,
                                               const struct crv_layout *const *cands, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (crvi_code_layout_check(f, cands[i], NULL, 0) == 1)
      return cands[i];
  return NULL;
}
