"""Small ONNX models built by hand for the tests of runnable cases: their answers can be written out."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 17)]


def _model(
    nodes: list[onnx.NodeProto], width: int | str, outputs: list[onnx.ValueInfoProto], **kw: object
) -> bytes:
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", width])], outputs, **kw
    )
    model = helper.make_model(graph, opset_imports=OPSET)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def window_mean(width: int | str, output: str = "score") -> bytes:
    """``output`` = the mean of each window's values: [n, 1]."""
    node = helper.make_node("ReduceMean", ["x"], [output], axes=[1], keepdims=1)
    return _model([node], width, [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["n", 1])])


def endless_loop(width: int | str, trips: int = 10**12) -> bytes:
    """A Loop of ``trips`` additions before answering: runs past any CPU limit."""
    one = helper.make_node("Constant", [], ["one"], value=numpy_helper.from_array(np.ones((1,), np.float32)))
    add = helper.make_node("Add", ["acc_in", "one"], ["acc_out"])
    keep = helper.make_node("Identity", ["cond_in"], ["cond_out"])
    body = helper.make_graph(
        [one, add, keep],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [1]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [1]),
        ],
    )
    nodes = [
        helper.make_node("Constant", [], ["trips"], value=numpy_helper.from_array(np.array(trips, np.int64))),
        helper.make_node("Constant", [], ["go"], value=numpy_helper.from_array(np.array(True))),
        helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.zeros((1,), np.float32))),
        helper.make_node("Loop", ["trips", "go", "zero"], ["total"], body=body),
        helper.make_node("ReduceMean", ["x"], ["mean"], axes=[1], keepdims=1),
        helper.make_node("Add", ["mean", "total"], ["score"]),
    ]
    return _model(nodes, width, [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["n", 1])])


def memory_hog(width: int | str) -> bytes:
    """Expands its input to 2^16 x 2^16 floats (16 GiB) before answering."""
    shape = numpy_helper.from_array(np.array([1 << 16, 1 << 16], np.int64), "shape")
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["mean"], keepdims=1),  # [1, 1]
        helper.make_node("Expand", ["mean", "shape"], ["big"]),
        helper.make_node("ReduceMean", ["big"], ["score"], axes=[1], keepdims=1),
    ]
    return _model(
        nodes,
        width,
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["n", 1])],
        initializer=[shape],
    )
