"""FLOPs of a traced TensorFlow graph, counted per op from static shapes (shared by the benchmarks).

Counts the ops that carry essentially all the arithmetic of conv nets — Conv2D,
its two backprop ops, Conv2D-transpose (= Conv2DBackpropInput), MatMul and
BatchMatMul — as 2 × multiply-adds. Element-wise ops (activations, norms, Adam)
are left out; they are memory-bound, not compute-bound, so a roofline against a
matmul is the right comparison for what is counted.
"""

from __future__ import annotations

import math

import tensorflow as tf


def _shape(tensor: tf.Tensor) -> list[int] | None:
    shape = tensor.shape
    if shape.rank is None or any(d is None for d in shape):
        return None
    return list(shape)


def op_flops(op: tf.Operation) -> int:
    """FLOPs of one graph op (0 for ops not counted or with unknown shapes)."""
    if op.type == "Conv2D":
        out, kernel = _shape(op.outputs[0]), _shape(op.inputs[1])
        if out and kernel:
            return 2 * math.prod(out) * kernel[0] * kernel[1] * kernel[2]
    if op.type in ("Conv2DBackpropInput", "Conv2DBackpropFilter"):
        grad = _shape(op.inputs[2])
        kernel = _shape(op.inputs[1]) if op.type == "Conv2DBackpropInput" else _shape(op.outputs[0])
        if grad and kernel:
            return 2 * math.prod(grad) * kernel[0] * kernel[1] * kernel[2]
    if op.type == "MatMul":
        a, b = _shape(op.inputs[0]), _shape(op.inputs[1])
        if a and b:
            m = a[1] if op.get_attr("transpose_a") else a[0]
            k = a[0] if op.get_attr("transpose_a") else a[1]
            n = b[0] if op.get_attr("transpose_b") else b[1]
            return 2 * m * k * n
    if op.type in ("BatchMatMulV2", "BatchMatMulV3"):
        out, a = _shape(op.outputs[0]), _shape(op.inputs[0])
        if out and a:
            k = a[-2] if op.get_attr("adj_x") else a[-1]
            return 2 * math.prod(out) * k
    return 0


def graph_flops(graph: tf.Graph) -> int:
    """Sum of ``op_flops`` over a graph, including the bodies of nested functions."""
    total = sum(op_flops(op) for op in graph.get_operations())
    for function in getattr(graph, "_functions", {}).values():
        inner = getattr(function, "graph", None)
        if inner is not None:
            total += graph_flops(inner)
    return total


def function_flops(fn: tf.types.experimental.GenericFunction, *specs: object) -> int:
    """FLOPs of one call of a ``tf.function`` traced with the given input specs."""
    return graph_flops(fn.get_concrete_function(*specs).graph)
