"""A readable backward trace, without graphviz: which op ran backward when, on what shapes,
with which formula, and how large the gradients were.

>>> import minigrad
>>> W = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> x = minigrad.tensor([2.0, 3.0])
>>> trace = minigrad.trace_backward((W @ x).relu().sum(), names={"W": W, "x": x})
>>> [step.op for step in trace.steps]
['Sum', 'ReLU', 'MatMul']
>>> print(trace)                      # doctest: +SKIP
>>> print(trace.mermaid())            # doctest: +SKIP  (a Mermaid flowchart)

The steps come in the order ``backward()`` runs them: every op after all the ops that use
its output, so its dy is complete when its backward runs.  The formulas are the
``forward:`` / ``backward:`` lines of each Function's docstring (see ``minigrad.function``).
"""
from dataclasses import dataclass

from . import backend
from .function import _topological_order, run_backward
from .tensor import Tensor

__all__ = ["trace_backward", "BackwardTrace", "TraceStep", "TraceLeaf", "formulas",
           "MermaidText"]


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


def _labelled(label, text):
    lines = text.splitlines()
    pad = " " * (6 + len(label) + 1)
    return [f"      {label} {lines[0]}"] + [pad + line for line in lines[1:]]


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
