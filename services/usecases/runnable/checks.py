"""What a model file must pass before a case carries it, each refusal naming its field:

1. ``body.file``: at most ``ai.model_max_bytes``; an ONNX protobuf that ``onnx.checker`` accepts, with all its
   tensors inside the file (an external data reference would make the runtime open a path the uploader
   chose), one float input ``[windows, features]`` (``features`` fixed or symbolic);
2. ``body.signature...``: the input width equals items x window length; every declared output is an output
   of the graph; the equipment model version is published and every item is one of its numeric items;
3. ``body.file`` again: a dry run on synthetic windows (each item uniform in its standard range) in the
   limited runner returns every declared output, one value per window.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import onnx
from google.protobuf.message import DecodeError

from services.kit.errors import FieldError, PayloadTooLarge, ValidationFailed, field_error
from services.kit.messages import Msg
from services.usecases.runnable.runner import Limits, RunFailed, score
from services.usecases.runnable.signature import Signature

DRY_RUN_WINDOWS = 8
NUMERIC = ("float", "int")


def _refused(fields: list[FieldError]) -> ValidationFailed:
    return ValidationFailed(Msg("the model cannot be attached to the case"), fields=fields)


def check_size(size: int, limit: int) -> None:
    if size > limit:
        raise PayloadTooLarge(
            Msg("the model file is larger than {limit} bytes", limit=limit),
            fields=[field_error("body.file", Msg("larger than {limit} bytes", limit=limit))],
        )


def _tensors(graph: onnx.GraphProto) -> Iterator[onnx.TensorProto]:
    """Every tensor of a graph, its subgraphs' (a Loop's body) included."""
    yield from graph.initializer
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            for sub in (*([attribute.g] if attribute.HasField("g") else []), *attribute.graphs):
                yield from _tensors(sub)


def check_graph(data: bytes, signature: Signature) -> None:
    """Steps 1 and 2 but the standard: the file as ONNX, and the signature against the graph."""
    file = "body.file"
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError):
        raise _refused([field_error(file, Msg("not an ONNX model"))]) from None
    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, ValueError) as exc:
        error = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise _refused(
            [field_error(file, Msg("the ONNX checker refused it: {error}", error=error))]
        ) from None
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in _tensors(model.graph)):
        raise _refused([field_error(file, Msg("the model refers to external data files"))])
    constants = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in constants]
    if len(inputs) != 1:
        raise _refused([field_error(file, Msg("the model must take exactly one input"))])
    tensor = inputs[0].type.tensor_type
    dims = tensor.shape.dim
    if tensor.elem_type != onnx.TensorProto.FLOAT or len(dims) != 2:
        raise _refused(
            [field_error(file, Msg("the model's input must be a float tensor [windows, features]"))]
        )
    width = dims[1].dim_value if dims[1].HasField("dim_value") else None
    fields: list[FieldError] = []
    if width is not None and width != signature.features:
        fields.append(
            field_error(
                "body.signature.window_length",
                Msg(
                    "the model reads {width} values per window, the signature gives {features} "
                    "(items x window_length)",
                    width=width,
                    features=signature.features,
                ),
            )
        )
    names = {o.name for o in model.graph.output}
    for index, output in enumerate(signature.outputs):
        if output.name not in names:
            fields.append(
                field_error(
                    f"body.signature.outputs[{index}].name",
                    Msg("the model has no output '{name}'", name=output.name),
                )
            )
    if fields:
        raise _refused(fields)


def check_standard(signature: Signature, document: dict[str, Any] | None) -> list[tuple[float, float]]:
    """The signature against the published version of its equipment model; the range of each item, for the
    dry run."""
    if document is None:
        raise _refused(
            [
                field_error(
                    "body.signature.model_version",
                    Msg(
                        "'{model_id}' {version} is not a published version of the standards",
                        model_id=signature.model_id,
                        version=signature.model_version,
                    ),
                )
            ]
        )
    items = {item["id"]: item for item in document.get("items", [])}
    fields, ranges = [], []
    for index, item_id in enumerate(signature.items):
        item = items.get(item_id)
        if item is None or item.get("data_type") not in NUMERIC:
            fields.append(
                field_error(
                    f"body.signature.items[{index}]",
                    Msg(
                        "'{item}' is not a numeric item of {model_id} {version}",
                        item=item_id,
                        model_id=signature.model_id,
                        version=signature.model_version,
                    ),
                )
            )
            continue
        low = item.get("min") if item.get("min") is not None else 0.0
        high = item.get("max") if item.get("max") is not None else low + 100.0
        ranges.append((float(low), float(high)))
    if fields:
        raise _refused(fields)
    return ranges


def dry_run(data: bytes, signature: Signature, ranges: list[tuple[float, float]], limits: Limits) -> None:
    """Step 3 (blocking: a child process)."""
    rng = np.random.default_rng(0)
    columns = [
        rng.uniform(low, high, size=(DRY_RUN_WINDOWS, signature.window_length)) for low, high in ranges
    ]
    features = np.concatenate(columns, axis=1).astype(np.float32)
    try:
        score(data, signature, features, limits)
    except RunFailed as failed:
        raise _refused(
            [
                field_error(
                    "body.file",
                    Msg(
                        "the dry run failed ({reason}): {detail}", reason=failed.reason, detail=failed.detail
                    ),
                )
            ]
        ) from None
