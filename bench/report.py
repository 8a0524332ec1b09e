"""Renders docs/benchmarks.md and its charts (docs/img/bench-*.png) from the results of bench/results/.

Every figure sits beside its target; every table says the sizes, the number of runs (medians), the
machine and what else was running when it was measured. Run by bench/run.py after the benchmarks.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import matplotlib
import orjson
from benchkit import PG, RESULTS, ROOT
from sqlalchemy import create_engine, text

matplotlib.use("Agg")
import matplotlib.pyplot as plt

DOC = ROOT / "docs" / "benchmarks.md"
IMG = ROOT / "docs" / "img"
ORDER = ["peer", "http_ingest", "ingest_inprocess", "api", "soak"]


def load() -> dict[str, dict[str, Any]]:
    out = {}
    for name in ORDER:
        path = RESULTS / f"{name}.json"
        if path.exists():
            out[name] = orjson.loads(path.read_bytes())
    return out


def versions() -> str:
    pom = (ROOT / "infra" / "kafka-connect" / "pom.xml").read_text()
    prop = {k: re.search(f"<{k}>([^<]+)</{k}>", pom).group(1) for k in ("kafka.version", "iceberg.version")}  # type: ignore[union-attr]
    engine = create_engine(PG)
    with engine.connect() as conn:
        pg = str(conn.execute(text("SHOW server_version")).scalar()).split()[0]
    engine.dispose()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("[")[0].strip()
    libs = ", ".join(
        f"{p} {metadata.version(p)}" for p in ("pyiceberg", "pyarrow", "fastapi", "uvicorn", "kafka-python")
    )
    return (
        f"Kafka {prop['kafka.version']} (broker and Kafka Connect), Apache Iceberg sink connector "
        f"{prop['iceberg.version']}, PostgreSQL {pg}, MinIO (infra/README.md), {wrk or 'wrk'}; {libs}"
    )


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit in ("s",):
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "MiB":
        return f"{value:,.0f} MiB"
    return f"{value:,.0f}"


def figure_table(result: dict[str, Any]) -> str:
    lines = ["| figure | median | runs | target |", "|---|---|---|---|"]
    for f in result["figures"]:
        runs = ", ".join(fmt(v, f["unit"]) for v in f["runs"])
        lines.append(f"| {f['name']} | **{fmt(f['value'], f['unit'])}** | {runs} | {f['target']} |")
    return "\n".join(lines)


def conditions(result: dict[str, Any]) -> str:
    m = result["machine"]
    sizes = ", ".join(f"{k} {v}" for k, v in result["sizes"].items())
    load = f"load average {m['loadavg_1m_at_end']} at the end"
    extra = f"; {result['conditions']}" if result.get("conditions") else ""
    return f"_Measured {result['measured_at'][:16].replace('T', ' ')} UTC; sizes: {sizes}; {load}{extra}._"


def bar_chart(
    path: Path,
    title: str,
    labels: list[str],
    values: list[float],
    unit: str,
    log: bool = False,
    target: float | None = None,
) -> str:
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * len(labels)))
    ax.barh(labels, values, color="#2b6cb0")
    ax.invert_yaxis()
    ax.set_xlabel(unit)
    ax.set_title(title)
    if log:
        ax.set_xscale("log")
    if target is not None:
        ax.axvline(target, color="#c53030", linestyle="--", linewidth=1)
    for n, v in enumerate(values):
        ax.text(v, n, f" {v:,.0f}" if v >= 10 else f" {v:.2f}", va="center", fontsize=8)
    fig.tight_layout()
    IMG.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"![{title}](img/{path.name})"


def peer_section(r: dict[str, Any]) -> str:
    sinks = r["details"]["sinks"]
    rows = "\n".join(
        f"| {s['sink']} | {fmt(s['drain'])} | {fmt(s['steady'])} | {fmt(s['fresh_p50'], 's')} | "
        f"{fmt(s['fresh_p95'], 's')} | {fmt(s['rss_mib'], 'MiB')} |"
        for s in sinks
    )
    ratios = "\n".join(f"| {k} | **{v:,.1f} ×** |" for k, v in r["details"]["ratios"].items())
    chart = bar_chart(
        IMG / "bench-peer.png",
        "Topic to committed Iceberg snapshot (readings/s, drain)",
        [s["sink"] for s in sinks]
        + [f["name"] for f in r["figures"] if not f["name"].startswith(("platform", "tuned", "default"))],
        [s["drain"] for s in sinks]
        + [f["value"] for f in r["figures"] if not f["name"].startswith(("platform", "tuned", "default"))],
        "readings/s (log scale)",
        log=True,
    )
    return f"""## The peer: Kafka Connect + Apache Iceberg's sink, same broker, MinIO and JDBC catalog
`bench/peer_bench.py`. The topic is filled first with the same readings (same seeds and columns, the same
Iceberg schema and partition spec, made by the platform's own `catalog/lake.py` in the same SQL catalog in
PostgreSQL that Iceberg's `JdbcCatalog` reads), then the sink process starts: *drain* is launch to the
snapshot holding every row, *steady* the rate between its first and last commit (start-up excluded).
Freshness: acknowledged by Kafka (peer) or answered 202 (platform) to committed. The peer gets what a
data engineer would give it: one schemaless JSON object per reading, `JsonConverter`, one task (the
platform runs one writer process), a standalone worker from `infra/kafka-connect/`.

| sink | drain readings/s | steady readings/s | freshness p50 | freshness p95 | peak RSS |
|---|---|---|---|---|---|
{rows}

| ratio (same run) | |
|---|---|
{ratios}

{figure_table(r)}

{chart}

Why the gap: the platform moves a batch as one Arrow message (columns, dictionary-encoded text) and its
writer appends it as it is; the sink converts every record from JSON to an Iceberg row in the JVM, and a
commit is a round trip on the control topic (the coordinator asks, each task closes its files and answers
at its next `put`, the coordinator commits), so its freshness is the commit interval plus that round trip.
At its 300 s default a reading waits minutes; tuned to 1 s (and `offset.flush.interval.ms` 1 s, so that
an idle task answers at once) it still commits only every few seconds on this machine. At the defaults
(interval 300 s, `offset.flush.interval.ms` 60 s, `commit.timeout-ms` 30 s) the first commit of both runs of
2026-11-26 timed out ("committed to 0 table(s)": the task answered after the timeout), so the first
readings waited two intervals. *Drain* includes the sink's start-up (JVM and connector, Python and
pyiceberg): at small sizes it weighs; *steady* is `-` where every row landed in a single commit.

{conditions(r)}
"""


def http_section(r: dict[str, Any]) -> str:
    table = r["details"]["table"]
    rows = "\n".join(
        f"| {t['path']} | {fmt(t['accepted'])} | {fmt(t['lake'])} | {fmt(t['upload_p50_ms'], 'ms')} | "
        f"{fmt(t['upload_p99_ms'], 'ms')} |"
        for t in table
    )
    rss = "\n".join(
        f"| {x['topology']} | " + ", ".join(f"{k} {v:,} MiB" for k, v in x.items() if k != "topology") + " |"
        for x in r["details"]["rss_mib"]
    )
    chart = bar_chart(
        IMG / "bench-http-ingest.png",
        "Ingest over HTTP: readings/s in the lake",
        [t["path"] for t in table],
        [t["lake"] for t in table],
        "readings/s",
    )
    return f"""## Ingest over HTTP (uvicorn, TCP, separate gateway processes)
`bench/http_ingest_bench.py`. *Accepted*: first request to last 202; *in the lake*: first request to the
snapshot holding every row. Each uploader is its own Python process with one keep-alive connection.

| path | accepted readings/s | in the lake readings/s | upload p50 | upload p99 |
|---|---|---|---|---|
{rows}

| topology | peak RSS |
|---|---|
{rss}

{figure_table(r)}

{chart}

{conditions(r)}
"""


def inprocess_section(r: dict[str, Any]) -> str:
    stages = r["details"]["stages"]
    rows = "\n".join(f"| {name} | {rate:,.0f} |" for name, rate in stages.items())
    per_core = 1 / sum(1 / rate for rate in stages.values())
    return f"""## Ingest in-process (ASGI app called directly, no TCP): the platform's own ceiling
`bench/ingest_bench.py`: uploads through the API in-process, one lake writer process, Kafka and MinIO real.

{figure_table(r)}

Where the time goes (one thread, best of 3; {per_core:,.0f} readings/s per core for the platform's own
work before Kafka, MinIO and PostgreSQL take their share of the same cores):

| step | readings/s |
|---|---|
{rows}

{conditions(r)}
"""


def api_section(r: dict[str, Any]) -> str:
    table = r["details"]["table"]
    rows = "\n".join(
        f"| {t['topology']} | {t['name']} | {t['rps']:,.0f} | {t['p50']:.1f} | {t['p95']:.1f} | "
        f"{t['p99']:.1f} | {t['errors']:,} | {'✓' if t['p95'] <= 50 else '✗'} |"
        for t in table
    )
    chart = bar_chart(
        IMG / "bench-api.png",
        "API at national scale: p95 latency (ms), target 50",
        [f"{t['topology']}: {t['name']}" for t in table],
        [t["p95"] for t in table],
        "ms (log scale; dashed: the 50 ms target)",
        log=True,
        target=50,
    )
    load = r["details"].get("load", {})
    load_rows = "\n".join(
        f"| {k} | {v:,} | {r['details'].get('load_seconds', {}).get(k, 0):.0f} s |" for k, v in load.items()
    )
    findings = "\n".join(f"- {f}" for f in r["details"].get("findings", [])) or "- none found"
    return f"""## API at national scale
`bench/api_bench.py`. The generator fills the platform through the services' own code (batched, not one
HTTP call per record); `wrk` in its own process drives each endpoint on loopback.

| records | count | load time |
|---|---|---|
{load_rows}

| topology | endpoint | requests/s | p50 ms | p95 ms | p99 ms | non-2xx/errors | p95 ≤ 50 ms |
|---|---|---|---|---|---|---|---|
{rows}

Found by the harness (statements per page growing with the page size):
{findings}

Found by reading the code while measuring (2026-11-26; for the services' owners, not fixed here):
- per-row query: `services/deployments/endpoints.py` `_out` runs `repository.tickets_of_record` once per
  record, and `list_deployments` calls it for every row of the page (one more statement per row);
- the portal's browse pages (`platform_api/portal/catalogue.py` `_load_cases`, `_load_deployments`,
  `_load_companies` through `PortalApi.all`, and `pages.company_names` on every browse page) fetch up to
  `MAX_ITEMS` = 5,000 items in pages of 200 and facet them in memory: at national scale every view of
  `/cases`, `/deployments`, `/companies` reads 5,000 records plus 5,000 companies (seconds, see above);
  the facet counts and the page belong in SQL (`GROUP BY`, `LIMIT`).

{chart}

{conditions(r)}
"""


def soak_section(r: dict[str, Any]) -> str:
    d = r["details"]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for name, series in d["rss_series"].items():
        alive = [(t, v) for t, v in series if v > 0]  # 0 once a process has exited
        ax.plot([t / 60 for t, _ in alive], [v for _, v in alive], label=name)
    ax.set_xlabel("minutes")
    ax.set_ylabel("RSS MiB")
    ax.set_title("Soak: resident memory of every process")
    ax.legend(fontsize=8)
    fig.tight_layout()
    IMG.mkdir(parents=True, exist_ok=True)
    fig.savefig(IMG / "bench-soak.png", dpi=110)
    plt.close(fig)
    rows = "\n".join(
        f"| {name} | {x['first']:,.0f} | {x['last']:,.0f} | {x['slope_mib_per_min']:+.2f} | "
        f"{'flat' if x['flat'] else 'GROWING'} |"
        for name, x in d["rss"].items()
    )
    return f"""## Soak
`bench/soak.py --minutes N`: gateways upload at half the sustained rate with the writer running; every
process's RSS sampled. Lake count exact: {d["lake_rows"]:,} rows in the lake for {d["sent_rows"]:,} sent
({"exact" if d["lake_rows"] == d["sent_rows"] else "MISMATCH"}); errors (failed uploads and tracebacks in
the server and writer logs): {d["errors"]}.

| process | RSS MiB, 2nd fifth | RSS MiB, last fifth | slope after warm-up MiB/min | verdict |
|---|---|---|---|---|
{rows}

{figure_table(r)}

![Soak RSS](img/bench-soak.png)

{conditions(r)}
"""


SECTIONS = {
    "peer": peer_section,
    "http_ingest": http_section,
    "ingest_inprocess": inprocess_section,
    "api": api_section,
    "soak": soak_section,
}


def extras() -> str:
    """The printed reports of the other benchmarks of bench/ (run.py's EXTRAS), as they printed them."""
    out = []
    for path in sorted(RESULTS.glob("*.txt")):
        when = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M")
        out.append(f"### bench/{path.stem}_bench.py ({when} UTC)\n```\n{path.read_text().strip()}\n```\n")
    return "\n## Other benchmarks of bench/ (their own output)\n" + "\n".join(out) if out else ""


def summary(results: dict[str, dict[str, Any]]) -> str:
    """The answers, one line each, from the figures below."""
    lines = []
    if "peer" in results:
        for name, value in results["peer"]["details"]["ratios"].items():
            lines.append(f"- {name}: **{value:,.1f} ×**")
    if "api" in results:
        reads = [t for t in results["api"]["details"]["table"] if t["kind"] != "page"]
        met = sum(t["p95"] <= 50 for t in reads)
        records = results["api"]["sizes"]["deployments"]
        lines.append(
            f"- API with {records:,} deployment records: {met} of {len(reads)} reads meet p95 ≤ 50 ms"
        )
    if "soak" in results:
        d = results["soak"]["details"]
        growing = [name for name, v in d["rss"].items() if not v["flat"]]
        lines.append(
            f"- soak of {results['soak']['sizes']['minutes']:g} min: lake count "
            f"{'exact' if d['lake_rows'] == d['sent_rows'] else 'WRONG'}, {d['errors']} errors, RSS "
            + (f"growing: {', '.join(growing)}" if growing else "flat")
        )
    return "\n".join(lines)


def render() -> Path:
    results = load()
    any_result = next(iter(results.values()))
    m = any_result["machine"]
    body = "\n".join(SECTIONS[name](r) for name, r in results.items()) + extras()
    DOC.write_text(
        f"""# Benchmarks

`make bench` runs every benchmark of `bench/` against the real servers (`infra/with-servers.sh`) and
rewrites this page; `make bench-check` reruns them at the sizes of `bench/baseline.json` and fails when a
figure is more than 30 % worse than that baseline on the same machine kind. Figures are medians of the
runs listed beside them; ratios compare figures of the same run.

In short (each section ends with the sizes, runs and load its figures were measured with):

{summary(results)}

Machine: {m["cores"]} cores, {m["memory_gib"]} GiB, {m["cpu"]}; Python {m["python"]}.
Versions: {versions()}.

{body}""",
        encoding="utf-8",
    )
    return DOC


if __name__ == "__main__":
    print(f"wrote {render()}")
