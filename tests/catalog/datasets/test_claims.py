"""Claims re-measured: a real ONNX model run by the limited runner on a dataset snapshot stored in an object
store, scored against its labels. Expected figures are counted by hand from the data below."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import onnx
import pyarrow as pa
import pytest
from onnx import TensorProto, helper

from catalog.datasets import claims
from catalog.datasets.snapshot import load_snapshot, write_snapshot
from services.kit.objects import LocalStore
from services.usecases.runnable.runner import Limits
from services.usecases.runnable.signature import Signature

START = datetime(2025, 11, 1, tzinfo=UTC)
SIGNATURE = Signature.model_validate(
    {
        "model_id": "test-press",
        "model_version": "1.0.0",
        "items": ["force"],
        "window_length": 10,
        "interval_seconds": 60,
        "outputs": [{"name": "label", "kind": "class"}, {"name": "mean", "kind": "value", "unit": "kN"}],
    }
)


def _model() -> bytes:
    """``label`` = 1 when a window's mean force is over 5 kN, else 0; ``mean`` = the mean."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 10])
    label = helper.make_tensor_value_info("label", TensorProto.INT64, [None, 1])
    mean = helper.make_tensor_value_info("mean", TensorProto.FLOAT, [None, 1])
    five = helper.make_tensor("five", TensorProto.FLOAT, [], [5.0])
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["x"], ["mean"], axes=[1], keepdims=1),
            helper.make_node("Greater", ["mean", "five"], ["over"]),
            helper.make_node("Cast", ["over"], ["label"], to=TensorProto.INT64),
        ],
        "threshold",
        [x],
        [label, mean],
        [five],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _readings() -> pa.Table:
    """Three presses, one hour of one-minute forces of 1 kN (six ten-minute windows each), except press a's
    third window and press b's fifth at 9 kN."""
    rows = []
    for equipment, loud in (("e-a", 2), ("e-b", 4), ("e-c", None)):
        for minute in range(60):
            value = 9.0 if loud is not None and minute // 10 == loud else 1.0
            rows.append((equipment, "force", START + timedelta(minutes=minute), value))
    equipment, item, ts, value = zip(*rows, strict=True)
    return pa.table({"equipment": equipment, "item": item, "ts": ts, "value": value})


def _labels(windows: list[tuple[str, int, str]]) -> pa.Table:
    return pa.table(
        {
            "equipment": [e for e, _, _ in windows],
            "window_start": [START + timedelta(minutes=10 * w) for _, w, _ in windows],
            "window_end": [START + timedelta(minutes=10 * w + 10) for _, w, _ in windows],
            "label": [label for _, _, label in windows],
        }
    )


@pytest.fixture(scope="module")
def model() -> bytes:
    return _model()


def test_f1_and_accuracy_on_labelled_windows(tmp_path: Path, model: bytes) -> None:
    store = LocalStore(tmp_path)
    # truth: a's third window (caught) and c's first (missed); the model also flags b's fifth (a false alarm)
    labels = _labels([("e-a", 2, "anomaly"), ("e-c", 0, "anomaly")])
    write_snapshot(store, "ds1", 1, "test-press", "1.0.0", _readings(), labels)
    snapshot = load_snapshot(store, "ds1", 1)
    # TP 1, FP 1, FN 1: F1 = 2 / (2 + 2); 16 of 18 windows right
    assert claims.measure(model, SIGNATURE, snapshot, "f1", Limits(wall_seconds=60)) == 0.5
    assert claims.measure(model, SIGNATURE, snapshot, "accuracy", Limits(wall_seconds=60)) == 0.888889


def test_an_output_naming_its_positive_classes_is_judged_by_them(tmp_path: Path, model: bytes) -> None:
    store = LocalStore(tmp_path)
    labels = _labels([("e-a", 2, "anomaly"), ("e-c", 0, "anomaly")])
    write_snapshot(store, "ds1", 1, "test-press", "1.0.0", _readings(), labels)
    snapshot = load_snapshot(store, "ds1", 1)
    # As if 0 were the anomaly class (an outlier detector's -1): the guesses flip. c's first window is now
    # caught, a's third missed, and the 15 quiet windows other than c's first are false alarms.
    label, mean = SIGNATURE.outputs
    inverted = SIGNATURE.model_copy(update={"outputs": [label.model_copy(update={"positive": ["0"]}), mean]})
    # TP 1, FP 15, FN 1: F1 = 2 / (2 + 16); right: c's first and b's fifth, 2 of 18
    assert claims.measure(model, inverted, snapshot, "f1", Limits(wall_seconds=60)) == 0.111111
    assert claims.measure(model, inverted, snapshot, "accuracy", Limits(wall_seconds=60)) == 0.111111


def test_only_a_class_output_names_positive_classes() -> None:
    with pytest.raises(ValueError, match="only an output of kind 'class'"):
        Signature.model_validate(
            SIGNATURE.model_dump() | {"outputs": [{"name": "mean", "kind": "score", "positive": ["1"]}]}
        )


def test_regression_error_on_numeric_labels(tmp_path: Path, model: bytes) -> None:
    store = LocalStore(tmp_path)
    # the model's means: 9 on a's third window, 1 on b's first; the labels say 8 and 2
    labels = _labels([("e-a", 2, "8"), ("e-b", 0, "2")])
    write_snapshot(store, "ds2", 1, "test-press", "1.0.0", _readings(), labels)
    snapshot = load_snapshot(store, "ds2", 1)
    assert claims.measure(model, SIGNATURE, snapshot, "mae", Limits(wall_seconds=60)) == 1.0
    assert claims.measure(model, SIGNATURE, snapshot, "rmse", Limits(wall_seconds=60)) == 1.0


def test_a_model_of_another_equipment_model_fails_with_the_reason(tmp_path: Path, model: bytes) -> None:
    store = LocalStore(tmp_path)
    write_snapshot(store, "ds3", 1, "cnc-lathe", "1.0.0", _readings(), _labels([("e-a", 2, "anomaly")]))
    with pytest.raises(claims.MeasurementFailed, match=r"the dataset holds cnc-lathe 1\.0\.0"):
        claims.measure(model, SIGNATURE, load_snapshot(store, "ds3", 1), "f1", Limits())


def test_a_tampered_snapshot_is_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    written = write_snapshot(store, "ds4", 1, "test-press", "1.0.0", _readings(), None)
    assert load_snapshot(store, "ds4", 1).content_hash == written.content_hash
    store.put("datasets/ds4/1/readings.parquet", b"PAR1 not the published bytes", "application/octet-stream")
    with pytest.raises(Exception, match="do not match the content hash"):
        load_snapshot(store, "ds4", 1)


def test_same_rows_same_bytes_same_hash(tmp_path: Path) -> None:
    one, two = LocalStore(tmp_path / "1"), LocalStore(tmp_path / "2")
    shuffled = _readings().take(np.random.default_rng(7).permutation(180))
    first = write_snapshot(one, "ds5", 1, "test-press", "1.0.0", _readings(), None)
    second = write_snapshot(two, "ds5", 1, "test-press", "1.0.0", shuffled, None)
    assert first.content_hash == second.content_hash
