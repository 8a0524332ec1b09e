"""Runnable cases: an ONNX model on a case, its input signature bound to an equipment standard, the checks
on upload, and the limited runner that scores it (``runner.score_windows``, also called by the analytics
service's runs, ``catalog.ai_runs``, and by claims re-measured on datasets). Never pickle: a model is ONNX,
its inputs and outputs plain arrays."""
