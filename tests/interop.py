"""Where the real equipment documents are: shared/interop-samples beside the checkout (never copied in)."""

from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "interop-samples"
