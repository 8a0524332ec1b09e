"""``python -m MODULE ARGS...`` under cProfile, every thread of it; the merged profile is written at exit.

    python bench/profiled.py OUT.prof MODULE [ARGS...]
    python -m pstats OUT.prof        (then: sort tottime / stats 30)

cProfile sees only the thread that enables it, and an upload is parsed, validated and published in the
server's worker threads: each thread started after this one gets a profiler of its own (the hook of
``threading.setprofile``) and the profiles are merged when the process ends. The platform's processes end
gracefully on SIGTERM (uvicorn's shutdown, the writer's stop flag), so a benchmark's ``stop`` writes them;
uvicorn raises the signal again once shut down, with the handler it found: this one's exits normally.
"""

from __future__ import annotations

import atexit
import cProfile
import pstats
import runpy
import signal
import sys
import threading
from typing import Any


def main() -> None:
    out, module, *args = sys.argv[1:]
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def profile_this_thread(*_: Any) -> None:
        # called once, on the new thread's first call event; enabling replaces this hook with the profiler
        profile = cProfile.Profile()
        with lock:
            profiles.append(profile)
        profile.enable()

    def write() -> None:
        threading.setprofile(None)
        main_profile.disable()
        with lock:
            # worker threads are idle by now; their profilers are read as they stand
            pstats.Stats(main_profile, *profiles).dump_stats(out)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main_profile = cProfile.Profile()
    threading.setprofile(profile_this_thread)
    atexit.register(write)
    sys.argv = [module, *args]
    main_profile.enable()
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
