/* SPDX-License-Identifier: MIT */
/* The signature-file parser (src/disasm/sig.c) and its matcher. Input: signature text, then
 * optionally a NUL byte and x86-64 code; the code is decoded once and every parsed
 * signature is tried at every instruction. Properties: the parser accepts, or refuses with
 * CRV_ERR_FORMAT / CRV_ERR_LIMIT / CRV_ERR_REGEX and an "origin:line: why" message while
 * appending nothing; what it accepts stays within the caps (signatures, lines, variables,
 * facts, symbols) with line numbers inside the text; a match covers instructions that
 * exist, starts where it was asked to, and maps each code line to one of its own
 * instructions or to a gap. */
#include <string.h>
#include "fuzz.h"
#include "disasm/disasm.h"
#include "disasm/sig.h"
#include "util/limits.h"

#define MAX_INSNS 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct crvi_disasm *d;
  static struct crvi_insn insns[MAX_INSNS];
  if (!d)
    FUZZ_ASSERT(crvi_disasm_open(&d, CRVI_ARCH_X86_64) == CRV_OK);
  const uint8_t *nul = memchr(data, 0, size);
  const size_t text_len = nul ? (size_t)(nul - data) : size;
  struct crvi_sigset *s;
  FUZZ_ASSERT(crvi_sigset_create(&s) == CRV_OK);
  crv_err e = crvi_sigset_parse(s, "fuzz.sig", (const char *)data, text_len);
  if (e != CRV_OK) {
    FUZZ_ASSERT(e == CRV_ERR_FORMAT || e == CRV_ERR_LIMIT || e == CRV_ERR_REGEX);
    FUZZ_ASSERT(strncmp(crvi_sigset_errmsg(s), "fuzz.sig:", 9) == 0);
    FUZZ_ASSERT(crvi_sigset_count(s) == 0);
    crvi_sigset_destroy(s);
    return 0;
  }
  unsigned text_lines = 1;
  for (size_t i = 0; i < text_len; i++)
    text_lines += data[i] == '\n';
  const size_t count = crvi_sigset_count(s);
  FUZZ_ASSERT(count <= CRV_SIG_MAX_SIGS);
  for (size_t i = 0; i < count; i++) {
    const struct crvi_sig_info *in = crvi_sigset_info(s, i);
    FUZZ_ASSERT(in && in->name && in->name[0] && in->severity);
    FUZZ_ASSERT(in->line >= 1 && in->line <= text_lines);
    FUZZ_ASSERT(in->n_lines >= 1 && in->n_lines <= CRV_SIG_MAX_LINES);
    for (size_t k = 0; k < in->n_lines; k++)
      FUZZ_ASSERT(in->line_no[k] > in->line && in->line_no[k] <= text_lines);
    FUZZ_ASSERT(in->n_reg_vars <= CRVI_SIG_MAX_VARS && in->n_num_vars <= CRVI_SIG_MAX_VARS);
    FUZZ_ASSERT(in->n_facts <= CRVI_SIG_MAX_FACTS && in->n_symbols <= CRVI_SIG_MAX_SYMBOLS);
    /* a gap "... 0" spans no instruction; code starts and ends with one */
    FUZZ_ASSERT(crvi_sig_span(s, i) >= 1 &&
                crvi_sig_span(s, i) <= in->n_lines * (CRV_SIG_MAX_GAP + 1));
  }
  if (nul && count) {
    size_t used = 0;
    size_t n = crvi_disasm_sweep(d, nul + 1, size - text_len - 1, 0x401000, 1, insns, MAX_INSNS,
                                 &used);
    FUZZ_ASSERT(n <= MAX_INSNS && used <= size - text_len - 1);
    for (size_t i = 0; i < count; i++) {
      const struct crvi_sig_info *in = crvi_sigset_info(s, i);
      for (size_t at = 0; at < n; at++) {
        if (!crvi_sig_can_start(s, i, insns[at].id))
          continue;
        struct crvi_sig_match m;
        if (!crvi_sig_match_at(s, i, d, insns, n, at, &m))
          continue;
        FUZZ_ASSERT(m.first == at && m.count >= 1 && m.count <= n - at);
        for (size_t k = 0; k < in->n_lines; k++)
          FUZZ_ASSERT(m.line_insn[k] == CRVI_SIG_NO_INSN ||
                      (m.line_insn[k] >= m.first && m.line_insn[k] < m.first + m.count));
      }
    }
  }
  crvi_sigset_destroy(s);
  return 0;
}
