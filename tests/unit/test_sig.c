/* SPDX-License-Identifier: MIT */
/* src/disasm: the signature format (parser errors name the line), the matcher (variables,
 * widths, ranges, gaps with forbidden instructions, alternatives) on decoded x86, the
 * built-in layout signatures on the real accessors of Debian CPython builds (bytes copied
 * from the interpreters) and on the system interpreter's ELF file when present, and the
 * layout check against layouts/layouts.c. */
#define _GNU_SOURCE /* O_CLOEXEC */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "disasm/disasm.h"
#include "disasm/pylayout.h"
#include "disasm/sig.h"
#include "disasm/sigscan.h"
#include "source/elf.h"
#include "source/pid.h"

static struct crvi_sigset *parse(const char *text, crv_err want, const char *msg_part)
{
  struct crvi_sigset *s = NULL;
  CHECK(crvi_sigset_create(&s) == CRV_OK);
  if (!s)
    return NULL;
  crv_err e = crvi_sigset_parse(s, "t.sig", text, strlen(text));
  if (e != want || (msg_part && !strstr(crvi_sigset_errmsg(s), msg_part)))
    fprintf(stderr, "  parse: got %d '%s', want %d '%s'\n", e, crvi_sigset_errmsg(s), want,
            msg_part ? msg_part : "");
  CHECK(e == want);
  if (msg_part)
    CHECK(strstr(crvi_sigset_errmsg(s), msg_part) != NULL);
  return s;
}

static void test_parse_errors(void)
{
  static const struct { const char *text, *msg; } bad[] = {
      {"signature a\narch x86-64\ncode\n  nop\n", "t.sig:4: signature 'a' has no 'end'"},
      {"code\n", "t.sig:1: 'code' outside a signature"},
      {"signature a\narch x86-64\nbogus 1\ncode\n nop\nend\n", "t.sig:3: unknown keyword 'bogus'"},
      {"signature a\ncode\n nop\nend\n", "has no 'arch' line"},
      {"signature a\narch arm\ncode\n nop\nend\n", "arch 'arm'"},
      {"signature a\narch x86-64\ncode\n frobnicate\nend\n", "t.sig:4: no instruction is named 'frobnicate'"},
      {"signature a\narch x86-64\ncode\n mov rqx, 1\nend\n", "'rqx' is no register"},
      {"signature a\narch x86-64\ncode\n ...\n nop\nend\n", "must start and end with an instruction"},
      {"signature a\narch x86-64\ncode\n nop\n ... 999\n nop\nend\n", "out of range"},
      {"signature a\narch x86-64\ncode\n mov [rdi + 1, 2\nend\n", "does not end with ']'"},
      {"signature a\narch x86-64\ncode\n mov %x:12, 1\nend\n", "register width '12'"},
      {"signature a\narch x86-64\ncode\n mov rax, $v:9..1\nend\n", "bad range"},
      {"signature a\narch x86-64\nfact k = $nope\ncode\n nop\nend\n", "names no variable"},
      {"signature a\narch x86-64\ncode\n nop\nend\nsignature a\narch x86-64\ncode\n nop\nend\n",
       "defined twice"},
      {"signature a\narch x86-64\nlibrary (\ncode\n nop\nend\n", "t.sig:3: library:"},
      {"signature a\narch x86-64\nseverity huge\ncode\n nop\nend\n", "severity 'huge'"},
      {"signature a\narch x86-64\ncode\n mov ..., rax\nend\n", "'...' must be the last"},
      {"signature a b\narch x86-64\ncode\n nop\nend\n", "bad signature name"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct crvi_sigset *s = parse(bad[i].text, CRV_ERR_FORMAT, bad[i].msg);
    CHECK_EQ_U64(crvi_sigset_count(s), 0); /* nothing kept from a file with an error */
    crvi_sigset_destroy(s);
  }
  struct crvi_sigset *s = parse("# c\n\nsignature x.y:z-1\n description  d e\narch x86-64 x86-32\n"
                                "reference r1\nreference r2\nsymbol A B\nwindow 3\n"
                                "fact k.one = $v + 4\nfact k.two = 7\ncode\n"
                                "  mov %a:64, [rdi + $v:0..8] # c\n  ... 2-3 !ret\n  j*\nend\n",
                                CRV_OK, NULL);
  CHECK_EQ_U64(crvi_sigset_count(s), 1);
  const struct crvi_sig_info *in = crvi_sigset_info(s, 0);
  if (in) {
    CHECK_STR(in->name, "x.y:z-1");
    CHECK_STR(in->description, "d e");
    CHECK_STR(in->severity, "info");
    CHECK_EQ_U64(in->arch_mask, CRVI_ARCH_MASK(CRVI_ARCH_X86_64) | CRVI_ARCH_MASK(CRVI_ARCH_X86_32));
    CHECK_EQ_U64(in->n_symbols, 2);
    CHECK_EQ_U64(in->window, 3);
    CHECK_EQ_U64(in->n_lines, 3);
    CHECK_EQ_U64(in->line_no[0], 13);
    CHECK_EQ_U64(in->n_facts, 2);
    CHECK_EQ_U64(in->n_references, 2);
    CHECK_EQ_U64(crvi_sig_span(s, 0), 5);
  }
  crvi_sigset_destroy(s);
}

/* Decodes hex bytes at addr into insns; returns the count. */
static size_t decode(struct crvi_disasm *d, const char *hex, uint64_t addr, uint8_t *code,
                     struct crvi_insn *out, size_t max)
{
  size_t n = 0, used;
  for (const char *p = hex; p[0] && p[1];) {
    if (*p == ' ') {
      p++;
      continue;
    }
    unsigned v = 0;
    for (int k = 0; k < 2; k++) {
      char c = p[k];
      v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    code[n++] = (uint8_t)v;
    p += 2;
  }
  return crvi_disasm_sweep(d, code, n, addr, 1, out, max, &used);
}

static int matches(const struct crvi_sigset *s, size_t sig, const struct crvi_disasm *d,
                   const struct crvi_insn *in, size_t n, struct crvi_sig_match *m)
{
  for (size_t i = 0; i < n; i++)
    if (crvi_sig_match_at(s, sig, d, in, n, i, m))
      return 1;
  return 0;
}

static void test_match_features(void)
{
  struct crvi_disasm *d = NULL;
  CHECK(crvi_disasm_open(&d, CRVI_ARCH_X86_64) == CRV_OK);
  if (!d)
    return;
  uint8_t code[256];
  struct crvi_insn in[64];
  char text[128];
  /* mov rax, rdi; mov eax, edi; mov rax, [rdi + rax*8 - 8]; cmp byte [rdi + 0x20], 0xff;
   * nop; nop; ret */
  size_t n = decode(d, "4889f8 89f8 488b44c7f8 807f20ff 90 90 c3", 0x1000, code, in, 64);
  CHECK_EQ_U64(n, 7);
  CHECK(crvi_disasm_text(d, code + 5, 5, 0x1005, text, sizeof text) == 5);
  CHECK_STR(text, "mov rax, qword ptr [rdi + rax*8 - 8]");
  struct crvi_sigset *s = parse(
      "signature fam\narch x86-64\nfact f = $d\ncode\n"
      "  mov %r:64, %p:64\n  mov %r:32, %p\n  mov rax, qword ptr [%p + %r*8 + $d:-16..0]\n"
      "  cmp byte [%p + 0x20], -1\n  ... 2 !ret\n  ret\nend\n"
      "signature width\narch x86-64\ncode\n  mov %r:32, %p:64\nend\n"
      "signature range\narch x86-64\ncode\n  mov rax, [%* + %**8 + $d:0..8]\nend\n"
      "signature forbid\narch x86-64\ncode\n  cmp *, *\n  ... 3 !nop\n  ret\nend\n"
      "signature alt\narch x86-64\ncode\n  add rax, 1 || cmp byte [*], 255\n  nop\nend\n"
      "signature rest\narch x86-64\ncode\n  mov|lea rax, ...\n  mov eax, ...\nend\n"
      "signature glob\narch x86-64\ncode\n  cm* [*], $*\n  * \n  no*\nend\n"
      "signature noop\narch x86-64\ncode\n  ret eax\nend\n"
      "signature other-arch\narch x86-32\ncode\n  nop\nend\n",
      CRV_OK, NULL);
  struct crvi_sig_match m;
  CHECK(matches(s, 0, d, in, n, &m)); /* rax/eax and rdi/edi bind by family */
  CHECK_EQ_U64(m.first, 0);
  CHECK_EQ_U64(m.count, 7);
  CHECK_EQ_I64(m.fact[0], -8);
  CHECK_EQ_U64(m.line_insn[4], CRVI_SIG_NO_INSN); /* the gap */
  CHECK_EQ_U64(m.line_insn[5], 6);
  CHECK(!matches(s, 1, d, in, n, &m));   /* mov eax, edi: %p:64 fails on edi */
  CHECK(!matches(s, 2, d, in, n, &m));   /* -8 is outside 0..8 */
  CHECK(!matches(s, 3, d, in, n, &m));   /* the nops are forbidden in the gap */
  CHECK(matches(s, 4, d, in, n, &m));    /* 0xff at byte width equals 255 */
  CHECK_EQ_U64(m.first, 3);
  CHECK(matches(s, 5, d, in, n, &m));
  CHECK_EQ_U64(m.first, 0);
  CHECK(matches(s, 6, d, in, n, &m));
  CHECK(!matches(s, 7, d, in, n, &m));
  CHECK(crvi_sig_can_start(s, 5, in[0].id));
  CHECK(!crvi_sig_can_start(s, 5, in[6].id));
  crvi_sigset_destroy(s);
  crvi_disasm_close(d);
}

/* The accessors of real Debian builds (bytes from their python binaries). */
struct vec {
  const char *what;
  enum crvi_arch arch;
  const char *symbol, *hex;
  uint64_t addr;
  const char *python;
  int fact;
  int64_t value;
};

static const struct vec vecs[] = {
    {"3.11 PyBytes_AsString", CRVI_ARCH_X86_64, "PyBytes_AsString",
     "488b5708 f682ab00000008 0f847d61efff 488d4720 c3 662e", 0x53ff40, "3.11",
     CRV_FACT_BYTES_OB_SVAL, 32},
    {"3.11 PyUnicode_GetLength", CRVI_ARCH_X86_64, "PyUnicode_GetLength",
     "4883ec18 488b4708 f680ab00000010 0f84e516e1ff 807f2000 0f89e916e1ff 488b4710 4883c418 c3",
     0x64f910, "3.11", CRV_FACT_STR_LENGTH, 16},
    {"i386 3.11 PyBytes_AsString", CRVI_ARCH_X86_32, "PyBytes_AsString",
     "83ec0c 8b442410 8b5004 83c010 f6425708 0f84275befff 83c40c c3 8d", 0x8180e50, "3.11",
     CRV_FACT_BYTES_OB_SVAL, 16},
    {"i386 2.7 PyString_AsString", CRVI_ARCH_X86_32, "PyString_AsString",
     "8b442404 8b5004 f6425708 7404 83c014 c3 e9fa46", 0xab110, "2.7", CRV_FACT_BYTES_OB_SVAL, 20},
    {"2.7 PyString_Size", CRVI_ARCH_X86_64, "PyString_Size",
     "488b4708 f680ab00000008 7405 488b4710 c3 e999690a00 66", 0xcb440, "2.7",
     CRV_FACT_BYTES_OB_SIZE, 16},
};

/* Runs every built-in signature anchored to sym over insns, folding facts into f. */
static int run_builtin(const struct crvi_sigset *s, struct crvi_disasm *d, enum crvi_arch arch,
                       const char *sym, const struct crvi_insn *in, size_t n,
                       struct crv_code_layout *f)
{
  int hits = 0;
  for (size_t i = 0; i < crvi_sigset_count(s); i++) {
    const struct crvi_sig_info *info = crvi_sigset_info(s, i);
    int anchored = 0;
    for (size_t k = 0; k < info->n_symbols; k++)
      anchored |= strcmp(info->symbols[k], sym) == 0;
    if (!anchored || !(info->arch_mask & CRVI_ARCH_MASK(arch)))
      continue;
    for (size_t st = 0; st < n && st < info->window; st++) {
      struct crvi_sig_match m;
      if (!crvi_sig_match_at(s, i, d, in, n, st, &m))
        continue;
      struct crvi_sig_hit h = {.sig = i, .info = info, .arch = arch, .addr = in[st].addr,
                               .symbol = sym, .m = &m};
      crvi_code_layout_add(f, &h);
      hits++;
      break;
    }
  }
  return hits;
}

static void test_builtin_vectors(void)
{
  struct crvi_sigset *s = NULL;
  CHECK(crvi_sigset_create(&s) == CRV_OK);
  crv_err e = crvi_sigset_parse(s, "builtin", (const char *)crvi_sig_builtin_layout,
                                crvi_sig_builtin_layout_len);
  if (e != CRV_OK)
    fprintf(stderr, "  built-in signatures: %s\n", crvi_sigset_errmsg(s));
  CHECK(e == CRV_OK);
  CHECK(crvi_sigset_count(s) >= 9);
  for (size_t v = 0; v < sizeof vecs / sizeof vecs[0]; v++) {
    struct crvi_disasm *d = NULL;
    CHECK(crvi_disasm_open(&d, vecs[v].arch) == CRV_OK);
    uint8_t code[128];
    struct crvi_insn in[64];
    size_t n = decode(d, vecs[v].hex, vecs[v].addr, code, in, 64);
    struct crv_code_layout f;
    crvi_code_layout_init(&f);
    int hits = run_builtin(s, d, vecs[v].arch, vecs[v].symbol, in, n, &f);
    if (hits != 1)
      fprintf(stderr, "  %s: %d signature hits\n", vecs[v].what, hits);
    CHECK_EQ_U64(hits, 1);
    CHECK(f.have[vecs[v].fact]);
    CHECK_EQ_I64(f.value[vecs[v].fact], vecs[v].value);
    CHECK_EQ_U64(f.ptr_size, vecs[v].arch == CRVI_ARCH_X86_32 ? 4u : 8u);
    const struct crv_layout *l = crvi_layout_find(vecs[v].python, f.ptr_size, 0);
    char why[160];
    CHECK(l != NULL);
    int ok = crvi_code_layout_check(&f, l, why, sizeof why);
    if (ok != 1)
      fprintf(stderr, "  %s: %s\n", vecs[v].what, why);
    CHECK_EQ_I64(ok, 1);
    crvi_disasm_close(d);
  }
  crvi_sigset_destroy(s);
}

static void test_layout_check(void)
{
  struct crv_code_layout f;
  crvi_code_layout_init(&f);
  const struct crv_layout *l311 = crvi_layout_find("3.11", 8, 0);
  const struct crv_layout *l313 = crvi_layout_find("3.13", 8, 0);
  const struct crv_layout *l27 = crvi_layout_find("2.7", 8, 0);
  const struct crv_layout *i311 = crvi_layout_find("3.11", 4, 0);
  char why[160];
  CHECK_EQ_I64(crvi_code_layout_check(&f, l311, why, sizeof why), -1); /* nothing known */
  f.ptr_size = 8;
  f.have[CRV_FACT_BYTES_OB_SVAL] = 1;
  f.value[CRV_FACT_BYTES_OB_SVAL] = 32;
  f.have[CRV_FACT_STR_READY] = 1;
  f.value[CRV_FACT_STR_READY] = 1;
  f.found = 2;
  CHECK_EQ_I64(crvi_code_layout_check(&f, l311, why, sizeof why), 1);
  CHECK_EQ_I64(crvi_code_layout_check(&f, l313, why, sizeof why), 0); /* 3.13 has no ready bit */
  CHECK(strstr(why, "str.ready_check") != NULL);
  CHECK_EQ_I64(crvi_code_layout_check(&f, l27, why, sizeof why), 0);  /* ob_sval 36 */
  CHECK_EQ_I64(crvi_code_layout_check(&f, i311, why, sizeof why), -1); /* another pointer size */
  const struct crv_layout *cands[] = {l27, l313, l311};
  CHECK(crvi_code_layout_pick(&f, cands, 3) == l311);
  CHECK(crvi_code_layout_pick(&f, cands, 2) == NULL);
}

/* The system interpreter's own file: PyBytes_AsString read through the ELF reader. */
struct fdsrc {
  int fd;
};

static void test_system_interpreter(void)
{
  static const char *const files[] = {"/usr/bin/python3.11", "/usr/bin/python3"};
  int fd = -1, fdu;
  for (size_t i = 0; i < 2 && fd < 0; i++)
    fd = open(files[i], O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "  (no /usr/bin/python3: real-file check skipped)\n");
    return;
  }
  struct crv_elf e;
  struct crv_elf_symtab t;
  struct crv_sym sym;
  uint64_t off;
  CHECK(crvi_elf_open_fd(&e, &fdu, fd) == 0);
  CHECK(crvi_elf_load_dynsym(&e, &t) == 0);
  static const char *const names[] = {"PyBytes_AsString", "PyBytes_Size", "PyUnicode_GetLength"};
  struct crvi_sigset *s = NULL;
  CHECK(crvi_sigset_create(&s) == CRV_OK);
  CHECK(crvi_sigset_parse(s, "builtin", (const char *)crvi_sig_builtin_layout,
                          crvi_sig_builtin_layout_len) == CRV_OK);
  struct crv_code_layout f;
  crvi_code_layout_init(&f);
  struct crvi_disasm *d = NULL;
  CHECK(crvi_disasm_open(&d, e.ptr_size == 4 ? CRVI_ARCH_X86_32 : CRVI_ARCH_X86_64) == CRV_OK);
  for (size_t k = 0; k < 3 && d; k++) {
    uint8_t code[256];
    struct crvi_insn in[64];
    size_t used;
    if (crvi_elf_lookup(&t, names[k], &sym) != 0 || crvi_elf_vaddr_to_offset(&e, sym.value, &off) != 0) {
      CHECK(!"accessor not found in the system interpreter");
      continue;
    }
    CHECK(pread(fd, code, sizeof code, (off_t)off) == (ssize_t)sizeof code);
    size_t n = crvi_disasm_sweep(d, code, sizeof code, sym.value, 1, in, 64, &used);
    CHECK_EQ_U64(run_builtin(s, d, e.ptr_size == 4 ? CRVI_ARCH_X86_32 : CRVI_ARCH_X86_64,
                             names[k], in, n, &f), 1);
  }
  CHECK(f.have[CRV_FACT_BYTES_OB_SVAL] && f.have[CRV_FACT_BYTES_OB_SIZE] &&
        f.have[CRV_FACT_STR_LENGTH]);
  CHECK_EQ_U64(f.conflicts, 0);
  /* whatever version it is, exactly one family of the table agrees, and it has the
   * version its file name says */
  const struct crv_layout *l = crvi_layout_find("3.11", 8, 0);
  if (l && e.ptr_size == 8)
    CHECK_EQ_I64(crvi_code_layout_check(&f, l, NULL, 0), 1);
  crvi_disasm_close(d);
  crvi_sigset_destroy(s);
  crvi_elf_symtab_free(&t);
  close(fd);
}

/* crvi_code_layout, the function for carver scan, on a live system interpreter: its facts
 * pick the layout of the version the interpreter itself reports. */
static void test_code_layout_live(void)
{
  int fds[2];
  if (access("/usr/bin/python3", X_OK) != 0 || pipe(fds) != 0) {
    fprintf(stderr, "  (no /usr/bin/python3: live crvi_code_layout check skipped)\n");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    execl("/usr/bin/python3", "python3", "-S", "-c",
          "import sys, time; print('%d.%d' % sys.version_info[:2], flush=True); time.sleep(30)",
          (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  char ver[16] = "";
  ssize_t n = read(fds[0], ver, sizeof ver - 1);
  close(fds[0]);
  if (n > 0 && ver[n - 1] == '\n')
    ver[n - 1] = '\0';
  struct crv_space sp;
  crvi_space_init(&sp);
  if (n <= 0 || crvi_space_open_pid(&sp, pid) != CRV_OK) {
    fprintf(stderr, "  (cannot read the child's memory: live crvi_code_layout check skipped)\n");
  } else {
    struct crv_code_layout f;
    CHECK(crvi_code_layout(&sp, &f, NULL) == CRV_OK);
    if (f.found < 5) {
      /* The accessors' code pages are read only where the child has them resident (a live
       * read never faults pages in); a freshly started child may not. tests/cli/
       * sig_layout.sh checks the facts on every interpreter from dumps with code. */
      fprintf(stderr, "  (only %u layout facts resident in the child: live check skipped)\n",
              (unsigned)f.found);
      crvi_space_free(&sp);
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      return;
    }
    CHECK_EQ_U64(f.conflicts, 0);
    const struct crv_layout *all[64];
    size_t na = 0;
    for (size_t i = 0; i < crvi_layout_count() && na < 64; i++)
      all[na++] = crvi_layout_at(i);
    const struct crv_layout *want = crvi_layout_find(ver, 8, 0);
    CHECK(want != NULL);
    CHECK_EQ_I64(crvi_code_layout_check(&f, want, NULL, 0), 1);
    /* among every layout it picks one of the version's family */
    const struct crv_layout *got = crvi_code_layout_pick(&f, all, na);
    CHECK(got != NULL && want != NULL && got->family == want->family);
  }
  crvi_space_free(&sp);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

/* The shipped signature files parse. */
static void test_shipped(void)
{
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", __FILE__);
  char *p = strstr(dir, "/tests/unit/");
  if (!p) {
    fprintf(stderr, "  (source path unknown: shipped signatures not checked)\n");
    return;
  }
  snprintf(p, sizeof dir - (size_t)(p - dir), "/signatures");
  struct crvi_sigset *s = NULL;
  CHECK(crvi_sigset_create(&s) == CRV_OK);
  crv_err e = crvi_sigset_load(s, dir);
  if (e != CRV_OK)
    fprintf(stderr, "  %s: %s\n", dir, crvi_sigset_errmsg(s));
  CHECK(e == CRV_OK);
  CHECK(crvi_sigset_count(s) >= 13);
  crvi_sigset_destroy(s);
}

int main(void)
{
  test_parse_errors();
  test_match_features();
  test_builtin_vectors();
  test_layout_check();
  test_system_interpreter();
  test_code_layout_live();
  test_shipped();
  return CHECK_DONE();
}
