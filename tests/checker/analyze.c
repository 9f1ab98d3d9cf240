/* The checks, by walking every path through each trampoline.
 *
 * Each path is executed abstractly: SP as an offset from its value at entry
 * (known while only constant adjustments touch it), and each register and
 * stack slot as a *tag* saying whose entry value it holds, if anyone's. A
 * register is saved when a slot holds its own tag, restored when it holds its
 * own tag again before a return; the return address is the link register's
 * entry value, or (when calls push it) the word at entry SP. This makes the
 * checks independent of how the templates spell a save or a return: a
 * move of a preserved register to a scratch one and a store of the scratch
 * saves the preserved register as well as storing it directly does, and a
 * call-through-register in sigresume writes the link register because the
 * ISA table says so, whatever spec/ calls the idiom.
 *
 * Which registers matter comes from the model:
 *   preserved (the ABI's callee-saved registers, or the --preserved override)
 *   is the clobber model: the dispatcher call may clobber every other one.
 * The design in templates/trampolines.S.j2 goes further: sigtramp saves every
 * preserved register itself, "so that the registers the OS sees on return
 * never depend on what the C compiler chose". So the checker treats the
 * dispatcher call as destroying everything but SP, and requires every
 * preserved register, and the link register the call overwrites, to be in
 * the frame at the call and back in place at every return.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"

#define TAG_UNKNOWN (-1)
#define TAG_RETADDR (MAXREG + 1)
/* TAG_SYMBOL + k: the address of symbols[k], loaded through one of the
 * table's address_relocations (a GOT entry). */
#define TAG_SYMBOL (MAXREG + 2)
#define MAXSYMBOLS 64
static char symbols[MAXSYMBOLS][NAMELEN];
static int nsymbols;

static int symbol_tag(const char *sym)
{
    for (int k = 0; k < nsymbols; k++)
        if (strcmp(symbols[k], sym) == 0)
            return TAG_SYMBOL + k;
    if (!sym[0] || nsymbols == MAXSYMBOLS)
        return TAG_UNKNOWN;
    snprintf(symbols[nsymbols], NAMELEN, "%s", sym);
    return TAG_SYMBOL + nsymbols++;
}
#define MAXSTMT 1024
#define MAXPATHS 4096

enum { F_ENTRY, F_SIGTRAMP, F_SIGRESUME, F_OTHER };

typedef struct { long long addr; int size, tag; } Slot;

typedef struct {
    int known;                  /* SP = entry SP + depth */
    long long depth, lowest;
    int tag[MAXREG];
    int lastw[MAXREG];          /* line of the last write, 0 if none */
    Slot slots[128];
    int nslots;
    unsigned char onpath[MAXSTMT];
} State;

typedef struct {
    char name[NAMELEN];
    int kind;
    int first, last;            /* statement index range */
    regset reads, writes, saved, restored, implicit;
    char implicit_by[MAXREG][NAMELEN];
    long long save_addr[MAXREG];
    long long lowest;
    int paths, returns, calls;
    long long call_depth;
    int call_aligned;
} Func;

static const Model *M;
static const Isa *I;
static const Program *P;
static int nproblems;
static char seen[512][TEXTLEN * 2];
static int nseen;
static regset must_save, entry_may_write, entry_may_clobber;

static const char *R(int r) { return r >= 0 && r < M->nregs ? M->regs[r].name : "?"; }

/* One finding, printed once however many paths reach it. */
static void report(const Func *F, const Stmt *s, const char *fmt, ...)
{
    char msg[TEXTLEN * 2], full[TEXTLEN * 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (int i = 0; i < nseen; i++)
        if (strcmp(seen[i], msg) == 0)
            return;
    if (nseen < 512)
        snprintf(seen[nseen++], sizeof seen[0], "%s", msg);
    nproblems++;
    if (s) {
        const char *idiom = idiom_for(M, s->text);
        snprintf(full, sizeof full, "FAIL %s: line %d `%s`: %s%s%s%s", F->name, s->line, s->text, msg,
                 idiom[0] ? " [from spec " : "", idiom, idiom[0] ? "]" : "");
    } else {
        snprintf(full, sizeof full, "FAIL %s: %s", F ? F->name : M->target, msg);
    }
    puts(full);
}

static int width_bytes(int r) { return M->regs[r].width / 8; }

static int find_slot(const State *st, long long addr, int size)
{
    for (int i = 0; i < st->nslots; i++)
        if (st->slots[i].addr == addr && st->slots[i].size == size)
            return i;
    return -1;
}

static int saved_somewhere(const State *st, int r)
{
    for (int i = 0; i < st->nslots; i++)
        if (st->slots[i].tag == r)
            return 1;
    return 0;
}

static void drop_slots(State *st, long long lo, long long hi)
{
    int k = 0;
    for (int i = 0; i < st->nslots; i++)
        if (st->slots[i].addr + st->slots[i].size <= lo || st->slots[i].addr >= hi)
            st->slots[k++] = st->slots[i];
    st->nslots = k;
}

static void store(Func *F, State *st, const Stmt *s, int known, long long addr, int size, int tag, int data_reg)
{
    if (!known) {
        /* An unknown address may alias any slot: nothing saved survives it. */
        st->nslots = 0;
        return;
    }
    /* Above entry SP lies the caller's frame: the return address (when calls
     * push it), then its arguments. Only the shadow space the caller reserved
     * for us (Win64 home space) is ours to write. */
    long long own_lo = I->call_pushes ? M->word : 0, own_hi = own_lo + M->shadow;
    if (addr + size > 0 && !(addr >= own_lo && addr + size <= own_hi))
        report(F, s, "stores to entry SP%+lld, in its caller's frame%s", addr,
               I->call_pushes && addr < M->word ? " (over the return address)" : "");
    drop_slots(st, addr, addr + size);
    if (st->nslots < 128)
        st->slots[st->nslots++] = (Slot){addr, size, tag};
    if (data_reg >= 0 && tag == data_reg && !rs_has(&F->saved, data_reg)) {
        rs_add(&F->saved, data_reg);
        F->save_addr[data_reg] = addr;
    }
}

static void read_reg(Func *F, const Stmt *s, int r)
{
    if (r < 0)
        return;
    rs_add(&F->reads, r);
    if (F->kind == F_SIGRESUME && r != M->scratch[0] && r != M->scratch[1])
        report(F, s, "reads %s, but sigresume may read only the resume scratch registers %s and %s",
               R(r), R(M->scratch[0]), R(M->scratch[1]));
}

/* how: NULL for an explicit operand, else the mnemonic that writes it
 * implicitly. check: 0 no role checks (the call's own bookkeeping), 1 the
 * role checks, 2 the role checks for a pseudo-instruction's expansion
 * scratch (a `tail` macro that goes through a temporary), which an entry
 * may clobber if the clobber model calls it volatile. */
static void write_reg(Func *F, State *st, const Stmt *s, int r, int tag, const char *how, int check)
{
    if (r < 0)
        return;
    char by[NAMELEN + 32] = "";
    if (how)
        snprintf(by, sizeof by, " (implicitly: %s writes it)", how);
    rs_add(&F->writes, r);
    if (how && !rs_has(&F->implicit, r)) {
        rs_add(&F->implicit, r);
        snprintf(F->implicit_by[r], NAMELEN, "%s", how);
    }
    if (check && F->kind == F_SIGRESUME && r != M->sp)
        report(F, s, "writes %s%s, but sigresume may write only %s", R(r), by, R(M->sp));
    if (check && F->kind == F_ENTRY && !rs_has(&entry_may_write, r)
        && !(check == 2 && rs_has(&entry_may_clobber, r)))
        report(F, s, "writes %s%s, which is not an argument register free in the handler call "
               "(an entry may write only the kind register and argument registers the handler "
               "does not use)", R(r), by);
    if (check && F->kind == F_SIGTRAMP && rs_has(&must_save, r) && st->tag[r] == r && !saved_somewhere(st, r))
        report(F, s, "writes %s%s before saving it to the frame (%s)", R(r), by,
               r == M->lr ? "it holds the return address" : "the ABI preserves it");
    st->tag[r] = tag;
    st->lastw[r] = s->line;
    if (r == M->sp)
        st->known = 0;
}

static void sp_adjust(Func *F, State *st, const Stmt *s, long long delta)
{
    rs_add(&F->writes, M->sp);
    st->depth += delta;
    if (st->depth < st->lowest)
        st->lowest = st->depth;
    st->lastw[M->sp] = s->line;
}

/* A label of this function; GNU as numeric labels "1f"/"1b" name the next
 * or previous "1:" from the branch at index from. */
static int local_label(const Func *F, const char *name, int from)
{
    size_t n = strlen(name);
    if (n > 1 && (name[n - 1] == 'f' || name[n - 1] == 'b') && strspn(name, "0123456789") == n - 1) {
        int fwd = name[n - 1] == 'f';
        for (int i = fwd ? from + 1 : from - 1; i >= F->first && i < F->last; i += fwd ? 1 : -1)
            if (P->s[i].label[0] && strncmp(P->s[i].label, name, n - 1) == 0 && P->s[i].label[n - 1] == 0)
                return i;
        return -1;
    }
    for (int i = F->first; i < F->last; i++)
        if (P->s[i].label[0] && strcmp(P->s[i].label, name) == 0)
            return i;
    return -1;
}

typedef struct {
    int end;                    /* the path ends here */
    int direct;                 /* a jump to sym */
    char sym[NAMELEN];
    int tag;                    /* an indirect jump: the target's value */
    const char *via;            /* how the target was found, for messages */
    int is_return_insn;         /* a row that returns by its nature (target=stack/implicit) */
    long long pops;             /* extra bytes a return pops */
    long long depth_at;         /* SP before the return popped anything */
    int known_at;
} End;

static const char *describe_tag(int tag, char *buf, size_t n)
{
    if (tag == TAG_RETADDR)
        snprintf(buf, n, "the return address");
    else if (tag >= TAG_SYMBOL)
        snprintf(buf, n, "the address of %s", symbols[tag - TAG_SYMBOL]);
    else if (tag >= 0)
        snprintf(buf, n, "%s's entry value", R(tag));
    else
        snprintf(buf, n, "a value the checker cannot name (not the return address)");
    return buf;
}

static void check_end(Func *F, State *st, const Stmt *s, const End *e)
{
    char b1[128], b2[128];
    int is_ret = !e->direct && (e->tag == TAG_RETADDR || (I->link >= 0 && e->tag == I->link));
    if (F->kind == F_ENTRY) {
        if (!e->direct || strcmp(e->sym, "trampgen_sigtramp") != 0)
            report(F, s, "an entry must end in a jump to trampgen_sigtramp");
        if (!st->known || st->depth != 0)
            report(F, s, "jumps with SP %s: stack adjustments do not balance",
                   st->known ? (snprintf(b1, sizeof b1, "at entry%+lld", st->depth), b1) : "unknown");
        if (st->tag[M->kind] == M->kind)
            report(F, s, "jumps to sigtramp without loading the kind register %s", R(M->kind));
        return;
    }
    if (F->kind == F_SIGRESUME) {
        if (e->direct || e->tag != M->scratch[1])
            report(F, s, "sigresume must end in a jump through %s's entry value; this jumps to %s",
                   R(M->scratch[1]), e->direct ? e->sym : describe_tag(e->tag, b1, sizeof b1));
        if (st->known || st->tag[M->sp] != M->scratch[0])
            report(F, s, "SP at the jump is %s, not %s's entry value", st->known ? "unchanged" :
                   describe_tag(st->tag[M->sp], b2, sizeof b2), R(M->scratch[0]));
        return;
    }
    if (F->kind != F_SIGTRAMP)
        return;
    /* sigtramp: leave by returning (or by a tail jump), with everything back. */
    F->returns++;
    if (!e->known_at)
        report(F, s, "returns with SP set to an untracked value");
    else if (e->depth_at != 0)
        report(F, s, "returns with SP %lld bytes %s its entry value: the stack adjustments do not balance",
               e->depth_at < 0 ? -e->depth_at : e->depth_at, e->depth_at < 0 ? "below" : "above");
    /* Where it returns to matters only once SP is right: with SP off, the
     * word a stack-popping return takes is wrong as a consequence, not a second mistake. */
    int balanced = e->known_at && e->depth_at == 0;
    if (balanced && !e->direct && !is_ret && !e->is_return_insn)
        report(F, s, "leaves through an indirect jump to %s, not a return",
               describe_tag(e->tag, b1, sizeof b1));
    else if (balanced && e->is_return_insn && !is_ret)
        report(F, s, "returns to %s, not to the return address%s", describe_tag(e->tag, b1, sizeof b1),
               I->link >= 0 && st->lastw[I->link] ? (snprintf(b2, sizeof b2, " (%s last written at line %d)",
               R(I->link), st->lastw[I->link]), b2) : "");
    if (!e->direct && e->pops != M->handler_pops)
        report(F, s, "returns popping %lld argument bytes; the handler convention pops %d",
               e->pops, M->handler_pops);
    for (int r = 0; r < M->nregs; r++) {
        if (!rs_has(&must_save, r) || st->tag[r] == r)
            continue;
        if (st->tag[r] >= 0 && st->tag[r] < MAXREG)
            report(F, s, "%s is not restored on this path: it holds %s's saved value (line %d)",
                   R(r), R(st->tag[r]), st->lastw[r]);
        else
            report(F, s, "%s is not restored on this path (last written at line %d)", R(r), st->lastw[r]);
    }
}

static void check_call(Func *F, State *st, const Stmt *s, const char *sym)
{
    F->calls++;
    if (F->kind != F_SIGTRAMP) {
        report(F, s, "calls %s: %s must not call", sym[0] ? sym : "through a register",
               F->kind == F_ENTRY ? "an entry" : "sigresume");
        return;
    }
    if (!sym[0] || strcmp(sym, M->dispatcher) != 0)
        report(F, s, "calls %s; sigtramp calls only the dispatcher %s", sym[0] ? sym : "through a register",
               M->dispatcher);
    long long misalign_at_entry = I->call_pushes ? M->word : 0;
    if (!st->known) {
        report(F, s, "SP is not known at the call, so its alignment cannot be shown");
    } else {
        long long mis = ((st->depth - misalign_at_entry) % M->align + M->align) % M->align;
        F->call_depth = st->depth;
        F->call_aligned = mis == 0;
        if (mis)
            report(F, s, "SP at the call is entry SP%+lld, %lld bytes off the %d-byte alignment the ABI "
                   "requires at a call (%s)", st->depth, mis, M->align,
                   misalign_at_entry ? "entry SP is one pushed return address below an aligned boundary"
                                     : "entry SP is aligned");
    }
    /* The callee owns its argument area (outgoing stack arguments and shadow
     * space) and everything below SP. */
    long long owned = st->known ? st->depth + M->outgoing : 0;
    for (int r = 0; r < M->nregs; r++) {
        if (!rs_has(&must_save, r) || st->tag[r] != r)
            continue;
        int ok = 0, in_args = -1;
        for (int i = 0; i < st->nslots; i++)
            if (st->slots[i].tag == r) {
                if (st->known && st->slots[i].addr >= owned)
                    ok = 1;
                else if (st->known && st->slots[i].addr >= st->depth)
                    in_args = (int)(st->slots[i].addr - st->depth);
            }
        if (ok)
            continue;
        if (in_args >= 0)
            report(F, s, "%s's saved copy at sp+%d lies in the dispatcher's argument area (%d bytes), "
                   "which the callee may overwrite", R(r), in_args, M->outgoing);
        else
            report(F, s, "%s is not saved before the call to %s (%s)", R(r), sym[0] ? sym : "the dispatcher",
                   r == I->link ? "the call overwrites it with its own return address"
                                : "sigtramp keeps every preserved register itself");
    }
    if (st->known)
        drop_slots(st, -(1LL << 40), owned);
    else
        st->nslots = 0;
    for (int r = 0; r < M->nregs; r++)
        if (r != M->sp) {
            st->tag[r] = TAG_UNKNOWN;
            st->lastw[r] = s->line;
        }
}

/* Execute one instruction. Returns 1 if the path continues at the next
 * statement, 0 if it ended (e filled in), 2 if it continues at *next. */
static int exec(Func *F, State *st, const Stmt *s, const Insn *in, End *e, int *next, int idx);

static void run(Func *F, State st, int idx)
{
    for (;;) {
        if (F->paths >= MAXPATHS) {
            report(F, NULL, "more than %d paths; the checker gives up", MAXPATHS);
            return;
        }
        if (idx >= F->last) {
            report(F, idx > F->first ? &P->s[idx - 1] : NULL,
                   "a path falls off the end of the function without a jump or return");
            F->paths++;
            return;
        }
        const Stmt *s = &P->s[idx];
        if (!s->mnem[0]) {
            idx++;
            continue;
        }
        if (idx - F->first >= MAXSTMT || st.onpath[idx - F->first]) {
            report(F, s, "a path loops (or the function is too long); the checker handles straight-line "
                   "code and forward branches only");
            F->paths++;
            return;
        }
        st.onpath[idx - F->first] = 1;
        int known;
        const Insn *in = isa_insn(I, s->mnem, s->nops, &known);
        if (!in) {
            report(F, s, known ? "%s with %d operand(s) is not in %s" : "unknown instruction %s "
                   "(%d operands): not in %s, so the checker cannot say what it touches",
                   s->mnem, s->nops, I->path);
            F->paths++;
            return;
        }
        End e;
        memset(&e, 0, sizeof e);
        int next = -1;
        int k = exec(F, &st, s, in, &e, &next, idx);
        if (k == 0) {
            check_end(F, &st, s, &e);
            F->paths++;
            if (st.lowest < F->lowest)
                F->lowest = st.lowest;
            return;
        }
        if (st.lowest < F->lowest)
            F->lowest = st.lowest;
        idx = k == 2 ? next : idx + 1;
    }
}

static int exec(Func *F, State *st, const Stmt *s, const Insn *in, End *e, int *next, int idx)
{
    const Operand *o = s->ops;
    int mem = -1, target = -1, dst = -1;
    /* Reads: explicit operands and address registers, then implicit ones. */
    for (int k = 0; k < s->nops; k++) {
        int role = in->roles[k];
        if ((role & ROLE_W) && (o[k].type == O_IMM || o[k].type == O_SYM))
            report(F, s, "operand %d is written (table line %d) but is not a register or memory", k + 1, in->line);
        /* A plain name where a register belongs is a register the model
         * and table do not know (an alias missing from the table, or a typo
         * in an idiom): refuse it rather than guess what it touches. With a
         * register prefix, a plain name is a symbol (a register name
         * without its prefix was refused when the operand was read). */
        if (o[k].type == O_SYM && o[k].bare && !M->prefix && !(role & (ROLE_T | ROLE_A)))
            report(F, s, "operand %d (%s) is not a register of the model or %s", k + 1, o[k].sym, I->path);
        if (o[k].type == O_MEM) {
            read_reg(F, s, o[k].base);
            read_reg(F, s, o[k].index);
            if (!(role & (ROLE_A | ROLE_T)) && mem < 0)
                mem = k;
        } else if (o[k].type == O_REG && (role & (ROLE_R | ROLE_T | ROLE_A))) {
            read_reg(F, s, o[k].reg);
        }
        if (role & ROLE_T)
            target = k;
        if ((role & ROLE_W) && o[k].type == O_REG && dst < 0)
            dst = k;
    }
    for (int r = 0; r < M->nregs; r++)
        if (rs_has(&in->reads, r))
            read_reg(F, s, r);
    if (in->target >= 0)
        read_reg(F, s, in->target);

    /* The memory address, relative to entry SP when based on a known SP. */
    int addr_known = 0;
    long long addr = 0;
    if (mem >= 0) {
        const Operand *mo = &o[mem];
        if (mo->base == M->sp && st->known && mo->off_known && mo->index < 0) {
            addr_known = 1;
            /* SP holds the frame's address minus the stack bias. */
            addr = st->depth + (mo->writeback == 2 ? 0 : mo->off - M->stack_bias);
        }
    }
    int size_default = in->size ? in->size : M->word;

    const Operand *l = NULL;            /* a register list: push {..}, or stmdb sp!, {..} */
    for (int k = 0; k < s->nops; k++)
        if (o[k].type == O_LIST)
            l = &o[k];
    if ((in->stack == STACK_PUSH || in->stack == STACK_POP) && l && s->nops == 2
        && !(o[0].type == O_REG && o[0].reg == M->sp && o[0].writeback))
        report(F, s, "a register list %s only through SP with writeback", in->stack == STACK_PUSH ? "is pushed" : "is popped");
    if ((in->stack == STACK_PUSH || in->stack == STACK_POP) && l) {
        /* A register list: the first register of the model's order at the
         * lowest address, SP moved past them all (push: below SP first). */
        if (in->stack == STACK_PUSH) {
            if (st->known)
                sp_adjust(F, st, s, -(long long)l->nlist * M->word);
            long long at = st->depth;
            for (int r = 0; r < M->nregs; r++) {
                if (!rs_has(&l->list, r))
                    continue;
                read_reg(F, s, r);
                store(F, st, s, st->known, at, M->word, width_bytes(r) == M->word ? st->tag[r] : TAG_UNKNOWN, r);
                at += M->word;
            }
        } else {
            long long at = st->depth;
            for (int r = 0; r < M->nregs; r++) {
                if (!rs_has(&l->list, r))
                    continue;
                int sl = st->known ? find_slot(st, at, M->word) : -1;
                int tag = sl >= 0 ? st->slots[sl].tag : TAG_UNKNOWN;
                if (tag == r)
                    rs_add(&F->restored, r);
                if (r == I->pc) {
                    e->tag = tag;
                    e->end = 1;
                } else {
                    write_reg(F, st, s, r, tag, NULL, 1);
                }
                at += M->word;
            }
            if (st->known)
                sp_adjust(F, st, s, (long long)l->nlist * M->word);
        }
    } else if (in->stack == STACK_PUSH || in->stack == STACK_POP) {
        /* push: SP -= word, then store; pop: load, then SP += word. */
        int r = s->nops ? o[0].reg : -1;
        if (in->stack == STACK_PUSH) {
            if (st->known)
                sp_adjust(F, st, s, -M->word);
            int tag = r >= 0 && !o[0].partial && width_bytes(r) == M->word ? st->tag[r] : TAG_UNKNOWN;
            store(F, st, s, st->known, st->depth, M->word, tag, r);
        } else {
            int sl = st->known ? find_slot(st, st->depth, M->word) : -1;
            int tag = sl >= 0 && r >= 0 && !o[0].partial ? st->slots[sl].tag : TAG_UNKNOWN;
            if (tag == r && r >= 0)
                rs_add(&F->restored, r);
            write_reg(F, st, s, r, tag, NULL, 1);
            if (st->known)
                sp_adjust(F, st, s, M->word);
        }
    } else if (in->op == OP_MOVE && mem >= 0 && (in->roles[mem] & ROLE_W)) {
        /* A store: the read registers go to consecutive slots. */
        int j = 0;
        for (int k = 0; k < s->nops; k++) {
            if (k == mem || !(in->roles[k] & ROLE_R))
                continue;
            int r = o[k].type == O_REG ? o[k].reg : -1;
            int size = in->size ? in->size : r >= 0 ? width_bytes(r) : M->word;
            int tag = r >= 0 && !o[k].partial && size == width_bytes(r) ? st->tag[r] : TAG_UNKNOWN;
            store(F, st, s, addr_known, addr + (long long)j * size, size, tag, r);
            j++;
        }
    } else if (in->op == OP_MOVE && mem >= 0) {
        /* A load: the written registers come from consecutive slots. */
        int j = 0;
        for (int k = 0; k < s->nops; k++) {
            if (k == mem || !(in->roles[k] & ROLE_W) || o[k].type != O_REG)
                continue;
            int r = o[k].reg;
            int size = in->size ? in->size : width_bytes(r);
            int sl = addr_known ? find_slot(st, addr + (long long)j * size, size) : -1;
            int tag = sl >= 0 && !o[k].partial ? st->slots[sl].tag : TAG_UNKNOWN;
            /* A GOT load: the register holds the symbol's address. */
            for (int q = 0; q < I->naddr_relocs && j == 0; q++)
                if (strcmp(o[mem].reloc, I->addr_relocs[q]) == 0 && !o[k].partial)
                    tag = symbol_tag(o[mem].sym);
            if (tag == r)
                rs_add(&F->restored, r);
            if (r == I->pc) {
                e->tag = tag;
                e->end = 1;
            } else {
                write_reg(F, st, s, r, tag, NULL, 1);
            }
            j++;
        }
    } else if (in->op == OP_MOVE && dst >= 0) {
        int src = -1;
        for (int k = 0; k < s->nops; k++)
            if (k != dst && (in->roles[k] & ROLE_R))
                src = k;
        int tag = src >= 0 && o[src].type == O_REG && !o[src].partial && !o[dst].partial ? st->tag[o[src].reg]
                                                                                           : TAG_UNKNOWN;
        if (o[dst].reg == I->pc) {
            e->tag = tag;               /* a move to PC is an indirect jump */
            e->end = 1;
        } else {
            write_reg(F, st, s, o[dst].reg, tag, NULL, 1);
        }
    } else if ((in->op == OP_ADD || in->op == OP_SUB) && dst >= 0 && o[dst].reg == M->sp) {
        /* SP +/- a constant, from SP itself: the one SP change that keeps it known. */
        int imms = 0, others = 0;
        long long v = 0;
        for (int k = 0; k < s->nops; k++) {
            if (k == dst || !(in->roles[k] & ROLE_R))
                continue;               /* the destination is SP itself */
            if (o[k].type == O_IMM) {
                imms++;
                v = o[k].imm;
            } else if (!(o[k].type == O_REG && o[k].reg == M->sp)) {
                others++;
            }
        }
        if (st->known && imms == 1 && others == 0)
            sp_adjust(F, st, s, in->op == OP_ADD ? v : -v);
        else
            write_reg(F, st, s, M->sp, TAG_UNKNOWN, NULL, 1);
    } else {
        for (int k = 0; k < s->nops; k++) {
            if (!(in->roles[k] & ROLE_W))
                continue;
            if (o[k].type == O_REG) {
                if (o[k].reg == I->pc) {
                    e->tag = TAG_UNKNOWN;
                    e->end = 1;
                } else {
                    write_reg(F, st, s, o[k].reg, TAG_UNKNOWN, NULL, 1);
                }
            } else if (o[k].type == O_MEM) {
                store(F, st, s, addr_known, addr, size_default, TAG_UNKNOWN, -1);
            }
        }
    }
    /* Base register writeback ("[sp, #-16]!" and "[sp], #16"). */
    if (mem >= 0 && o[mem].writeback) {
        const Operand *mo = &o[mem];
        long long delta = mo->writeback == 1 ? mo->off : mo->post;
        if (mo->base == M->sp && st->known && mo->off_known)
            sp_adjust(F, st, s, delta);
        else
            write_reg(F, st, s, mo->base, TAG_UNKNOWN, NULL, 1);
    }

    /* Control flow. */
    char sym[NAMELEN] = "";
    int tgt_tag = TAG_UNKNOWN, direct = 0;
    if (target >= 0) {
        const Operand *t = &o[target];
        if (t->type == O_SYM && !t->indirect) {
            direct = 1;
            snprintf(sym, sizeof sym, "%s", t->sym);
        } else if (t->type == O_REG) {
            tgt_tag = st->tag[t->reg];
            /* A call through a register holding a symbol's address calls the symbol. */
            if (in->flow == FLOW_CALL && tgt_tag >= TAG_SYMBOL)
                snprintf(sym, sizeof sym, "%s", symbols[tgt_tag - TAG_SYMBOL]);
        }
    } else if (in->target >= 0) {
        tgt_tag = st->tag[in->target];
    }
    if (in->flow == FLOW_CALL && F->kind == F_SIGTRAMP) {
        check_call(F, st, s, sym);
        for (int r = 0; r < M->nregs; r++)
            if (rs_has(&in->writes, r) || rs_has(&in->clobbers, r))
                write_reg(F, st, s, r, TAG_UNKNOWN, s->mnem, 0);
        return 1;
    }
    for (int r = 0; r < M->nregs; r++)
        if (rs_has(&in->writes, r) || rs_has(&in->clobbers, r)) {
            write_reg(F, st, s, r, TAG_UNKNOWN, s->mnem, rs_has(&in->clobbers, r) ? 2 : 1);
        }
    if (in->flow == FLOW_CALL) {
        check_call(F, st, s, sym);
        return 1;
    }
    if (in->flow == FLOW_COND) {
        int li = direct ? local_label(F, sym, idx) : -1;
        if (li < 0) {
            report(F, s, "conditional branch to %s, which is not a label in this function", sym[0] ? sym : "?");
            return 1;
        }
        run(F, *st, li);                /* taken */
        return 1;                       /* not taken */
    }
    if (in->flow == FLOW_JUMP) {
        if (direct) {
            int li = local_label(F, sym, idx);
            if (li >= 0) {
                *next = li;
                return 2;
            }
        }
        e->end = 1;
        e->direct = direct;
        snprintf(e->sym, sizeof e->sym, "%s", sym);
        e->known_at = st->known;
        e->depth_at = st->depth;
        if (in->target == TARGET_STACK) {
            /* A return that pops the return address, then the argument bytes. */
            int sl = st->known ? find_slot(st, st->depth, M->word) : -1;
            e->tag = sl >= 0 ? st->slots[sl].tag : TAG_UNKNOWN;
            e->is_return_insn = 1;
            e->pops = in->pops_operand >= 0 ? o[in->pops_operand].imm : 0;
        } else {
            e->tag = tgt_tag;
            e->is_return_insn = in->target >= 0;
        }
        return 0;
    }
    if (e->end) {                       /* a write to PC */
        e->known_at = st->known;
        e->depth_at = st->depth;
        return 0;
    }
    return 1;
}

static void print_set(const char *label, const regset *s, const Func *F, int with_addr)
{
    printf("  %-10s", label);
    int any = 0;
    for (int r = 0; r < M->nregs; r++) {
        if (!rs_has(s, r))
            continue;
        if (with_addr == 1 && !rs_has(&must_save, r))
            continue;
        if (with_addr == 2 && rs_has(&must_save, r))
            continue;
        any = 1;
        if (with_addr)
            printf(" %s@sp+%lld", R(r), F->save_addr[r] - F->lowest);
        else if (s == &F->writes && rs_has(&F->implicit, r))
            printf(" %s(by %s)", R(r), F->implicit_by[r]);
        else
            printf(" %s", R(r));
    }
    printf("%s\n", any ? "" : " -");
}

static void summary(const Func *F)
{
    const char *what = F->kind == F_ENTRY ? "entry" : F->kind == F_SIGTRAMP ? "sigtramp"
                     : F->kind == F_SIGRESUME ? "sigresume" : "other";
    printf("%s (%s, lines %d-%d, %d path%s)\n", F->name, what, P->s[F->first].line,
           P->s[F->last - 1].line, F->paths, F->paths == 1 ? "" : "s");
    print_set("read:", &F->reads, F, 0);
    print_set("written:", &F->writes, F, 0);
    if (F->kind == F_SIGTRAMP) {
        print_set("saved:", &F->saved, F, 1);
        print_set("restored:", &F->restored, F, 0);
        /* Entry values stored that need no restore: outgoing arguments. */
        print_set("stored:", &F->saved, F, 2);
        printf("  stack:     frame %lld bytes; ", -F->lowest);
        if (F->calls)
            printf("SP at the call is entry SP%+lld, %s%d-byte aligned", F->call_depth,
                   F->call_aligned ? "" : "NOT ", M->align);
        else
            printf("no call");
        printf("; %d return%s\n", F->returns, F->returns == 1 ? "" : "s");
    }
}

static int is_global(const char *name)
{
    for (int i = 0; i < P->nglobals; i++)
        if (strcmp(P->globals[i], name) == 0)
            return 1;
    return 0;
}

int analyze(const Model *m, const Isa *isa, const Program *p)
{
    M = m;
    I = isa;
    P = p;

    /* The table and the spec describe the same machine or nothing holds. */
    if (I->sp != M->sp)
        report(NULL, NULL, "the spec's stack pointer is %s, the ISA table's %s", R(M->sp), R(I->sp));
    if (I->link != M->lr)
        report(NULL, NULL, "the spec's link register is %s, but in %s calls write %s", M->lr >= 0 ? R(M->lr) : "none",
               I->path, I->link >= 0 ? R(I->link) : "none (they push)");
    if (I->call_pushes != M->call_pushes)
        report(NULL, NULL, "the spec says calls %s the return address; %s says they %s",
               M->call_pushes ? "push" : "do not push", I->path, I->call_pushes ? "push" : "do not push");

    /* What must survive sigtramp: the preserved set, and the link register. */
    memset(&must_save, 0, sizeof must_save);
    for (int r = 0; r < M->nregs; r++)
        if (rs_has(&M->preserved, r))
            rs_add(&must_save, r);
    if (I->link >= 0)
        rs_add(&must_save, I->link);

    /* What an entry may write: argument registers the handler call leaves
     * free (it passes handler_args of them), the kind register, which
     * must itself be free to clobber under the clobber model, and the entry
     * address register, which it moves to sigtramp's address. A pseudo-
     * instruction's expansion scratch is allowed if it is volatile and not
     * one of the registers the entry must keep. */
    memset(&entry_may_write, 0, sizeof entry_may_write);
    memset(&entry_may_clobber, 0, sizeof entry_may_clobber);
    for (int i = M->handler_args; i < M->nargs; i++)
        if (!rs_has(&M->preserved, M->args[i]))     /* an argument register may be callee-saved too */
            rs_add(&entry_may_write, M->args[i]);
    int kind_ok = 1;
    for (int i = 0; i < M->handler_args && i < M->nargs; i++)
        if (M->args[i] == M->kind)
            kind_ok = 0;
    if (!kind_ok || rs_has(&M->preserved, M->kind) || rs_has(&M->reserved, M->kind) || M->kind == M->sp
        || M->kind == M->pc || M->kind == M->lr)
        report(NULL, NULL, "the kind register %s is not free for an entry to write (it is preserved, "
               "reserved, special, or carries a handler argument)", R(M->kind));
    else
        rs_add(&entry_may_write, M->kind);
    if (M->entry_address >= 0)
        rs_add(&entry_may_write, M->entry_address);
    for (int r = 0; r < M->nregs; r++) {
        int handler_arg = 0;
        for (int i = 0; i < M->handler_args && i < M->nargs; i++)
            handler_arg |= M->args[i] == r;
        if (!handler_arg && !rs_has(&M->preserved, r) && !rs_has(&M->reserved, r) && r != M->sp
            && r != M->pc && r != M->lr)
            rs_add(&entry_may_clobber, r);
    }

    /* Functions: from each global label to the next. */
    static Func funcs[64];
    int nf = 0;
    for (int i = 0; i < p->n; i++) {
        if (p->s[i].label[0] && is_global(p->s[i].label) && nf < 64) {
            if (nf)
                funcs[nf - 1].last = i;
            Func *F = &funcs[nf++];
            memset(F, 0, sizeof *F);
            snprintf(F->name, NAMELEN, "%s", p->s[i].label);
            F->first = i;
            F->last = p->n;
            F->kind = F_OTHER;
            if (strcmp(F->name, "trampgen_sigtramp") == 0)
                F->kind = F_SIGTRAMP;
            else if (strcmp(F->name, "trampgen_sigresume") == 0)
                F->kind = F_SIGRESUME;
            for (int k = 0; k < m->nentries; k++)
                if (strcmp(F->name, m->entries[k].name) == 0)
                    F->kind = F_ENTRY;
        } else if (p->s[i].mnem[0] && nf == 0) {
            report(NULL, &p->s[i], "instruction outside any function (line %d)", p->s[i].line);
        }
    }
    const char *need[2] = {"trampgen_sigtramp", "trampgen_sigresume"};
    for (int k = 0; k < 2 + m->nentries; k++) {
        const char *n = k < 2 ? need[k] : m->entries[k - 2].name;
        int found = 0;
        for (int i = 0; i < nf; i++)
            found |= strcmp(funcs[i].name, n) == 0;
        if (!found)
            report(NULL, NULL, "%s is missing from the assembly", n);
    }

    for (int i = 0; i < nf; i++) {
        Func *F = &funcs[i];
        if (F->kind == F_OTHER) {
            report(F, NULL, "a global function the model does not know (not an entry, sigtramp or sigresume)");
            continue;
        }
        static State st;
        memset(&st, 0, sizeof st);
        st.known = 1;
        for (int r = 0; r < m->nregs; r++)
            st.tag[r] = r;
        if (I->call_pushes)
            st.slots[st.nslots++] = (Slot){0, m->word, TAG_RETADDR};
        run(F, st, F->first);
    }
    printf("\n-- %s: per-trampoline summary (registers by model name; saved slots from the lowest SP) --\n",
           m->target);
    for (int i = 0; i < nf; i++)
        if (funcs[i].kind != F_OTHER)
            summary(&funcs[i]);
    return nproblems;
}
