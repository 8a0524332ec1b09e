"""One edge gateway for the HTTP benchmarks: a separate process with one keep-alive connection.

It builds its batches first (at most 16, then sent again under new batch ids), prints ``ready``, waits for
a line on stdin so that every gateway starts together, posts them one after the other (one every
``--every`` seconds if given) and prints one JSON line: start, end and each upload's latency. Imports
only bench/readings.py: a gateway starts in a fraction of a second, without the platform's code.
"""

from __future__ import annotations

import argparse
import sys
import time

import httpx
import orjson
from readings import body


def uploader(args: argparse.Namespace) -> int:
    bodies = [
        body(args.content_type, args.rows, seed)
        for seed in range(args.first_seed, args.first_seed + min(args.count, 16))
    ]
    headers = {
        "Authorization": f"Bearer {args.token}",
        "X-Factory-Id": args.factory,
        "Content-Type": args.content_type,
    }
    with httpx.Client(base_url=args.url, timeout=120) as client:
        # every gateway starts together: ready once its bodies are built, then wait for the go
        print("ready", flush=True)
        sys.stdin.readline()
        latencies, started = [], time.time()
        for n in range(args.count):
            if args.every:
                time.sleep(max(0.0, started + n * args.every - time.time()))
            sent = time.perf_counter()
            answer = client.post(
                "/api/v1/ingest/batches",
                content=bodies[n % len(bodies)],
                headers={**headers, "X-Batch-Id": f"{args.label}-{n}"},
            )
            if answer.status_code != 202:
                print(
                    orjson.dumps({"error": f"{answer.status_code} {answer.text[:300]}"}).decode(), flush=True
                )
                return 1
            latencies.append(time.perf_counter() - sent)
    print(
        orjson.dumps({"started": started, "ended": time.time(), "latencies": latencies}).decode(), flush=True
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("url", "token", "factory", "content-type", "label"):
        parser.add_argument(f"--{name}", required=True)
    for name in ("rows", "count", "first-seed"):
        parser.add_argument(f"--{name}", type=int, required=True)
    parser.add_argument(
        "--every", type=float, default=0.0, help="seconds between batch starts (0: back to back)"
    )
    return uploader(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
