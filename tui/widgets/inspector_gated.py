"""The inspector's text for the LSTM and the GRU: the chosen state or gate (`v`) of one
cell, its exact value and the statement that made it with this example's numbers,

    f[t=3][h2] = 0.3079
    = sigmoid(x·synapse_0[f][:,2] + h_prev·synapse_h[f][:,2] + bias[f][2])
    = sigmoid(0.4100 + -1.2200 + 0.0500)
    = sigmoid(-0.7600) = 0.3186

and going backward the delta flowing into the carried state (dh, or the LSTM's dc when
c is chosen). The terms come from `model.explain_gated`; each value is checked against
the kernel's number on screen, and a disagreement is said, never hidden.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from model.cells import cell_info
from model.encoding import bits_lsb_first
from model.explain import agrees
from model.explain_gated import (
    GateTerms,
    GruHidden,
    HiddenDelta,
    LstmCell,
    LstmHidden,
    block,
    gate_terms,
    gru_hidden_delta,
    lstm_cell_delta,
    lstm_hidden_delta,
    tanh_gates,
)
from model.stepper import BACKWARD
from tui.widgets.hidden import delta_shown, unit_label
from tui.widgets.inspector import Pointed, no_weights, num, sig, symbols

Row = tuple[float, ...]


def named(state: str, t: int, unit: int) -> str:
    return f"{state}[t={t}][{unit_label(state, unit)}]"


def chosen(cell: Pointed) -> str:
    states = cell_info(cell.snapshot.cell).states
    return cell.state if cell.state in states else "h"


def row(cell: Pointed, state: str, t: int) -> Row | None:
    if t < 0:
        return None
    return cell.snapshot.states[state][t]


def signed(value: float) -> str:
    """A number to square: in parentheses when negative, `(-0.1714)`."""
    return f"({num(value)})" if value < 0 else num(value)


def mismatch(recomputed: float, shown: float, lines: list[Text]) -> None:
    if not agrees(recomputed, shown):
        lines.append(Text(f"recomputed {sig(recomputed)} differs from the value shown", "bold red"))


def clamped_here(cell: Pointed, state: str) -> bool:
    """Is this unit of `state` forced to 0 after each timestep (the ablation)?"""
    ablation = cell.ablation
    if ablation.clamped_unit != cell.unit:
        return False
    # clamping c zeroes h = o*tanh(c) too; clamping h leaves c as computed
    return state == ablation.clamped_state or (state == "h" and ablation.clamped_state == "c")


def gated_statement(cell: Pointed) -> list[Text]:
    snap, u, t = cell.snapshot, cell.unit, cell.timestep
    state = chosen(cell)
    values = row(cell, state, t)
    if values is None:
        return [
            Text(f"{named(state, t, u)}: not computed yet", "bold"),
            Text(f"the forward pass has not reached t={t}: n steps to it."),
        ]
    carried = delta_shown(snap, state)  # as the heatmap beside it
    delta = snap.deltas[carried][t]
    lines: list[Text] = []
    if snap.phase == BACKWARD and delta is not None:
        lines += delta_lines(cell, carried, delta[u])
        lines.append(Text(""))
        lines.append(Text(f"forward: {named(state, t, u)} = {num(values[u])}", "bold"))
        return lines
    lines += forward_lines(cell, state, values[u])
    if snap.phase == BACKWARD:
        lines.append(Text(""))
        lines.append(
            Text(f"d{carried}[t={t}]: not computed yet (backward runs t={snap.bits - 1}..0)")
        )
    return lines


# -- forward ---------------------------------------------------------------------------------


def gate_of(cell: Pointed, gate: str) -> GateTerms:
    """The terms of `gate` at the pointed cell, from the network's weights."""
    snap, u, t = cell.snapshot, cell.unit, cell.timestep
    assert cell.weights is not None
    x = (bits_lsb_first(snap.a, snap.bits)[t], bits_lsb_first(snap.b, snap.bits)[t])
    h_prev = row(cell, "h", t - 1)
    source: Sequence[float] | None = h_prev
    if snap.cell == "gru" and gate == "n" and h_prev is not None:
        r = row(cell, "r", t)
        assert r is not None
        source = [a * b for a, b in zip(r, h_prev, strict=True)]
    info = cell_info(snap.cell)
    return gate_terms(
        snap.cell,
        info.spec(snap.hidden),
        cell.weights,
        gate,
        x,
        source,
        u,
        cut_recurrence=cell.ablation.cut_recurrence,
    )


def gate_formula(terms: GateTerms, source: str) -> str:
    dot, _ = symbols()
    u = terms.unit
    return (
        f"{terms.squash}(x{dot}{terms.input_name}[:,{u}]"
        f" + {source}{dot}{terms.recurrent_name}[:,{u}] + {terms.bias_name}[{u}])"
    )


def gate_numbers(terms: GateTerms) -> str:
    return (
        f"{terms.squash}({num(terms.input_term)} + {num(terms.recurrent_term)}"
        f" + {num(terms.bias_term)})"
    )


def source_name(cell: Pointed, gate: str) -> str:
    return "(r*h_prev)" if cell.snapshot.cell == "gru" and gate == "n" else "h_prev"


def forward_lines(cell: Pointed, state: str, value: float) -> list[Text]:
    lines = [Text(f"{named(state, cell.timestep, cell.unit)} = {num(value)}", "bold")]
    gates = cell_info(cell.snapshot.cell).states
    if state in gates and state not in ("h", "c"):
        return gate_lines(cell, state, value, lines)
    if cell.snapshot.cell == "lstm":
        return lstm_state_lines(cell, state, value, lines)
    return gru_hidden_lines(cell, value, lines)


def gate_lines(cell: Pointed, gate: str, value: float, lines: list[Text]) -> list[Text]:
    dot, times = symbols()
    snap, u, t = cell.snapshot, cell.unit, cell.timestep
    source = source_name(cell, gate)
    if cell.weights is None:
        lines.append(Text(f"= {gate_formula_unweighted(cell, gate, source)}"))
        return no_weights(cell, lines)
    terms = gate_of(cell, gate)
    lines.append(Text(f"= {gate_formula(terms, source)}"))
    lines.append(Text(f"= {gate_numbers(terms)}"))
    lines.append(Text(f"= {terms.squash}({num(terms.total)}) = {num(terms.value)}", "bold"))
    x0, x1 = int(terms.x[0]), int(terms.x[1])
    w0, w1 = terms.input_weights
    lines.append(
        Text(
            f"x = [a, b] bit {t} = [{x0} {x1}]: x{dot}{terms.input_name}[:,{u}]"
            f" = {x0}{times}{num(w0)} + {x1}{times}{num(w1)} = {num(terms.input_term)}"
        )
    )
    if terms.first:
        lines.append(Text(f"h_prev = h before t=0: zeros, so {source}{dot}synapse_h = 0"))
    elif terms.cut:
        lines.append(Text(f"synapse_h is cut (h: taken as 0), so {source}{dot}synapse_h = 0"))
    else:
        made = f"r[t={t}]*h[t={t - 1}]" if source != "h_prev" else f"h[t={t - 1}]"
        lines.append(
            Text(f"{source} = {made}: {snap.hidden} terms, sum {num(terms.recurrent_term)}")
        )
    lines.append(Text(f"{terms.bias_name}[{u}] = {num(terms.bias_term)}"))
    mismatch(terms.value, value, lines)
    return lines


def gate_formula_unweighted(cell: Pointed, gate: str, source: str) -> str:
    """The formula alone (no weights at hand), names read from the layout."""
    dot, _ = symbols()
    u = cell.unit
    spec = cell_info(cell.snapshot.cell).spec(cell.snapshot.hidden)
    squash = "tanh" if gate in tanh_gates(cell.snapshot.cell) else "sigmoid"
    w0, wh, b = (block(spec, name, gate)[0] for name in ("synapse_0", "synapse_h", "bias"))
    return f"{squash}(x{dot}{w0}[:,{u}] + {source}{dot}{wh}[:,{u}] + {b}[{u}])"


def short_gate(cell: Pointed, gate: str) -> Text:
    """One line: `o = sigmoid(0.41 + -1.22 + 0.00) = 0.6100` (the gate's own numbers)."""
    shown = row(cell, gate, cell.timestep)
    assert shown is not None
    if cell.weights is None:
        return Text(f"{gate} = {num(shown[cell.unit])}")
    terms = gate_of(cell, gate)
    return Text(f"{gate} = {gate_numbers(terms)} = {num(terms.value)}")


def lstm_state_lines(cell: Pointed, state: str, value: float, lines: list[Text]) -> list[Text]:
    _, times = symbols()
    u, t = cell.unit, cell.timestep

    def at(name: str, when: int = t) -> float:
        values = row(cell, name, when)
        return 0.0 if values is None else values[u]

    c_cell = LstmCell(at("f"), at("c", t - 1), at("i"), at("g"))
    if state == "c":
        lines.append(Text("= f*c_prev + i*g"))
        lines.append(
            Text(
                f"= {num(c_cell.f)}{times}{num(c_cell.c_prev)}"
                f" + {num(c_cell.i)}{times}{num(c_cell.g)}"
            )
        )
        lines.append(
            Text(
                f"= {num(c_cell.f * c_cell.c_prev)} + {num(c_cell.i * c_cell.g)}"
                f" = {num(c_cell.value)}",
                "bold",
            )
        )
        before = f"c[t={t - 1}][c{u}]" if t > 0 else "c before t=0: zeros"
        lines.append(Text(f"c_prev = {before}; f, i, g: v shows each one's statement"))
        recomputed = c_cell.value
    else:
        hidden = LstmHidden(at("o"), at("c"))
        lines.append(Text("= o*tanh(c)"))
        lines.append(Text(f"= {num(hidden.o)}{times}tanh({num(hidden.c)})"))
        lines.append(
            Text(f"= {num(hidden.o)}{times}{num(hidden.tanh_c)} = {num(hidden.value)}", "bold")
        )
        lines.append(short_gate(cell, "o"))
        lines.append(
            Text(
                f"c = f*c_prev + i*g = {num(c_cell.f)}{times}{num(c_cell.c_prev)}"
                f" + {num(c_cell.i)}{times}{num(c_cell.g)} = {num(c_cell.value)}"
            )
        )
        recomputed = hidden.value
    if clamped_here(cell, state):
        lines.append(
            Text(
                f"then clamped to 0 by the ablation (a: {cell.ablation.clamped_state}{u}=0)", "bold"
            )
        )
        recomputed = 0.0
    mismatch(recomputed, value, lines)
    return lines


def gru_hidden_lines(cell: Pointed, value: float, lines: list[Text]) -> list[Text]:
    _, times = symbols()
    u, t = cell.unit, cell.timestep
    z, n = row(cell, "z", t), row(cell, "n", t)
    assert z is not None and n is not None
    h_prev = row(cell, "h", t - 1)
    hidden = GruHidden(z[u], n[u], 0.0 if h_prev is None else h_prev[u])
    lines.append(Text("= (1-z)*n + z*h_prev"))
    lines.append(
        Text(
            f"= (1-{num(hidden.z)}){times}{num(hidden.n)}"
            f" + {num(hidden.z)}{times}{num(hidden.h_prev)}"
        )
    )
    lines.append(
        Text(
            f"= {num((1 - hidden.z) * hidden.n)} + {num(hidden.z * hidden.h_prev)}"
            f" = {num(hidden.value)}",
            "bold",
        )
    )
    lines.append(short_gate(cell, "z"))
    lines.append(short_gate(cell, "n"))
    before = f"h[t={t - 1}][h{u}]" if t > 0 else "h before t=0: zeros"
    lines.append(Text(f"h_prev = {before}; z, r, n: v shows each one's statement"))
    recomputed = hidden.value
    if clamped_here(cell, "h"):
        lines.append(Text(f"then clamped to 0 by the ablation (a: h{u}=0)", "bold"))
        recomputed = 0.0
    mismatch(recomputed, value, lines)
    return lines


# -- backward --------------------------------------------------------------------------------


def delta_lines(cell: Pointed, carried: str, value: float) -> list[Text]:
    snap, u, t = cell.snapshot, cell.unit, cell.timestep
    dot, times = symbols()
    name = f"d{carried}[t={t}][{unit_label(carried, u)}]"
    lines = [Text(f"{name} = {sig(value)}", "bold")]
    if carried == "c":
        dc = lstm_cell_delta(snap.states, snap.deltas, t, u)
        lines.append(Text("= dh*o*(1-tanh(c)^2) + future_dc*future_f"))
        lines.append(
            Text(
                f"= {sig(dc.dh)}{times}{num(dc.o)}{times}(1-{signed(dc.tanh_c)}^2)"
                f" + {sig(dc.dc_next)}{times}{num(dc.f_next)}"
            )
        )
        lines.append(
            Text(
                f"= {sig(dc.through_h)} + {sig(dc.through_c)} = {sig(dc.value)}",
                "bold",
            )
        )
        if t == snap.bits - 1:
            lines.append(Text(f"future_dc: zeros at the last timestep (t={t})"))
        else:
            lines.append(Text(f"future_dc = dc[t={t + 1}], future_f = f[t={t + 1}]"))
        mismatch(dc.value, value, lines)
        return lines
    future = "future_dz" if snap.cell == "lstm" else "future_dh"
    if snap.cell == "lstm":
        lines.append(
            Text(f"= layer_2_delta{dot}synapse_1.T[:,{u}] + future_dz{dot}synapse_h.T[:,{u}]")
        )
    else:
        lines.append(Text(f"= layer_2_delta{dot}synapse_1.T[:,{u}] + future_dh"))
    if cell.weights is None:
        return no_weights(cell, lines)
    layer_2 = snap.layer_2[t]
    assert layer_2 is not None  # the forward pass is complete
    info = cell_info(snap.cell)
    explain = lstm_hidden_delta if snap.cell == "lstm" else gru_hidden_delta
    terms: HiddenDelta = explain(
        info.spec(snap.hidden),
        cell.weights,
        snap.states,
        snap.deltas,
        snap.true_bits[t],
        layer_2,
        t,
        u,
    )
    out = terms.output
    lines.append(
        Text(f"= {sig(out.value)} + {sig(terms.future_total)} = {sig(terms.value)}", "bold")
    )
    y = int(out.target)
    lines.append(
        Text(
            f"layer_2_delta = (y - layer_2)*layer_2*(1-layer_2)"
            f" = ({y} - {num(out.layer_2)}){times}{num(out.layer_2)}{times}{num(1 - out.layer_2)}"
            f" = {sig(out.layer_2_delta)}"
        )
    )
    lines.append(
        Text(
            f"layer_2_delta{dot}synapse_1.T[:,{u}] = {sig(out.layer_2_delta)}"
            f"{times}{num(out.weight_out)} = {sig(out.value)}"
        )
    )
    if not terms.future:
        lines.append(Text(f"{future}: zeros at the last timestep (t={t})"))
    else:
        parts = ", ".join(
            f"{p.what}{dot}{p.weight}.T[:,{u}] {sig(p.amount)}"
            if p.weight
            else f"{p.what} {sig(p.amount)}"
            for p in terms.future
        )
        lines.append(Text(f"{future} from t={t + 1}: {parts} (sum {sig(terms.future_total)})"))
    mismatch(terms.value, value, lines)
    return lines


EXPLAINERS = {"lstm": gated_statement, "gru": gated_statement}
