"""One edge gateway for the HTTP benchmarks: a separate process with one keep-alive connection.

It builds its batches first (at most 16, then sent again under new batch ids), prints ``ready``, waits for
a line on stdin so that every gateway starts together, posts them one after the other (one every
``--every`` seconds if given; with ``--live`` each batch is built as it is sent, its readings stamped with
the time; a batch answered 503, the bus unavailable, is sent again after Retry-After, as an edge gateway's
outbox does) and prints one JSON line: start, end, each upload's latency (to its 202) and the 503s it
retried. Imports only bench/readings.py: a gateway starts in a fraction of a second, without the platform's
code.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import orjson
from readings import body


def live_start(rows: int) -> datetime:
    """The first reading's time of a batch sent now (its readings 1 ms apart end now)."""
    return datetime.now(UTC) - timedelta(milliseconds=rows)


def uploader(args: argparse.Namespace) -> int:
    # --live builds each batch as it sends it: nothing to build beforehand
    bodies = (
        [
            body(args.content_type, args.rows, seed)
            for seed in range(args.first_seed, args.first_seed + min(args.count, 16))
        ]
        if not args.live
        else []
    )
    headers = {
        "Authorization": f"Bearer {args.token}",
        "X-Factory-Id": args.factory,
        "Content-Type": args.content_type,
    }
    with httpx.Client(base_url=args.url, timeout=120) as client:
        # every gateway starts together: ready once its bodies are built, then wait for the go
        print("ready", flush=True)
        sys.stdin.readline()
        latencies, started, retries = [], time.time(), []
        for n in range(args.count):
            if args.every:
                time.sleep(max(0.0, started + n * args.every - time.time()))
            if args.live:  # readings of the last moments, as a gateway on the shop floor sends them
                content = body(args.content_type, args.rows, args.first_seed + n, live_start(args.rows))
            else:
                content = bodies[n % len(bodies)]
            sent = time.perf_counter()
            while True:
                answer = client.post(
                    "/api/v1/ingest/batches",
                    content=content,
                    headers={**headers, "X-Batch-Id": f"{args.label}-{n}"},
                )
                # The bus unavailable (a Kafka restart): nothing was accepted; a gateway sends it again.
                if answer.status_code != 503 or time.perf_counter() - sent > args.retry_for:
                    break
                retries.append(f"{n}: {answer.text[:200]}")
                time.sleep(float(answer.headers.get("Retry-After", "5")))
            if answer.status_code != 202:
                print(
                    orjson.dumps({"error": f"{answer.status_code} {answer.text[:300]}"}).decode(), flush=True
                )
                return 1
            latencies.append(time.perf_counter() - sent)
    print(
        orjson.dumps(
            {"started": started, "ended": time.time(), "latencies": latencies, "retries": retries}
        ).decode(),
        flush=True,
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
    parser.add_argument(
        "--live", action="store_true", help="stamp each batch's readings with the time it is sent"
    )
    parser.add_argument(
        "--retry-for", type=float, default=600.0, help="seconds a batch answered 503 is sent again"
    )
    return uploader(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
