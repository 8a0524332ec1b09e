"""The limited runner's child: a standalone script (it imports nothing of the platform), run as
``python -I child.py <dir> <cpu_seconds> <memory_bytes>``.

It limits itself before reading anything the model decides: CPU seconds (``RLIMIT_CPU``: SIGXCPU at the
limit, SIGKILL a second later) and address space (``RLIMIT_AS``: an allocation past it fails). It reads
``<dir>/model.onnx`` and ``<dir>/input.npy``, runs the model on one thread and writes every output to
``<dir>/output.npz`` under a temporary name renamed at the end: the parent reads outputs only after a clean
exit, so a killed run leaves nothing it could take for a result. Exit codes: 0 done, 3 the model failed,
4 out of memory (the reason on stderr's last line).
"""

import os
import resource
import sys

EXIT_MODEL, EXIT_MEMORY = 3, 4


def main(directory: str, cpu_seconds: int, memory_bytes: int) -> int:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        import numpy as np
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # a run is one core: the CPU limit and the bench figures per core
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(
            os.path.join(directory, "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        features = np.load(os.path.join(directory, "input.npy"), allow_pickle=False)
        names = [o.name for o in session.get_outputs()]
        results = session.run(names, {session.get_inputs()[0].name: features})
        outputs = {}
        for name, value in zip(names, results, strict=True):
            if not isinstance(value, np.ndarray):
                print(f"output '{name}' is not a tensor", file=sys.stderr)
                return EXIT_MODEL
            outputs[name] = value
        part = os.path.join(directory, "output.part.npz")
        np.savez(part, allow_pickle=False, **outputs)
        os.replace(part, os.path.join(directory, "output.npz"))
        return 0
    except MemoryError:
        print("memory limit reached", file=sys.stderr)
        return EXIT_MEMORY
    except Exception as exc:  # onnxruntime reports a failed allocation as a plain runtime error
        text = str(exc).strip().replace("\n", " ")[:400]
        print(text, file=sys.stderr)
        lowered = text.lower()
        return EXIT_MEMORY if "alloc" in lowered or "bad_alloc" in lowered else EXIT_MODEL


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
