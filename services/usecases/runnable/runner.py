"""The limited runner: an ONNX model run in a child process with CPU, memory and wall-time limits.

A model is code from someone else (a case's owner): it may loop for ever, allocate without end or crash
onnxruntime. It therefore never runs in a platform process. Each call starts ``child.py`` (a standalone
script: a fresh interpreter, no inherited threads or locks, nothing of the platform imported), hands it the
model and the input through a private temporary directory and waits at most ``Limits.wall_seconds``; past
that the child is killed. The child limits its own CPU seconds and address space before loading the model.

A run either returns every output or raises :class:`RunFailed` with its reason (``cpu_time``, ``memory``,
``wall_time``, ``model_error``, ``bad_output``); the outputs are read only after a clean exit, so nothing a
killed child wrote is ever taken for a result, and callers write predictions only from a returned table.

``score_windows`` is the contract other parts call (apply to a factory, claims re-measured on a dataset):
windows (``catalog.ai_runs.windows``) in, one row per window and declared output out.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from services.kit.arrow import UTC_US
from services.kit.settings import PlatformSettings
from services.usecases.runnable import child
from services.usecases.runnable.signature import Signature

PREDICTIONS_SCHEMA = pa.schema(
    [
        pa.field("equipment", pa.string(), nullable=False),
        pa.field("window_start", UTC_US, nullable=False),
        pa.field("window_end", UTC_US, nullable=False),
        pa.field("output", pa.string(), nullable=False),
        pa.field("value", pa.float64()),  # score and value outputs
        pa.field("label", pa.string()),  # class outputs
    ]
)
REASONS = ("cpu_time", "memory", "wall_time", "model_error", "bad_output")


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 60
    memory_bytes: int = 1024 * 1024 * 1024
    wall_seconds: float = 120.0


class RunFailed(Exception):
    """The model did not give a result; ``reason`` is one of REASONS, ``detail`` says more (English)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def infer(model_bytes: bytes, features: np.ndarray, limits: Limits) -> dict[str, np.ndarray]:
    """Every output of the model on ``features`` (float32, one row per window), run in a limited child."""
    with tempfile.TemporaryDirectory(prefix="smartmfg-run-") as directory:
        folder = Path(directory)
        (folder / "model.onnx").write_bytes(model_bytes)
        np.save(folder / "input.npy", np.ascontiguousarray(features, dtype=np.float32), allow_pickle=False)
        command = [
            sys.executable,
            "-I",
            str(Path(child.__file__)),
            directory,
            str(limits.cpu_seconds),
            str(limits.memory_bytes),
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _, stderr = process.communicate(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise RunFailed(
                "wall_time", f"the model ran past {limits.wall_seconds:g} s and was stopped"
            ) from None
        said = stderr.decode(errors="replace").strip().splitlines()
        last = said[-1] if said else ""
        code = process.returncode
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            raise RunFailed(
                "cpu_time", f"the model used more than {limits.cpu_seconds} s of CPU and was stopped"
            )
        if code == child.EXIT_MEMORY:
            raise RunFailed("memory", f"the model needed more than {limits.memory_bytes} bytes: {last}")
        if code != 0:
            raise RunFailed("model_error", last or f"the model process exited with code {code}")
        with np.load(folder / "output.npz", allow_pickle=False) as outputs:
            return {name: outputs[name] for name in outputs.files}


def score(
    model_bytes: bytes, signature: Signature, features: np.ndarray, limits: Limits
) -> dict[str, np.ndarray]:
    """The declared outputs of the model on ``features``, each one value per window (column 0 of a
    ``[windows, k]`` tensor); a missing output or one of another length fails the run with ``bad_output``."""
    windows = features.shape[0]
    found = infer(model_bytes, features, limits)
    out: dict[str, np.ndarray] = {}
    for declared in signature.outputs:
        tensor = found.get(declared.name)
        if tensor is None:
            raise RunFailed(
                "bad_output", f"the model has no output '{declared.name}' (it has {sorted(found)})"
            )
        if tensor.ndim == 0 or tensor.shape[0] != windows:
            raise RunFailed(
                "bad_output", f"output '{declared.name}' has shape {list(tensor.shape)}, not [{windows}, ...]"
            )
        column = tensor.reshape(windows, -1)[:, 0]
        if declared.kind != "class" and not np.issubdtype(column.dtype, np.number):
            raise RunFailed("bad_output", f"output '{declared.name}' is not numeric")
        out[declared.name] = column
    return out


def score_windows(model_bytes: bytes, signature: Signature, windows: pa.Table, limits: Limits) -> pa.Table:
    """Predictions (PREDICTIONS_SCHEMA) of ``windows`` (``catalog.ai_runs.windows.WINDOWS_SCHEMA``): one row
    per window and declared output, in the windows' order; raises RunFailed."""
    if windows.num_rows == 0:
        return PREDICTIONS_SCHEMA.empty_table()
    flat = windows["features"].combine_chunks().flatten().to_numpy(zero_copy_only=False)
    features = flat.astype(np.float32).reshape(windows.num_rows, signature.features)
    columns = score(model_bytes, signature, features, limits)
    parts = []
    for declared in signature.outputs:
        column = columns[declared.name]
        is_class = declared.kind == "class"
        parts.append(
            pa.table(
                {
                    "equipment": windows["equipment"],
                    "window_start": windows["window_start"],
                    "window_end": windows["window_end"],
                    "output": pa.repeat(pa.scalar(declared.name), windows.num_rows),
                    "value": pa.nulls(windows.num_rows, pa.float64())
                    if is_class
                    else pa.array(column.astype(np.float64)),
                    "label": pa.array([str(v) for v in column], pa.string())
                    if is_class
                    else pa.nulls(windows.num_rows, pa.string()),
                },
                schema=PREDICTIONS_SCHEMA,
            )
        )
    return pa.concat_tables(parts)


def limits_of(settings: PlatformSettings) -> Limits:
    """The configured limits of a run (``SMARTMFG_AI_*``)."""
    ai = settings.ai
    return Limits(cpu_seconds=ai.cpu_seconds, memory_bytes=ai.memory_bytes, wall_seconds=ai.wall_seconds)
