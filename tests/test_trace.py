"""minigrad.trace_backward: execution order, shapes, docstring formulas, gradient norms, and
the Mermaid flowchart and the SVG drawing."""
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
from minigrad.function import Function, run_backward
from minigrad.trace import formulas

from .ops.test_op_table import ALL_OPS, as_tensors, draw_case


def f64(data, grad=True):
    return minigrad.tensor(data, dtype=minigrad.float64, requires_grad=grad)


def two_layer():
    """h = ReLU(W x + b), loss = ½(v·h + c − 1)²: every node's output is kept and named."""
    W, b = f64([[1.0, 2.0], [3.0, 4.0]]), f64([5.0, 6.0])
    v, c, x = f64([1.0, 2.0]), f64(6.0), f64([2.0, 3.0], grad=False)
    Wx = W @ x
    z = Wx + b
    h = z.relu()
    vh = v * h
    s = vh.sum()
    u = s + c
    e = u - 1.0
    sq = e ** 2
    loss = 0.5 * sq
    tensors = dict(W=W, b=b, v=v, c=c, x=x, Wx=Wx, z=z, h=h, vh=vh, s=s, u=u, e=e, sq=sq,
                   loss=loss)
    return tensors


def all_function_classes():
    found, todo = [], [Function]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("minigrad."):
                found.append(sub)
            todo.append(sub)
    return found


# -- order and shapes ---------------------------------------------------------------------

def test_steps_follow_the_order_backward_runs_them():
    t = two_layer()
    trace = minigrad.trace_backward(t["loss"], names=t, retain_graph=True)
    assert [s.label for s in trace.steps] == ["loss", "sq", "e", "u", "s", "vh", "h", "z", "Wx"]
    assert [s.op for s in trace.steps] == ["Mul", "Pow", "Sub", "Add", "Sum", "Mul", "ReLU",
                                           "Add", "MatMul"]
    assert [s.index for s in trace.steps] == list(range(1, 10))
    # the same order as the engine's own walk (recorded by its hook on a second backward)
    seen = []
    run_backward(t["loss"], np.ones(()), on_node=lambda fn, dy, grads: seen.append(fn.name))
    assert seen == [s.op for s in trace.steps]


def test_every_op_comes_after_all_ops_that_use_its_output():
    x = f64(np.linspace(-1, 1, 6).reshape(2, 3))
    a = x.exp()
    y = (a * a + a.sum(axis=1, keepdims=True) * x).tanh().mean()   # a feeds three ops
    trace = minigrad.trace_backward(y, names={"x": x, "a": a})
    position = {s.label: s.index for s in trace.steps}
    for step in trace.steps:
        for name in step.inputs:
            if name in position:
                assert position[name] > step.index, (step, name)
    assert sum(s.inputs.count("a") for s in trace.steps) == 3


def test_shapes_and_labels_of_a_broadcasting_example():
    X, w, b = f64(np.ones((4, 3))), f64(np.ones(3)), f64(np.ones((1,)))
    y = X * w + b                               # (4, 3) * (3,) + (1,) -> (4, 3)
    loss = y.sum()
    trace = minigrad.trace_backward(loss, names={"X": X, "w": w, "b": b, "y": y})
    by_op = {s.op: s for s in trace.steps}
    assert by_op["Sum"].input_shapes == ((4, 3),) and by_op["Sum"].output_shape == ()
    assert by_op["Add"].inputs == ("#3", "b") and by_op["Add"].label == "y"
    assert by_op["Add"].input_shapes == ((4, 3), (1,)) and by_op["Add"].output_shape == (4, 3)
    assert by_op["Mul"].inputs == ("X", "w")
    assert by_op["Mul"].input_shapes == ((4, 3), (3,)) and by_op["Mul"].output_shape == (4, 3)
    assert [(leaf.label, leaf.shape) for leaf in trace.leaves] == [
        ("b", (1,)), ("X", (4, 3)), ("w", (3,))]


def test_inputs_without_gradient_are_constants():
    x = f64([1.0, 2.0])
    scale = minigrad.tensor([0.5, 4.0], dtype=minigrad.float64)
    trace = minigrad.trace_backward((x * 3.0 * scale).sum(), names={"x": x})
    by_input = {s.inputs[1]: s for s in trace.steps if s.op == "Mul"}
    assert set(by_input) == {"3", "const"}        # a one-number constant shows its value
    assert all(s.input_grad_norms[1] is None for s in by_input.values())
    assert by_input["const"].input_shapes == ((2,), (2,))


# -- formulas ------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", all_function_classes(), ids=lambda c: c.__name__)
def test_every_function_states_forward_and_backward(cls):
    forward, backward = formulas(cls)
    assert forward and backward, f"{cls.__name__}: docstring needs forward: and backward: lines"
    assert "=" in forward and "d" in backward


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda op: op.name)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_trace_of_every_op_in_the_table_has_formulas_and_true_norms(op, data):
    arrays, params = draw_case(data, op)
    inputs = as_tensors(arrays, np.float64)
    out = op.fn(*inputs, **params)
    loss = (out * out).sum()
    trace = minigrad.trace_backward(loss, names={f"in{i}": t for i, t in enumerate(inputs)})
    assert len(trace.steps) >= 3
    for step in trace.steps:
        assert step.forward and step.backward, step
        assert step.grad_norm is not None and np.isfinite(step.grad_norm)
    grads = {f"in{i}": t.grad for i, t in enumerate(inputs)}
    for leaf in trace.leaves:
        assert leaf.grad_norm == pytest.approx(np.linalg.norm(grads[leaf.label].numpy()))


def test_formula_sections_with_continuation_lines_and_missing_labels():
    class Documented(Function):
        """Summary.

        forward:   y = 2x
                   (first line of a continuation)
        backward:  dx = 2 · dy
        Not part of the formula.
        """

    class Undocumented(Function):
        """y = x, no labels."""

    assert formulas(Documented) == ("y = 2x\n(first line of a continuation)", "dx = 2 · dy")
    assert formulas(Undocumented) == (None, None)


def test_the_text_shows_each_steps_formula_and_norms():
    t = two_layer()
    trace = minigrad.trace_backward(t["loss"], names=t)
    text = str(trace)
    assert "[7] h (2,) = ReLU(z (2,))" in text
    assert "backward: dx = dy · [x > 0]" in text
    assert "‖dy‖ = 147.6  →  ‖d(z)‖ = 147.6" in text       # ‖(66, 132)‖ = 147.58 (ReLU' = 1)
    assert "‖dy‖ = 66  →  ‖d(s)‖ = 66, ‖d(c)‖ = 66" in text   # u = s + c
    assert text.count("backward:") == len(trace.steps)


# -- gradient norms ------------------------------------------------------------------------

def test_norms_equal_the_gradients_backward_computes():
    t = two_layer()
    for name in ("Wx", "z", "h", "vh", "s", "u", "e", "sq"):
        t[name].retain_grad()
    trace = minigrad.trace_backward(t["loss"], names=t)
    for step in trace.steps[1:]:
        expected = np.linalg.norm(t[step.label].grad.numpy())
        assert step.grad_norm == pytest.approx(expected, rel=1e-12), step.label
    assert trace.steps[0].grad_norm == 1.0                     # dL/dL
    # hand values: δ_out = dL/du = 66, δ_hidden = dL/dz = (66, 132), dL/dW = δ ⊗ x
    assert next(s for s in trace.steps if s.label == "u").grad_norm == 66.0
    assert next(s for s in trace.steps if s.label == "z").grad_norm == pytest.approx(
        np.hypot(66, 132))
    np.testing.assert_array_equal(t["W"].grad.numpy(), [[132, 198], [264, 396]])
    leaves = {leaf.label: leaf for leaf in trace.leaves}
    for name in ("W", "b", "v", "c"):
        assert leaves[name].grad_norm == pytest.approx(np.linalg.norm(t[name].grad.numpy()))
    # each leaf is used once here, so the gradient sent along its edge is all of its .grad
    matmul = trace.steps[-1]
    assert matmul.input_grad_norms[0] == pytest.approx(np.linalg.norm(t["W"].grad.numpy()))
    assert matmul.input_grad_norms[1] is None                  # x needs no gradient


def test_broadcast_input_norm_is_of_the_summed_gradient():
    X, w = f64(np.arange(6.0).reshape(2, 3)), f64([1.0, 2.0, 3.0])
    trace = minigrad.trace_backward((X * w).sum(), names={"X": X, "w": w})
    mul = next(s for s in trace.steps if s.op == "Mul")
    # dw = Σ over the broadcast rows of dy · X = (0+3, 1+4, 2+5)
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 5.0, 7.0])
    assert mul.input_grad_norms[1] == pytest.approx(np.linalg.norm([3.0, 5.0, 7.0]))


def test_same_gradients_as_backward_and_graph_only_mode():
    grads = []
    for traced in (False, True):
        t = two_layer()
        if traced:
            minigrad.trace_backward(t["loss"], names=t)
        else:
            t["loss"].backward()
        grads.append([t[n].grad.numpy() for n in ("W", "b", "v", "c")])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)

    t = two_layer()
    trace = minigrad.trace_backward(t["loss"], names=t, run=False)
    assert not trace.ran and all(s.grad_norm is None for s in trace.steps)
    assert t["W"].grad is None
    assert "backward not run" in str(trace) and "‖dy‖" not in str(trace)
    t["loss"].backward()                          # the graph was left intact
    np.testing.assert_array_equal(t["W"].grad.numpy(), [[132, 198], [264, 396]])


def test_explicit_grad_and_freed_graph():
    x = f64([1.0, -2.0])
    y = x * 3.0
    trace = minigrad.trace_backward(y, grad=minigrad.tensor([1.0, 2.0], dtype=minigrad.float64),
                                    names={"x": x})
    assert trace.steps[0].grad_norm == pytest.approx(np.sqrt(5.0))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 6.0])
    with pytest.raises(minigrad.GraphFreedError):
        minigrad.trace_backward(y, grad=np.ones(2))


def test_bad_arguments():
    x = f64([1.0])
    with pytest.raises(ValueError, match="not produced by a recorded op"):
        minigrad.trace_backward(x)
    with pytest.raises(TypeError, match="expected a Tensor"):
        minigrad.trace_backward(np.ones(2))
    with pytest.raises(TypeError, match=r"names\['x'\] must be a Tensor"):
        minigrad.trace_backward((x * 2).sum(), names={"x": 1.0})
    with pytest.raises(RuntimeError, match="without grad on a tensor of shape"):
        minigrad.trace_backward(f64([1.0, 2.0]) * 2)
    with pytest.raises(ValueError, match="direction"):
        minigrad.trace_backward((x * 2).sum()).mermaid(direction="up")


# -- Mermaid -------------------------------------------------------------------------------

NODE = re.compile(r'^    (\w+)(\["([^"]*)"\]|\(\["([^"]*)"\]\))$')
EDGE = re.compile(r'^    (\w+) -->(?:\|"([^"]*)"\|)? (\w+)$')
ENTITY = re.compile(r"#(\d+|quot|lt|gt);")


def parse_mermaid(text):
    """Check Mermaid flowchart syntax (the subset emitted) and return (nodes, edges)."""
    lines = text.splitlines()
    assert re.fullmatch(r"flowchart (TB|TD|BT|LR|RL)", lines[0]), lines[0]
    nodes, edges = {}, []
    for line in lines[1:]:
        node, edge = NODE.match(line), EDGE.match(line)
        assert node or edge, f"not a node or an edge: {line!r}"
        labels = [g for g in (node.groups()[2:] if node else edge.groups()[1:2]) if g]
        for label in labels:
            # a raw #, < or > would be read as an entity or HTML: all must be escaped
            assert not re.search(r"[<>]", label.replace("<br/>", "")), label
            assert all(ENTITY.match(label, m.start()) for m in re.finditer("#", label)), label
        if node:
            assert node.group(1) not in nodes, f"node {node.group(1)} defined twice"
            nodes[node.group(1)] = labels[0]
        else:
            a, b = edge.group(1), edge.group(3)
            assert a in nodes and b in nodes, f"edge {a} --> {b} before its nodes"
            edges.append((a, b, edge.group(2)))
    return nodes, edges


def test_mermaid_flowchart_is_well_formed_and_matches_the_trace():
    t = two_layer()
    trace = minigrad.trace_backward(t["loss"], names=t)
    text = trace.mermaid()
    assert isinstance(text, str) and text._repr_markdown_().startswith("```mermaid\nflowchart")
    nodes, edges = parse_mermaid(text)
    ops = [n for n in nodes if n.startswith("n")]
    assert len(ops) == len(trace.steps)
    assert len(edges) == sum(len(s.inputs) for s in trace.steps)
    assert "dx = dy · [x #gt; 0]" in nodes["n7"]              # ReLU's formula, escaped
    assert nodes["n9"].startswith("[9] MatMul<br/>Wx (2,)")
    w_leaf = next(k for k, v in nodes.items() if v.startswith("W (2, 2)"))
    assert (w_leaf, "n9", f"‖grad‖ = {np.linalg.norm(t['W'].grad.numpy()):.4g}") in edges
    assert (("n8", "n7", "‖grad‖ = 147.6")) in edges            # z → ReLU carries ‖dL/dz‖


def test_mermaid_escapes_and_options():
    x = f64(np.ones((2, 3)))
    y = x.max(axis=1)            # Max's formula has '#{x = y}'
    trace = minigrad.trace_backward(y.sum(), names={'say "x"': x}, run=False)
    text = trace.mermaid(direction="LR", formulas=True)
    nodes, edges = parse_mermaid(text)
    assert text.splitlines()[0] == "flowchart LR"
    assert any("#35;{x = y}" in label for label in nodes.values())
    assert any(label.startswith("say #quot;x#quot;") for label in nodes.values())
    assert all(label is None for _, _, label in edges)           # backward not run: no norms
    plain, _ = parse_mermaid(trace.mermaid(formulas=False))
    assert all(label.count("<br/>") == 1 for k, label in plain.items() if k.startswith("n"))


def svg_boxes_and_arrows(text):
    """(boxes, arrows) of an SVG from BackwardTrace.svg(): each box is (x0, y0, x1, y1,
    [its text lines]); each arrow is (x1, y1, x2, y2).  Parsing fails on malformed XML."""
    import xml.etree.ElementTree as ET

    ns = "{http://www.w3.org/2000/svg}"
    root = ET.fromstring(text)
    group = root.find(f"{ns}g")
    boxes, arrows, labels = [], [], []
    for el in group:
        a = {k: float(v) for k, v in el.attrib.items() if k in ("x", "y", "width", "height",
                                                                "x1", "y1", "x2", "y2")}
        if el.tag == f"{ns}rect":
            boxes.append([a["x"], a["y"], a["x"] + a["width"], a["y"] + a["height"], []])
        elif el.tag == f"{ns}line":
            arrows.append((a["x1"], a["y1"], a["x2"], a["y2"]))
        elif el.tag == f"{ns}text":
            inside = [b for b in boxes if b[0] <= a["x"] <= b[2] and b[1] <= a["y"] <= b[3]]
            (inside[-1][4] if inside else labels).append(el.text)
    return boxes, arrows, labels, float(root.get("width")), float(root.get("height"))


def test_svg_draws_every_node_and_edge_inside_the_picture():
    t = two_layer()
    trace = minigrad.trace_backward(t["loss"], names=t)
    text = trace.svg()
    assert isinstance(text, str) and text._repr_svg_() == text
    boxes, arrows, labels, width, height = svg_boxes_and_arrows(text)
    nodes, edges = trace.graph()
    assert len(boxes) == len(nodes) and len(arrows) == len(edges)
    assert sorted(b[4][0] for b in boxes) == sorted(lines[0] for _, lines in nodes.values())
    relu = next(b for b in boxes if b[4][0].endswith("ReLU"))
    assert "dx = dy · [x > 0]" in relu[4]                       # the formula, unescaped
    w_norm = f"‖grad‖ = {np.linalg.norm(t['W'].grad.numpy()):.3g}"
    assert w_norm in labels                                    # the gradient along W's edge
    for x0, y0, x1, y1, _ in boxes:
        assert 0 <= x0 and x1 + 10 <= width and 0 <= y0 and y1 <= height
    for i, a in enumerate(boxes):                              # no two boxes overlap
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    # every arrow points up: from the top of an input's box to the bottom of its op's box
    for x1, y1, x2, y2 in arrows:
        assert y2 < y1
        assert any(abs(b[1] - y1) < 1e-6 and b[0] <= x1 <= b[2] for b in boxes)
        assert any(abs(b[3] - y2) < 1e-6 and b[0] <= x2 <= b[2] for b in boxes)


def test_svg_of_a_graph_only_trace_and_escaping(tmp_path):
    x = f64(np.ones((2, 3)))
    trace = minigrad.trace_backward((x * 2).max(axis=1).sum(), names={"<x & y>": x}, run=False)
    text = trace.svg(formulas=False)
    boxes, arrows, labels, _, _ = svg_boxes_and_arrows(text)   # parses: & and < are escaped
    assert labels == []                                        # backward not run: no norms
    assert any(b[4][0] == "<x & y> (2, 3)" for b in boxes)
    assert all(len(b[4]) == 2 for b in boxes if b[4][0].startswith("["))   # no formulas
    trace.svg().save(tmp_path / "graph.svg")
    assert (tmp_path / "graph.svg").read_text(encoding="utf-8") == trace.svg()
