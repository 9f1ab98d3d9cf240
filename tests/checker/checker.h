/* trampgen_check: an independent reading of a generated trampolines.S.
 *
 * Three inputs, kept apart on purpose:
 *   - the target model (tests/checker/model.py writes it from spec/): which
 *     registers exist, their roles in the ABI, stack alignment, entry names;
 *   - the ISA table (model.py --table renders it from spec/semantics/<isa>.toml,
 *     written by hand from the architecture manual): what each mnemonic
 *     reads, writes, and does to control flow and the stack. It never comes
 *     from spec/isa/'s idioms, because a wrong idiom is exactly what must be
 *     caught;
 *   - the assembly, run through the C preprocessor and lexed by re2c.
 * No file of the checker names an architecture; they only read the three.
 */
#ifndef TRAMPGEN_CHECKER_H
#define TRAMPGEN_CHECKER_H

#include <stdint.h>
#include <stdio.h>

#define MAXREG 128
#define NAMELEN 64
#define TEXTLEN 200

/* Register sets as bitmaps over the model's register indices. */
typedef struct { uint64_t w[MAXREG / 64]; } regset;
static inline void rs_add(regset *s, int r) { s->w[r / 64] |= (uint64_t)1 << (r % 64); }
static inline int rs_has(const regset *s, int r) { return r >= 0 && (s->w[r / 64] >> (r % 64)) & 1; }

/* ---- the target model (from spec/ via model.py) --------------------------- */
typedef struct {
    char name[NAMELEN];
    char cls[NAMELEN];
    int width;                  /* bits */
} Reg;

typedef struct {
    char target[NAMELEN], isa[NAMELEN];
    int word, align, shadow, outgoing, handler_pops, handler_args, call_pushes;
    int stack_bias;             /* abi.stack_bias: SP = the frame's address minus it */
    int sp, pc, lr;             /* register indices; lr -1 when calls push */
    Reg regs[MAXREG];
    int nregs;
    int args[32], nargs;
    regset preserved, reserved;
    int scratch[2], kind, ret;
    int entry_address;          /* abi.entry_address_register, or -1: an entry moves it to sigtramp's address */
    char dispatcher[NAMELEN];
    char prefix;                /* the assembler's register prefix (asm.register_prefix), or 0:
                                   then a register is written `prefix name`, a bare name is a symbol */
    struct { char name[NAMELEN]; long value; } entries[16];
    int nentries;
    struct { char key[NAMELEN]; char text[TEXTLEN]; } idioms[48];
    int nidioms;
} Model;

/* ---- the ISA table (from spec/semantics/<isa>.toml via model.py) ---------- */
enum { ROLE_R = 1, ROLE_W = 2, ROLE_T = 4, ROLE_A = 8 };   /* read, write, branch target, address only */
enum { FLOW_NONE, FLOW_JUMP, FLOW_CALL, FLOW_COND };
enum { OP_OTHER, OP_MOVE, OP_ADD, OP_SUB };
enum { STACK_NONE, STACK_PUSH, STACK_POP };
#define TARGET_STACK (-2)       /* the jump target is popped from the stack (a pushing ISA's return) */

typedef struct {
    char mnem[NAMELEN];
    int nops;
    unsigned char roles[6];
    int flow, op, stack;
    regset reads, writes;       /* implicit operands */
    regset clobbers;            /* scratch a pseudo-instruction's expansion writes */
    int target;                 /* implicit target register, TARGET_STACK, or -1 */
    int pops_operand;           /* operand holding extra bytes a return pops, or -1 */
    int size;                   /* memory access bytes; 0: the data register's width */
    int line;                   /* in the table, for messages */
} Insn;

typedef struct { char name[NAMELEN]; int reg; int partial; } Alias;

typedef struct {
    char path[512];
    int sp, pc, link;           /* pc -1 when it is not an operand; link -1 when calls push */
    int call_pushes;
    char zero[8][NAMELEN];
    int nzero;
    char addr_relocs[8][NAMELEN];   /* relocation operators whose load yields a symbol's address */
    int naddr_relocs;
    Alias aliases[512];
    int naliases;
    Insn insns[512];
    int ninsns;
} Isa;

/* ---- parsed assembly -------------------------------------------------------- */
enum { O_REG, O_IMM, O_SYM, O_MEM, O_ZERO, O_LIST };

typedef struct {
    int type;
    int reg, partial;           /* O_REG */
    long long imm;              /* O_IMM */
    char sym[NAMELEN];          /* O_SYM: the symbol a branch names */
    int bare;                   /* O_SYM written as a plain name, no $ or # */
    int base, index;            /* O_MEM: registers or -1 */
    long long off;
    int off_known;
    int writeback;              /* O_MEM: 1 pre-index ("!"), 2 post-index (next operand) */
    long long post;             /* post-index amount */
    int indirect;               /* "*" prefix (AT&T indirect branch) */
    int bracket;                /* O_MEM written [base, #off] */
    regset list;                /* O_LIST: the registers of {r4, r5, lr} (and r4-r7 ranges) */
    int nlist;
    char reloc[NAMELEN];        /* O_MEM: the offset's relocation operator (`call16` of %call16(sym)), or "";
                                   its symbol in sym */
} Operand;

typedef struct {
    int line;
    char label[NAMELEN];        /* a label definition, or "" */
    char mnem[NAMELEN];         /* an instruction, or "" */
    Operand ops[6];
    int nops;
    char text[TEXTLEN];         /* as written, for messages */
} Stmt;

typedef struct {
    Stmt *s;
    int n, cap;
    char globals[64][NAMELEN];
    int nglobals;
} Program;

/* checker.re: preprocess-free lexing of one file already run through cpp */
int parse_asm(FILE *f, const char *origin, const Model *m, const Isa *isa, Program *p);

/* tables.c */
int load_model(const char *path, Model *m);
int load_preserved(const char *path, Model *m);
int load_isa(const char *path, const Model *m, Isa *isa);
int model_reg(const Model *m, const char *name);
int isa_lookup_reg(const Model *m, const Isa *isa, const char *name, int *partial, int *zero);
const Insn *isa_insn(const Isa *isa, const char *mnem, int nops, int *known_mnem);
const char *idiom_for(const Model *m, const char *text);

/* analyze.c */
int analyze(const Model *m, const Isa *isa, const Program *p);

#endif
