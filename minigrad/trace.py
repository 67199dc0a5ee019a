"""A readable backward trace, drawn without graphviz: which op ran backward when, on what
shapes, with which formula, and how large the gradients were.

>>> import minigrad
>>> W = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> x = minigrad.tensor([2.0, 3.0])
>>> trace = minigrad.trace_backward((W @ x).relu().sum(), names={"W": W, "x": x})
>>> [step.op for step in trace.steps]
['Sum', 'ReLU', 'MatMul']
>>> print(trace)                      # doctest: +SKIP
>>> print(trace.mermaid())            # doctest: +SKIP  (a Mermaid flowchart)
>>> trace.svg()                       # doctest: +SKIP  (the graph drawn; Jupyter shows it)

The steps come in the order ``backward()`` runs them: every op after all the ops that use
its output, so its dy is complete when its backward runs.  The formulas are the
``forward:`` / ``backward:`` lines of each Function's docstring (see ``minigrad.function``).
"""
from dataclasses import dataclass

from . import backend
from .function import _topological_order, run_backward
from .tensor import Tensor

__all__ = ["trace_backward", "BackwardTrace", "TraceStep", "TraceLeaf", "formulas",
           "MermaidText", "SVGText"]


def formulas(function):
    """``(forward, backward)``: the formulas in a Function's docstring (class or instance).

    Each is the text after its ``forward:`` / ``backward:`` label plus the continuation
    lines indented under it; ``None`` where the docstring has no such label.
    """
    cls = function if isinstance(function, type) else type(function)
    lines = (cls.__doc__ or "").expandtabs().splitlines()
    return _section(lines, "forward:"), _section(lines, "backward:")


def _section(lines, label):
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if not stripped.startswith(label):
            continue
        indent = len(line) - len(stripped)
        body = [stripped[len(label):].strip()]
        for more in lines[i + 1:]:
            more_indent = len(more) - len(more.lstrip())
            if not more.strip() or more_indent <= indent:
                break
            body.append(more.strip())
        return "\n".join(body)
    return None


def _norm(array):
    """The Euclidean (Frobenius) norm of an array, as a Python float."""
    xp = backend.array_module(array)
    return float(xp.linalg.norm(array.ravel()))


@dataclass
class TraceStep:
    """One node of the graph, in backward execution order (``index`` 1 runs first)."""
    index: int
    op: str                      # the Function's class name
    label: str                   # the output's name: given in ``names``, else "#index"
    output_shape: tuple
    inputs: tuple                # per input: a name, "#k" (step k's output), a constant
    input_shapes: tuple
    forward: str                 # formulas from the docstring (None if it has none)
    backward: str
    grad_norm: float = None      # ‖dy‖: the gradient this op received (after backward)
    input_grad_norms: tuple = None   # ‖dxᵢ‖ per input, None where no gradient flows


@dataclass
class TraceLeaf:
    """A leaf tensor of the graph that requires grad, with ‖.grad‖ after the backward."""
    label: str
    shape: tuple
    grad_norm: float = None


class MermaidText(str):
    """Mermaid flowchart source: prints as text, and Jupyter renders it as a diagram."""

    def _repr_markdown_(self):
        return "```mermaid\n" + self + "\n```"


class SVGText(str):
    """SVG source: prints as text, Jupyter draws it as an image, ``.save(path)`` writes it."""

    def _repr_svg_(self):
        return str(self)

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(self)


class BackwardTrace:
    """The record made by :func:`trace_backward`: ``steps`` (execution order), ``leaves``,
    ``ran`` (whether backward ran, so the norms are filled)."""

    def __init__(self, steps, leaves, ran):
        self.steps, self.leaves, self.ran = steps, leaves, ran

    def __str__(self):
        title = "backward trace" + ("" if self.ran else " (graph only: backward not run)")
        out = [f"{title}: {len(self.steps)} ops, in the order backward runs them"]
        for s in self.steps:
            args = ", ".join(f"{name} {shape}" for name, shape in zip(s.inputs, s.input_shapes))
            out.append(f"[{s.index}] {s.label} {s.output_shape} = {s.op}({args})")
            out.extend(_labelled("backward:", s.backward or "(no backward: line in its "
                                 "docstring)"))
            if self.ran:
                flows = [f"‖d({name})‖ = {norm:.4g}" for name, norm
                         in zip(s.inputs, s.input_grad_norms) if norm is not None]
                out.append(f"      ‖dy‖ = {s.grad_norm:.4g}  →  " + (", ".join(flows) or
                                                                     "no input needs a gradient"))
        if self.leaves:
            out.append("leaves" + (" (‖.grad‖ after this backward)" if self.ran else "") + ":")
            for leaf in self.leaves:
                norm = f"  ‖grad‖ = {leaf.grad_norm:.4g}" if leaf.grad_norm is not None else ""
                out.append(f"  {leaf.label} {leaf.shape}{norm}")
        return "\n".join(out)

    __repr__ = __str__

    def mermaid(self, direction="BT", formulas=True):
        """The graph as a Mermaid flowchart (``flowchart BT``: inputs at the bottom, the
        output on top).  Op nodes show their step, output and (``formulas``) backward
        formula; an edge input → op is labelled with the gradient norm that flowed back
        along it, once backward has run."""
        if direction not in ("TB", "TD", "BT", "LR", "RL"):
            raise ValueError(f"mermaid: direction must be TB, TD, BT, LR or RL, "
                             f"got {direction!r}")
        node_of = {s.label: f"n{s.index}" for s in self.steps}
        leaf_ids = {leaf.label: f"leaf{i}" for i, leaf in enumerate(self.leaves, 1)}
        lines = [f"flowchart {direction}"]
        for s in self.steps:
            text = [f"[{s.index}] {s.op}", f"{s.label} {s.output_shape}"]
            if formulas and s.backward:
                text += s.backward.replace("``", "").splitlines()
            lines.append(f'    {node_of[s.label]}["{_mermaid_label(text)}"]')
        for leaf in self.leaves:
            text = [f"{leaf.label} {leaf.shape}"]
            if leaf.grad_norm is not None:
                text.append(f"‖grad‖ = {leaf.grad_norm:.4g}")
            lines.append(f'    {leaf_ids[leaf.label]}(["{_mermaid_label(text)}"])')
        n_const = 0
        for s in self.steps:
            norms = s.input_grad_norms or (None,) * len(s.inputs)
            for name, shape, norm in zip(s.inputs, s.input_shapes, norms):
                source = node_of.get(name) or leaf_ids.get(name)
                if source is None:                    # a constant: one node per use
                    n_const += 1
                    source = f"const{n_const}"
                    lines.append(f'    {source}["{_mermaid_label([f"{name} {shape}"])}"]')
                arrow = "-->"
                if norm is not None:
                    arrow += f'|"{_mermaid_label([f"‖grad‖ = {norm:.4g}"])}"|'
                lines.append(f"    {source} {arrow} {node_of[s.label]}")
        return MermaidText("\n".join(lines))

    def graph(self, formulas=True):
        """``(nodes, edges)`` of the drawing: nodes ``{id: (kind, lines)}`` with kind
        "op", "leaf" or "const"; edges ``(source, op, label)``, one per input of each op."""
        nodes, edges = {}, []
        for s in self.steps:
            text = [f"[{s.index}] {s.op}", f"{s.label} {s.output_shape}"]
            if formulas and s.backward:
                text += s.backward.replace("``", "").splitlines()
            nodes[s.label] = ("op", text)
        for leaf in self.leaves:
            norm = [] if leaf.grad_norm is None else [f"‖grad‖ = {leaf.grad_norm:.4g}"]
            nodes[leaf.label] = ("leaf", [f"{leaf.label} {leaf.shape}"] + norm)
        for s in self.steps:
            norms = s.input_grad_norms or (None,) * len(s.inputs)
            for k, (name, shape, norm) in enumerate(zip(s.inputs, s.input_shapes, norms)):
                source = name
                if name not in nodes:                 # a constant: one node per use
                    source = f"{s.label}/const{k}"
                    nodes[source] = ("const", [f"{name} {shape}"])
                edges.append((source, s.label, None if norm is None else f"‖grad‖ = {norm:.3g}"))
        return nodes, edges

    def svg(self, formulas=True):
        """The graph drawn as an SVG image (shown by Jupyter, ``.save(path)`` writes it):
        inputs at the bottom, the output on top, each op boxed with its step, output and
        (``formulas``) backward formula; an edge is labelled with the gradient norm that
        flowed back along it once backward has run.  A layered drawing: a node's row is
        the length of the longest path from a leaf to it."""
        nodes, edges = self.graph(formulas)
        return SVGText(_draw_layered(nodes, edges))


def _labelled(label, text):
    lines = text.splitlines()
    pad = " " * (6 + len(label) + 1)
    return [f"      {label} {lines[0]}"] + [pad + line for line in lines[1:]]


_CHAR_W, _LINE_H, _PAD, _GAP_X, _GAP_Y = 7.2, 15, 8, 24, 56
_STYLE = {"op": ('rx="3"', "#eef3fb", "#4063a0"), "leaf": ('rx="14"', "#eaf6ea", "#3d8a3d"),
          "const": ('rx="3"', "#f4f4f4", "#999999")}


def _draw_layered(nodes, edges):
    """SVG of a DAG, sources at the bottom.  An op's row is the longest path to it from a
    source; a source sits one row under its lowest consumer, so constants and weights are
    drawn next to the op that uses them.  Within a row nodes are ordered by the mean x of
    their inputs (rows bottom-up), then of their consumers (top-down)."""
    from html import escape

    inputs = {n: [src for src, dst, _ in edges if dst == n] for n in nodes}
    users = {n: [dst for src, dst, _ in edges if src == n] for n in nodes}
    row = {}

    def row_of(n):
        if n not in row:
            row[n] = 1 + max((row_of(i) for i in inputs[n]), default=0)
        return row[n]

    for n in nodes:
        row_of(n)
    for n in nodes:
        if not inputs[n]:
            row[n] = min((row[u] for u in users[n]), default=1) - 1
    size = {n: (max(len(t) for t in lines) * _CHAR_W + 2 * _PAD, len(lines) * _LINE_H + _PAD)
            for n, (_, lines) in nodes.items()}
    rows = [[n for n in nodes if row[n] == r] for r in range(max(row.values()) + 1)]
    rows = [members for members in rows if members]
    x_of = {}

    def place(members, key):
        members.sort(key=key)
        x = 0.0
        for n in members:
            x_of[n] = x + size[n][0] / 2
            x += size[n][0] + _GAP_X

    def mean_x(others):
        known = [x_of[o] for o in others if o in x_of]
        return sum(known) / len(known) if known else 0.0

    for members in rows:
        place(members, lambda n: mean_x(inputs[n]))
    for members in reversed(rows[:-1]):
        place(members, lambda n: mean_x(users[n]))
    width = max(sum(size[n][0] for n in m) + _GAP_X * (len(m) - 1) for m in rows)
    for members in rows:                              # centre each row
        used = sum(size[n][0] for n in members) + _GAP_X * (len(members) - 1)
        for n in members:
            x_of[n] += (width - used) / 2
    heights = [max(size[n][1] for n in m) for m in rows]
    y_top, y = {}, 10.0
    for r in reversed(range(len(rows))):              # the output's row first, at the top
        for n in rows[r]:
            y_top[n] = y + (heights[r] - size[n][1]) / 2
        y += heights[r] + _GAP_Y
    body = []
    for src, dst, label in edges:
        slots = sorted(inputs[dst], key=x_of.get)             # spread the arrowheads
        k, n_in = slots.index(src), len(slots)
        x1, y1 = x_of[src], y_top[src]
        x2 = x_of[dst] + (k - (n_in - 1) / 2) * min(40.0, size[dst][0] / (n_in + 1))
        y2 = y_top[dst] + size[dst][1]
        body.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                    f'stroke="#555" marker-end="url(#arrow)"/>')
        if label:
            lx, ly = x1 + 0.3 * (x2 - x1) + 4, y1 + 0.3 * (y2 - y1)     # near the source
            width = max(width, lx + len(label) * _CHAR_W * 0.92)
            body.append(f'<text x="{lx:.1f}" y="{ly:.1f}" fill="#a03030" '
                        f'font-size="11">{escape(label)}</text>')
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 20:.0f}" '
             f'height="{y - _GAP_Y + 10:.0f}" font-family="monospace" font-size="12">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
             'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
             '<g transform="translate(10,0)">']
    parts += body
    for n, (kind, lines) in nodes.items():
        corner, fill, stroke = _STYLE[kind]
        w, h = size[n]
        parts.append(f'<rect x="{x_of[n] - w / 2:.1f}" y="{y_top[n]:.1f}" width="{w:.1f}" '
                     f'height="{h:.1f}" {corner} fill="{fill}" stroke="{stroke}"/>')
        for i, text in enumerate(lines):
            weight = ' font-weight="bold"' if i == 0 else ""
            baseline = y_top[n] + _PAD / 2 + (i + 0.8) * _LINE_H
            parts.append(f'<text x="{x_of[n]:.1f}" y="{baseline:.1f}" '
                         f'text-anchor="middle"{weight}>{escape(text)}</text>')
    parts.append("</g></svg>")
    return "\n".join(parts)


def _mermaid_label(lines):
    """Escape text for a quoted Mermaid label ("#" first: the escapes are #code;)."""
    escaped = [line.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;")
               .replace(">", "#gt;") for line in lines]
    return "<br/>".join(escaped)


def trace_backward(output, grad=None, names=None, retain_graph=False, run=True):
    """Run ``output.backward(grad)`` and return a :class:`BackwardTrace` of what it did.

    Args:
        output: a Tensor produced by recorded ops (a loss, usually).
        grad: ∂L/∂output, as for ``Tensor.backward`` (omit it for a one-element output).
        names: ``{"W": W, "z": z, ...}``: labels for leaves and intermediate tensors; others
            are called ``#k`` (the output of step k) or ``leaf1, leaf2...``; an input that
            needs no gradient is shown by its value when it is one number, else ``const``.
            ``names=dict(model.named_parameters())`` labels a model's weights.
        retain_graph: as for ``Tensor.backward``.
        run: False records the graph (order, shapes, formulas) without running backward.

    Leaves get their ``.grad`` exactly as ``output.backward(grad)`` would give it.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"trace_backward: expected a Tensor, got {type(output).__name__}")
    if output.grad_fn is None:
        raise ValueError(f"trace_backward: the tensor {output.shape} was not produced by a "
                         f"recorded op (a leaf, or computed under no_grad()): no graph to trace")
    names = dict(names or {})
    for label, t in names.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"trace_backward: names[{label!r}] must be a Tensor, "
                            f"got {type(t).__name__}")
    label_of = {id(t): label for label, t in names.items()}
    # Label outputs via the node that produced them (the tensor itself is not on the node).
    node_label = {id(t.grad_fn): label for label, t in names.items() if t.grad_fn is not None}

    order = _topological_order(output.grad_fn)
    steps, index_of, leaves, leaf_of = [], {}, [], {}
    out_shape = {id(output.grad_fn): output.shape}
    for fn in order:
        for t in fn.inputs:
            if t.grad_fn is not None:
                out_shape[id(t.grad_fn)] = t.shape
    for k, fn in enumerate(order, 1):
        index_of[id(fn)] = k
        node_label.setdefault(id(fn), f"#{k}")
    for k, fn in enumerate(order, 1):
        inputs = []
        for t in fn.inputs:
            if t.grad_fn is not None:
                inputs.append(node_label[id(t.grad_fn)])
            elif t.requires_grad:
                if id(t) not in leaf_of:
                    label = label_of.get(id(t), f"leaf{len(leaves) + 1}")
                    leaf_of[id(t)] = TraceLeaf(label, t.shape)
                    leaves.append((t, leaf_of[id(t)]))
                inputs.append(leaf_of[id(t)].label)
            else:   # a constant: its value when it is one number, else "const"
                value = f"{t.item():g}" if t.numel() == 1 and t.device == "cpu" else "const"
                inputs.append(label_of.get(id(t), value))
        forward, backward = formulas(fn)
        steps.append(TraceStep(k, fn.name, node_label[id(fn)], out_shape[id(fn)],
                               tuple(inputs), tuple(t.shape for t in fn.inputs),
                               forward, backward))
    if run:
        def record(fn, dy, grads):
            step = steps[index_of[id(fn)] - 1]
            step.grad_norm = _norm(dy)
            step.input_grad_norms = tuple(None if g is None else _norm(g) for g in grads)

        run_backward(output, output._initial_grad(grad), retain_graph=retain_graph,
                     on_node=record)
        for t, leaf in leaves:
            leaf.grad_norm = _norm(t.grad._data) if t.grad is not None else None
    return BackwardTrace(steps, [leaf for _, leaf in leaves], ran=run)
