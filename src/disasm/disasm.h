/* SPDX-License-Identifier: MIT */
/* x86-64 and x86-32 disassembly for signature matching. disasm.c is the only file that
 * includes capstone: everything else sees decoded instructions as the plain structs below,
 * with capstone's instruction and register ids (stable within one capstone build; compare
 * them only with ids obtained from the same library through this header). */
#ifndef CARVER_DISASM_H
#define CARVER_DISASM_H
#include <stddef.h>
#include <stdint.h>
#include "carver/error.h"

enum crvi_arch {
  CRVI_ARCH_NONE = 0,
  CRVI_ARCH_X86_64 = 1,
  CRVI_ARCH_X86_32 = 2,
};
#define CRVI_ARCH_MASK(a) (1u << (a))
const char *crvi_arch_name(enum crvi_arch a); /* "x86-64", "x86-32" */

enum crvi_op_type { CRVI_OP_NONE = 0, CRVI_OP_REG = 1, CRVI_OP_IMM = 2, CRVI_OP_MEM = 3 };

#define CRVI_INSN_MAX_OPS 4

struct crvi_op {
  uint8_t type;  /* enum crvi_op_type */
  uint8_t size;  /* bytes (memory operands: the access size) */
  int8_t scale;  /* MEM: index scale */
  uint16_t reg;  /* REG: the register */
  uint16_t base, index, seg; /* MEM: registers, 0 when absent */
  int64_t imm;   /* IMM: the value; MEM: the displacement */
};

struct crvi_insn {
  uint64_t addr;
  uint16_t id;      /* instruction id (crvi_disasm_insn_name) */
  uint8_t size;     /* bytes */
  uint8_t n_ops;
  uint8_t more_ops; /* it has more than CRVI_INSN_MAX_OPS operands */
  struct crvi_op op[CRVI_INSN_MAX_OPS];
};

/* Register facts: the general-purpose family (1..16 for rax..r15, 17 for rip, 0 for any
 * other register) and the width in bits. */
struct crvi_reginfo {
  uint8_t family;
  uint8_t bits;
};

struct crvi_disasm; /* opaque: one capstone handle with detail on */

crv_err crvi_disasm_open(struct crvi_disasm **out, enum crvi_arch arch);
void crvi_disasm_close(struct crvi_disasm *d); /* accepts NULL */

/* Linear sweep: decodes instructions from code[0..len) (at address addr) into out[0..max),
 * skipping one byte where nothing decodes. Stops early when fewer than 16 bytes are left
 * and !final (the next call continues there). *used: bytes consumed. Returns the count. */
size_t crvi_disasm_sweep(struct crvi_disasm *d, const uint8_t *code, size_t len, uint64_t addr,
                         int final, struct crvi_insn *out, size_t max, size_t *used);

/* Intel-syntax text of the instruction at code[0..len) (address addr): "mov rax, qword ptr
 * [rdi + 8]". Returns its length in bytes, 0 when it does not decode. */
size_t crvi_disasm_text(struct crvi_disasm *d, const uint8_t *code, size_t len, uint64_t addr,
                        char *out, size_t cap);

/* Instruction ids are 1 .. crvi_disasm_insn_limit() - 1; the name is NULL for an unused id. */
unsigned crvi_disasm_insn_limit(const struct crvi_disasm *d);
const char *crvi_disasm_insn_name(const struct crvi_disasm *d, unsigned id);
/* A register by name ("rax", "r8d", "xmm0"); 0 when unknown. */
unsigned crvi_disasm_reg(const struct crvi_disasm *d, const char *name);
const char *crvi_disasm_reg_name(const struct crvi_disasm *d, unsigned reg);
struct crvi_reginfo crvi_disasm_reginfo(const struct crvi_disasm *d, unsigned reg);
/* The register of family (1..17) with that width; 0 when none. */
unsigned crvi_disasm_family_reg(const struct crvi_disasm *d, unsigned family, unsigned bits);
#endif
