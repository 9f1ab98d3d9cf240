"""What the templates render: a validated Target plus the facts derived from it.

The sigtramp frame is laid out once, by a small Layout that hands out stack
offsets as registers are added (the idea of Go's mkpreempt.go); the save and
restore sequences both walk that one layout, so they cannot disagree.
"""

from __future__ import annotations

import dataclasses

from .spec import Target, substitute


# The idioms that transfer control: on an ISA whose assembler leaves delay
# slots to the source (isa.delay_slot_fill), each is followed by the fill.
TRANSFER_IDIOMS = frozenset({"call", "tail_jump", "jump_register", "return", "return_pop",
                             "call_register", "jump"})
# The idioms that address memory at {offset} from the stack pointer: on an ABI
# with a stack bias the offset they are given is from the real frame, and the
# instruction's is that plus the bias.
SP_RELATIVE_IDIOMS = frozenset({"store", "load", "store_pair", "load_pair"})


@dataclasses.dataclass(frozen=True)
class Slot:
    reg: str
    cls: str
    offset: int
    size: int
    why: str


class Layout:
    def __init__(self, start: int):
        self.end = start
        self.slots: list[Slot] = []

    def add(self, reg: str, cls: str, size: int, why: str) -> None:
        self.end = (self.end + size - 1) // size * size   # natural alignment of the slot
        self.slots.append(Slot(reg, cls, self.end, size, why))
        self.end += size


@dataclasses.dataclass(frozen=True)
class Arg:
    """One dispatcher argument: where sigtramp finds it and where the call needs it."""

    index: int
    name: str
    c_type: str
    register: str | None          # None: passed on the stack
    incoming: int | None          # stack offset (after the frame is allocated) on entry
    outgoing: int | None          # stack offset of the outgoing slot


@dataclasses.dataclass
class Frame:
    size: int
    outgoing_bytes: int
    entry_misalign: int
    slots: list[Slot]


def _round_up(n: int, a: int) -> int:
    return (n + a - 1) // a * a


class Model:
    def __init__(self, t: Target):
        self.t = t
        self.isa = t.isa
        self.os = t.os
        word = t.isa.word_bytes
        self.word = word
        self.spec_path = t.src.rel

        # Dispatcher arguments: the handler's own, then the kind.
        params = [(a["name"], a["type"]) for a in t.os.handler_args] + [("kind", "intptr_t")]
        n_reg = len(t.int_args)
        stack_params = max(0, len(params) - n_reg)
        out_bytes = t.shadow_space + stack_params * word
        self.entry_misalign = word if t.isa.call_pushes_return_address else 0

        layout = Layout(out_bytes)
        abi = f"the {t.name} ABI"
        ints = [(reg, f"callee-saved in {abi}") for reg in t.callee_saved.get("int", [])]
        if t.isa.link_register:
            ints.append((t.isa.link_register, "holds our return address; the call to the dispatcher overwrites it"))
        # With a push-list idiom the integer registers are pushed by one
        # instruction, at the top of the frame in the ISA's register order
        # (that instruction's order: the first at the lowest address).
        self.pushed: list[tuple[str, str]] = []
        if "push_list.int" in t.isa.idioms and ints:
            order = list(t.isa.reg_class)
            self.pushed = sorted(ints, key=lambda rw: order.index(rw[0]))
        else:
            for reg, why in ints:
                layout.add(reg, "int", word, why)
        for cls, regs in sorted(t.callee_saved.items()):
            if cls == "int":
                continue
            for reg in regs:
                layout.add(reg, cls, t.isa.reg_width[reg] // 8, f"callee-saved in {abi}")
        pushed_bytes = word * len(self.pushed)
        size = layout.end + pushed_bytes
        # At the call the stack must be aligned: entry SP + misalign is aligned.
        size = _round_up(size + self.entry_misalign, t.stack_alignment) - self.entry_misalign
        if size < 0:
            size += t.stack_alignment
        slots = layout.slots + [Slot(reg, "int", size - pushed_bytes + k * word, word, why)
                                for k, (reg, why) in enumerate(self.pushed)]
        self.frame = Frame(size, out_bytes, self.entry_misalign, slots)
        # What stack_alloc allocates: the frame less what the push already took.
        self.alloc_bytes = size - pushed_bytes

        ret_bytes = word if t.isa.call_pushes_return_address else 0
        self.args: list[Arg] = []
        for i, (name, ctype) in enumerate(params):
            if i < n_reg:
                self.args.append(Arg(i, name, ctype, t.int_args[i], None, None))
            else:
                k = i - n_reg
                self.args.append(Arg(i, name, ctype, None,
                                     size + ret_bytes + t.shadow_space + k * word,
                                     t.shadow_space + k * word))
        self.kind_arg = self.args[-1]
        self.handler_args = self.args[:-1]

        # inject-call: fn(arg) as if the faulting instruction had called it. The
        # argument goes in the first argument register, or in the first stack
        # slot above the shadow space; the whole outgoing area keeps SP aligned.
        self.inject_arg_register = t.int_args[0] if t.int_args else None
        self.inject_arg_offset = t.shadow_space
        self.inject_out_bytes = _round_up(t.shadow_space + (0 if t.int_args else word),
                                          t.stack_alignment)

    # ---- instruction text from the ISA idioms --------------------------------
    def op(self, name: str, **kw) -> str:
        """One idiom as one line; a control transfer gets the ISA's delay-slot
        fill after it (isa.delay_slot_fill), on the same line."""
        if self.t.stack_bias and name.split(".")[0] in SP_RELATIVE_IDIOMS:
            # The register holds the frame's address minus the bias (abi.stack_bias).
            kw = {**kw, "offset": kw["offset"] + self.t.stack_bias}
        text = substitute(self.isa.idioms[name], kw)
        if self.isa.delay_slot_fill and name in TRANSFER_IDIOMS:
            text += f"{self.isa.statement_separator} {self.isa.delay_slot_fill}"
        return text

    def stmts(self, name: str, **kw) -> list[str]:
        """An idiom that may be one statement or several, one string per statement."""
        return self.ops(name, **kw) if name in self.isa.sequences else [self.op(name, **kw)]

    def ops(self, name: str, **kw) -> list[str]:
        """A multi-statement idiom (isa.sequences), one string per statement; a
        control transfer's last statement gets the delay-slot fill after it."""
        out = [substitute(text, kw) for text in self.isa.sequences[name]]
        if self.isa.delay_slot_fill and name in TRANSFER_IDIOMS:
            out.append(self.isa.delay_slot_fill)
        return out

    def store(self, slot: Slot) -> str:
        return self.op(f"store.{slot.cls}", reg=slot.reg, offset=slot.offset)

    def load(self, slot: Slot) -> str:
        return self.op(f"load.{slot.cls}", reg=slot.reg, offset=slot.offset)

    def global_pointer_setup(self, symbol: str) -> list[str]:
        """abi.global_pointer.setup for the function symbol, entered with its address in
        abi.entry_address_register."""
        gp = self.t.global_pointer
        return [substitute(s, {"reg": gp["register"], "entry": self.t.entry_address_register, "symbol": symbol})
                for s in gp["setup"]]

    def push_pop(self, name: str) -> str:
        """push_list/pop_list of the pushed registers, their list written as asm.register_list says."""
        rl = self.isa.asm.register_list
        regs = [r for r, _ in self.pushed]
        listed = rl["open"] + rl["separator"].join(
            (self.isa.asm.register_prefix or "") + r for r in regs) + rl["close"]
        return self.op(f"{name}.int", list=listed)

    @property
    def save_groups(self) -> list[tuple[Slot, ...]]:
        """The frame's slots in save order, each alone or, where the ISA has a pair idiom for its
        class, with the next slot when that is of the same class, right above it and in reach."""
        groups: list[tuple[Slot, ...]] = []
        pushed = {r for r, _ in self.pushed}
        slots = [s for s in self.frame.slots if s.reg not in pushed]
        k = 0
        while k < len(slots):
            s = slots[k]
            n = slots[k + 1] if k + 1 < len(slots) else None
            if (n is not None and n.cls == s.cls and n.size == s.size and n.offset == s.offset + s.size
                    and f"store_pair.{s.cls}" in self.isa.idioms
                    and s.offset + self.t.stack_bias <= self.isa.pair_offset_max):
                groups.append((s, n))
                k += 2
            else:
                groups.append((s,))
                k += 1
        return groups

    def store_group(self, g: tuple[Slot, ...]) -> str:
        if len(g) == 1:
            return self.store(g[0])
        return self.op(f"store_pair.{g[0].cls}", reg=g[0].reg, reg2=g[1].reg, offset=g[0].offset)

    def load_group(self, g: tuple[Slot, ...]) -> str:
        if len(g) == 1:
            return self.load(g[0])
        return self.op(f"load_pair.{g[0].cls}", reg=g[0].reg, reg2=g[1].reg, offset=g[0].offset)

    @staticmethod
    def group_why(g: tuple[Slot, ...]) -> str:
        if len(g) == 1 or g[0].why == g[1].why:
            return g[0].why
        return f"{g[0].reg}: {g[0].why}; {g[1].reg}: {g[1].why}"

    # ---- register roles, for `explain` and for comments ----------------------
    def roles(self) -> list[tuple[str, str, list[str]]]:
        t, isa = self.t, self.isa
        rows = []
        saved = {s.reg: s for s in self.frame.slots}
        names = sorted(isa.reg_class, key=lambda r: (isa.reg_class[r] != "int",
                                                     list(isa.reg_class).index(r)))
        for r in names:
            roles = []
            if r == isa.stack_pointer:
                roles.append("stack pointer")
            if r == isa.program_counter:
                roles.append("program counter")
            if r == isa.link_register:
                roles.append("link register")
            if r in t.int_args:
                i = t.int_args.index(r)
                arg = self.args[i].name if i < len(self.args) else None
                roles.append(f"argument {i}" + (f" ({arg})" if arg else ""))
            if r == t.return_register:
                roles.append("return value")
            if r in saved:
                s = saved[r]
                roles.append(f"saved by sigtramp at sp+{s.offset}"
                             + (" (callee-saved)" if r != isa.link_register else ""))
            if r in t.reserved:
                roles.append(f"reserved: {t.reserved[r]}")
            if r == t.kind_register:
                roles.append("kind (loaded by each entry)")
            if r in t.scratch:
                roles.append("resume " + ("SP" if r == t.scratch[0] else "PC")
                             + " scratch (dead at resume through sigresume)")
            if not roles:
                roles.append("volatile")
            field = t.context_fields.get(r)
            ctx = [f"{t.os.context_type}.{field.field} @{field.offset}"] if field else []
            rows.append((r, isa.reg_class[r], roles + ctx))
        return rows
