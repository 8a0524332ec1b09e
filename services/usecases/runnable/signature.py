"""A model's input signature: what an ONNX model of a case reads and what it answers, bound to a version of
an equipment standard.

The model takes one float32 tensor ``[windows, len(items) * window_length]``: per window, the first item's
``window_length`` resampled values in time order, then the second item's, and so on. A window covers
``window_length * interval_seconds`` seconds aligned to the epoch (UTC); each value is the mean of the item's
readings in its interval. The same signature builds the windows of an SME's readings (``catalog.ai_runs.
windows``) and of a shared dataset, so a model scores both alike.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

MAX_FEATURES = 100_000  # items x window length: one window is one row of the input tensor

OutputKind = Literal["score", "class", "value"]


class Output(BaseModel):
    name: str = Field(min_length=1, max_length=64, description="the ONNX graph output")
    kind: OutputKind = Field(
        description="`score` (a number the case explains), `class` (a label) or `value` (with unit)"
    )
    unit: str | None = Field(default=None, max_length=16, description="canonical unit of a `value`")
    positive: list[str] | None = Field(
        default=None,
        max_length=32,
        description="for a `class` output: the classes that mean an anomaly or a defect when a claim is "
        'measured (e.g. `["-1"]` for an outlier detector); unset: every class but normal, ok, 0 and false',
    )

    @model_validator(mode="after")
    def _unit_of_value(self) -> Output:
        if self.kind == "value" and not self.unit:
            raise ValueError("an output of kind 'value' needs its unit")
        if self.positive is not None and self.kind != "class":
            raise ValueError("only an output of kind 'class' names its positive classes")
        return self


class Signature(BaseModel):
    model_id: str = Field(min_length=1, max_length=64, description="equipment model of the standards")
    model_version: str = Field(min_length=1, max_length=32)
    items: list[str] = Field(min_length=1, max_length=32, description="numeric data items, in input order")
    window_length: int = Field(ge=1, le=1440, description="resampled values per item and window")
    interval_seconds: int = Field(ge=1, le=86_400, description="resampling interval")
    outputs: list[Output] = Field(min_length=1, max_length=4)

    @model_validator(mode="after")
    def _shape(self) -> Signature:
        if len(set(self.items)) != len(self.items):
            raise ValueError("items repeat")
        if len({o.name for o in self.outputs}) != len(self.outputs):
            raise ValueError("outputs repeat")
        if self.features > MAX_FEATURES:
            raise ValueError(f"items x window_length exceeds {MAX_FEATURES}")
        return self

    @property
    def features(self) -> int:
        return len(self.items) * self.window_length

    @property
    def window_seconds(self) -> int:
        return self.window_length * self.interval_seconds
