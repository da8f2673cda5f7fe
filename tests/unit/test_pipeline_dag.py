"""The step graph: default chaining, explicit edges, references, order and cycles."""

from __future__ import annotations

import pytest

from orchestration_kernel.pipeline.dag import CycleError, build_dag


def test_default_is_a_chain() -> None:
    dag = build_dag(["a", "b", "c"], {})
    assert dag.deps == {"a": (), "b": ("a",), "c": ("b",)}
    assert dag.dependents == {"a": ("b",), "b": ("c",), "c": ()}
    assert dag.roots == ("a",)
    assert dag.levels() == [["a"], ["b"], ["c"]]


def test_empty_depends_on_means_no_dependency() -> None:
    dag = build_dag(["a", "b", "c"], {"b": [], "c": []})
    assert dag.roots == ("a", "b", "c")
    assert dag.levels() == [["a", "b", "c"]]


def test_diamond() -> None:
    dag = build_dag(["a", "b", "c", "d"], {"c": ["a"], "d": ["b", "c"]})
    assert dag.levels() == [["a"], ["b", "c"], ["d"]]
    assert dag.ancestors("d") == {"a", "b", "c"}
    assert dag.order.index("d") == 3


def test_references_add_edges_without_duplicates() -> None:
    dag = build_dag(["a", "b", "c"], {"c": ["a"]}, {"c": ["a", "b"]})
    assert dag.deps["c"] == ("a", "b")


def test_order_keeps_spec_order_among_ready_steps() -> None:
    dag = build_dag(["z", "y", "x"], {"z": [], "y": [], "x": []})
    assert dag.order == ("z", "y", "x")


def test_cycle_is_named_from_the_first_spec_step() -> None:
    with pytest.raises(CycleError) as info:
        build_dag(["a", "b", "c"], {"a": ["c"]})
    assert info.value.cycle == ["a", "b", "c", "a"]
    assert "a -> b -> c -> a" in str(info.value)


def test_self_loop() -> None:
    with pytest.raises(CycleError, match="depends on itself"):
        build_dag(["a"], {"a": ["a"]})


def test_large_chain_has_no_recursion_problem_in_order() -> None:
    names = [f"s{i}" for i in range(500)]
    dag = build_dag(names, {})
    assert dag.order == tuple(names)
    assert len(dag.levels()) == 500
