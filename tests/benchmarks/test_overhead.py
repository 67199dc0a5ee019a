"""The engine-overhead probes run and measure what they say (not how fast: that is the
benchmark's job)."""
import pytest

from benchmarks import overhead


def test_every_probe_runs_and_gives_a_time_per_op():
    times = overhead.run_worker("minigrad", sample_s=0.001, samples=1)
    assert set(times) == {"a + b", "a @ b", "relu(a)",
                          f"backward, {overhead.GRAPH_OPS}-op graph", "MLP step, batch 1"}
    assert all(t > 0 for t in times.values())


def test_backward_probe_times_backward_on_prebuilt_graphs_only():
    import minigrad
    probe = overhead.probes(minigrad, None)[f"backward, {overhead.GRAPH_OPS}-op graph"][1][
        "minigrad"]
    probe.prepare(3)
    roots = list(probe.pool)
    assert len(roots) == 3 and all(r.grad_fn is not None for r in roots)
    nodes, stack = set(), [roots[0].grad_fn]
    while stack:                                   # the graph has GRAPH_OPS nodes
        fn = stack.pop()
        if id(fn) not in nodes:
            nodes.add(id(fn))
            stack.extend(t.grad_fn for t in fn.inputs if t.grad_fn is not None)
    assert len(nodes) == overhead.GRAPH_OPS
    a, b = probe.leaves
    probe()
    probe()
    assert len(probe.pool) == 1 and a.grad is not None and b.grad is not None
    with pytest.raises(IndexError):
        probe(), probe()                           # the pool is used up, never rebuilt
