/* SPDX-License-Identifier: MIT */
/* The capstone wrapper (see disasm.h). capstone 4.0.2 (Debian 12) and later. */
#include "disasm/disasm.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if CS_API_MAJOR < 4
#error "capstone 4.0 or later is required"
#endif

#define MAX_REGS 512u /* register ids kept in the info table (x86 has about 240) */

struct crvi_disasm {
  csh h;
  enum crvi_arch arch;
  cs_insn *insn;                       /* cs_malloc'd scratch for cs_disasm_iter */
  struct crvi_reginfo reg[MAX_REGS];
  uint16_t fam_reg[18][4];             /* family x {8, 16, 32, 64} -> register id */
};

const char *crvi_arch_name(enum crvi_arch a)
{
  switch (a) {
  case CRVI_ARCH_X86_64: return "x86-64";
  case CRVI_ARCH_X86_32: return "x86-32";
  default: return "none";
  }
}

/* The general-purpose registers by family: 64, 32, 16, 8-bit names ("" when none). */
static const char *const gpr[17][5] = {
    {"rax", "eax", "ax", "al", "ah"},  {"rcx", "ecx", "cx", "cl", "ch"},
    {"rdx", "edx", "dx", "dl", "dh"},  {"rbx", "ebx", "bx", "bl", "bh"},
    {"rsp", "esp", "sp", "spl", ""},   {"rbp", "ebp", "bp", "bpl", ""},
    {"rsi", "esi", "si", "sil", ""},   {"rdi", "edi", "di", "dil", ""},
    {"r8", "r8d", "r8w", "r8b", ""},   {"r9", "r9d", "r9w", "r9b", ""},
    {"r10", "r10d", "r10w", "r10b", ""}, {"r11", "r11d", "r11w", "r11b", ""},
    {"r12", "r12d", "r12w", "r12b", ""}, {"r13", "r13d", "r13w", "r13b", ""},
    {"r14", "r14d", "r14w", "r14b", ""}, {"r15", "r15d", "r15w", "r15b", ""},
    {"rip", "eip", "ip", "", ""},
};

static int width_slot(unsigned bits)
{
  return bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : bits == 64 ? 3 : -1;
}

static void build_regs(struct crvi_disasm *d)
{
  for (unsigned id = 1; id < MAX_REGS; id++) {
    const char *n = cs_reg_name(d->h, id);
    if (!n)
      continue;
    for (unsigned f = 0; f < 17; f++) {
      for (unsigned k = 0; k < 5; k++) {
        if (gpr[f][k][0] && strcmp(gpr[f][k], n) == 0) {
          static const uint8_t bits[5] = {64, 32, 16, 8, 8};
          d->reg[id].family = (uint8_t)(f + 1);
          d->reg[id].bits = bits[k];
          if (k < 4) /* ah..bh are not "the" 8-bit register of their family */
            d->fam_reg[f + 1][width_slot(bits[k])] = (uint16_t)id;
        }
      }
    }
    if (!d->reg[id].family) { /* other registers: width from the name where it tells */
      if (strncmp(n, "xmm", 3) == 0)
        d->reg[id].bits = 128;
      else if (strncmp(n, "ymm", 3) == 0)
        d->reg[id].bits = 255; /* 256 does not fit; only compared for equality */
    }
  }
}

crv_err crvi_disasm_open(struct crvi_disasm **out, enum crvi_arch arch)
{
  if (!out || (arch != CRVI_ARCH_X86_64 && arch != CRVI_ARCH_X86_32))
    return CRV_ERR_INVALID_ARG;
  *out = NULL;
  struct crvi_disasm *d = calloc(1, sizeof *d);
  if (!d)
    return CRV_ERR_NOMEM;
  d->arch = arch;
  if (cs_open(CS_ARCH_X86, arch == CRVI_ARCH_X86_64 ? CS_MODE_64 : CS_MODE_32, &d->h) != CS_ERR_OK) {
    free(d);
    return CRV_ERR_UNSUPPORTED;
  }
  cs_option(d->h, CS_OPT_DETAIL, CS_OPT_ON);
  d->insn = cs_malloc(d->h);
  if (!d->insn) {
    cs_close(&d->h);
    free(d);
    return CRV_ERR_NOMEM;
  }
  build_regs(d);
  *out = d;
  return CRV_OK;
}

void crvi_disasm_close(struct crvi_disasm *d)
{
  if (!d)
    return;
  cs_free(d->insn, 1);
  cs_close(&d->h);
  free(d);
}

static void convert(const cs_insn *ci, struct crvi_insn *o)
{
  memset(o, 0, sizeof *o);
  o->addr = ci->address;
  o->id = (uint16_t)ci->id;
  o->size = (uint8_t)ci->size;
  const cs_x86 *x = &ci->detail->x86;
  unsigned n = x->op_count;
  o->more_ops = n > CRVI_INSN_MAX_OPS;
  o->n_ops = (uint8_t)(n > CRVI_INSN_MAX_OPS ? CRVI_INSN_MAX_OPS : n);
  for (unsigned i = 0; i < o->n_ops; i++) {
    const cs_x86_op *s = &x->operands[i];
    struct crvi_op *d = &o->op[i];
    d->size = s->size;
    switch (s->type) {
    case X86_OP_REG:
      d->type = CRVI_OP_REG;
      d->reg = (uint16_t)s->reg;
      break;
    case X86_OP_IMM:
      d->type = CRVI_OP_IMM;
      d->imm = s->imm;
      break;
    case X86_OP_MEM:
      d->type = CRVI_OP_MEM;
      d->base = (uint16_t)s->mem.base;
      d->index = (uint16_t)s->mem.index;
      d->seg = (uint16_t)s->mem.segment;
      d->scale = (int8_t)s->mem.scale;
      d->imm = s->mem.disp;
      break;
    default:
      d->type = CRVI_OP_NONE;
      break;
    }
  }
}

size_t crvi_disasm_sweep(struct crvi_disasm *d, const uint8_t *code, size_t len, uint64_t addr,
                         int final, struct crvi_insn *out, size_t max, size_t *used)
{
  size_t n = 0, pos = 0;
  while (n < max && pos < len) {
    if (!final && len - pos < 16)
      break; /* an instruction may continue in the next piece */
    const uint8_t *p = code + pos;
    size_t left = len - pos;
    uint64_t a = addr + pos;
    if (cs_disasm_iter(d->h, &p, &left, &a, d->insn)) {
      convert(d->insn, &out[n++]);
      pos += d->insn->size;
    } else {
      pos++; /* data or padding: resynchronise one byte further */
    }
  }
  *used = pos;
  return n;
}

size_t crvi_disasm_text(struct crvi_disasm *d, const uint8_t *code, size_t len, uint64_t addr,
                        char *out, size_t cap)
{
  const uint8_t *p = code;
  size_t left = len;
  uint64_t a = addr;
  if (cap)
    out[0] = '\0';
  if (!cs_disasm_iter(d->h, &p, &left, &a, d->insn))
    return 0;
  if (cap)
    snprintf(out, cap, "%s%s%s", d->insn->mnemonic, d->insn->op_str[0] ? " " : "",
             d->insn->op_str);
  return d->insn->size;
}

unsigned crvi_disasm_insn_limit(const struct crvi_disasm *d)
{
  (void)d;
  return X86_INS_ENDING;
}

const char *crvi_disasm_insn_name(const struct crvi_disasm *d, unsigned id)
{
  if (id == 0 || id >= X86_INS_ENDING)
    return NULL;
  return cs_insn_name(d->h, id);
}

unsigned crvi_disasm_reg(const struct crvi_disasm *d, const char *name)
{
  for (unsigned id = 1; id < MAX_REGS && id < X86_REG_ENDING; id++) {
    const char *n = cs_reg_name(d->h, id);
    if (n && strcmp(n, name) == 0)
      return id;
  }
  return 0;
}

const char *crvi_disasm_reg_name(const struct crvi_disasm *d, unsigned reg)
{
  const char *n = reg && reg < X86_REG_ENDING ? cs_reg_name(d->h, reg) : NULL;
  return n ? n : "?";
}

struct crvi_reginfo crvi_disasm_reginfo(const struct crvi_disasm *d, unsigned reg)
{
  struct crvi_reginfo none = {0, 0};
  return reg < MAX_REGS ? d->reg[reg] : none;
}

unsigned crvi_disasm_family_reg(const struct crvi_disasm *d, unsigned family, unsigned bits)
{
  int w = width_slot(bits);
  if (family == 0 || family > 17 || w < 0)
    return 0;
  return d->fam_reg[family][w];
}
