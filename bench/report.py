"""Renders docs/benchmarks.md and its charts (docs/img/bench-*.png) from the results of bench/results/.

Every results file gets a section: the benchmarks with a story of their own (the peer, ingest, the API,
the soak) a written one, every other one (bench/run.py's extras, any new benchmark) the generic one made
from its figures and details. Every figure sits beside its target and whether it meets it; every section
says the sizes, the number of runs (medians), the machine and what else was running when it was measured.
Run by bench/run.py after the benchmarks, or alone: ``python bench/report.py``.
"""

from __future__ import annotations

import ast
import re
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import matplotlib
import orjson
from benchkit import PG, RESULTS, ROOT, flatness
from sqlalchemy import create_engine, text

matplotlib.use("Agg")
import matplotlib.pyplot as plt

# Labels hold Korean (search terms, names): fall back to the CJK font infra/os-packages.txt installs.
plt.rcParams["font.family"] = ["DejaVu Sans", "Noto Sans CJK JP"]

DOC = ROOT / "docs" / "benchmarks.md"
IMG = ROOT / "docs" / "img"
ORDER = ["peer", "http_ingest", "ingest_inprocess", "api", "soak"]


def load() -> dict[str, dict[str, Any]]:
    """Every results file: the written sections' first, in their order, then the others by name."""
    paths = {path.stem: path for path in RESULTS.glob("*.json")}
    names = [n for n in ORDER if n in paths] + sorted(set(paths) - set(ORDER))
    return {name: orjson.loads(paths[name].read_bytes()) for name in names}


def script(name: str) -> str:
    """The file of bench/ that wrote ``<name>.json``."""
    for candidate in (f"{name}_bench.py", f"{name}.py"):
        if (ROOT / "bench" / candidate).exists():
            return candidate
    return f"{name}.json"


def summary_line(name: str) -> str:
    """The first sentence of a benchmark's module docstring: what it measures, in its own words."""
    path = ROOT / "bench" / script(name)
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) if path.suffix == ".py" else None
    if not doc:
        return name
    paragraph = " ".join(doc.split("\n\n")[0].split())
    return paragraph.split(". ")[0].rstrip(".").replace("``", "`")


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
    if abs(value) < 10:
        shown = unit if unit and unit not in ("readings/s", "requests/s") else ""
        return f"{value:,.3g} {shown}".rstrip()
    return f"{value:,.0f}"


TARGET = re.compile(r"^\s*(≤|≥|<=|>=|<|>)\s*([\d,]*\.?\d+)")


def target_value(target: str) -> tuple[str, float] | None:
    """``("≤", 50.0)`` for "≤ 50 ms"; None for a target that is not a bound (e.g. "flat", "-")."""
    found = TARGET.match(target or "")
    if found is None:
        return None
    sign = {"<=": "≤", "<": "≤", ">=": "≥", ">": "≥"}.get(found[1], found[1])
    return sign, float(found[2].replace(",", ""))


def meets(figure: dict[str, Any]) -> bool | None:
    """Whether a figure meets its target (in the figure's unit); None when it has no bound."""
    bound = target_value(figure.get("target", "-"))
    if bound is None:
        return None
    sign, limit = bound
    return bool(figure["value"] <= limit if sign == "≤" else figure["value"] >= limit)


def verdict(ok: bool | None) -> str:
    return {True: "✓", False: "✗", None: "-"}[ok]


def figure_table(result: dict[str, Any]) -> str:
    lines = ["| figure | median | runs | target | met |", "|---|---|---|---|---|"]
    for f in result["figures"]:
        runs = ", ".join(fmt(v, f["unit"]) for v in f["runs"])
        value = fmt(f["value"], f["unit"])
        lines.append(f"| {f['name']} | **{value}** | {runs} | {f['target']} | {verdict(meets(f))} |")
    return "\n".join(lines)


PAGE_MACHINE: dict[str, Any] = {}  # the machine named at the top of the page (set by render)


def conditions(result: dict[str, Any]) -> str:
    m = result["machine"]
    sizes = ", ".join(f"{k} {v}" for k, v in result["sizes"].items())
    runs = max((len(f["runs"]) for f in result["figures"]), default=0)
    load = f"load average {m['loadavg_1m_at_end']} at the end"
    kind = {k: m[k] for k in ("cores", "memory_gib", "cpu")}
    other = (
        ""
        if kind == {k: PAGE_MACHINE.get(k) for k in kind}
        else (f"; on {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}, Python {m['python']}")
    )
    extra = f"; {result['conditions']}" if result.get("conditions") else ""
    return (
        f"_Measured {result['measured_at'][:16].replace('T', ' ')} UTC; sizes: {sizes}; "
        f"{runs} run{'s' if runs != 1 else ''} per figure (median shown); {load}{other}{extra}._"
    )


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


API_HEADER = (
    "| topology | endpoint | requests/s | p50 ms | p90 ms | p95 ms | p99 ms | non-2xx/errors "
    "| one client: p50 ms | one client: p95 ms | p95 target |\n|---|---|---|---|---|---|---|---|---|---|---|"
)
API_NOTES = """What made the reads slow at national scale, and what changed (2026-11-26; the tests
`tests/services/*/test_list_statements.py` keep the statements of every list constant in its page size):
- no index in the lists' keyset order: every page of `/deployments` sorted all 75,000 published records
  (180 ms of SQL a page); now `(status, created_at, id)` for deployments and use cases, `(updated_at, id)`
  for the workspace, and a pg_trgm index for `q` on PostgreSQL (rare words of three characters or more);
- each record of a page was built from nested models one by one (about 1 ms a record); now validated
  once as plain data, and public lists no longer load the records' evidence documents;
- the use-case search read every posting of the query's terms and ranked them in Python; the database
  now ranks and returns one page.
- `InputModel`'s type check worked out each field's annotation for every value validated, outputs built
  from input models included (a list page: thousands of values); now once per field.
Before these changes (the code of the last commit, same data without the new indexes, embedded, measured
right after the table above on the same quiet machine), requests/s, p50/p95 ms with 8 connections, one
client's p50: deployments list 15, 497/817, 80; search 18, 444/524, 76; by region and industry 30, 278/367,
35; use cases search 63, 106/218, 15; companies list 155, 47/124, 6; standards list 141, 50/145, 7 (before
the adoption counts were added to it).
Left: a page of 50 full deployment records is 250 KB of JSON (~35 ms of one core to build); with 8
connections on one server process a request waits for the others'. `/standards` lists count each
version's adoption over all factories' equipment (`co_factory_equipment`) on every request.

Cached and distinct (2026-12-07, issue 29): an endpoint named "(cached)" is driven with a few URLs
repeated, so after the first round it measures kept answers; "(distinct)" drives 400 different queries or
filter combinations (24 Korean and English words × 17 regions; 17 regions × 12 industries × 2 pages) and
adds the request's own number to every URL, so no answer kept by URL serves a repeat. The targets are
p95 ≤ 50 ms for API reads and p95 ≤ 100 ms for portal pages. A first quick run (`--quick`: 5,000
records, 1,500 companies, 500 cases, 5 s per endpoint, embedded, 8 connections, on the 2 shared cores
while seven other sessions ran tests) gave p50/p90/p99 ms: deployments search distinct 161/564/1,055
(cached 131/241/323), deployments by region and industry distinct 118/578/1,166 (cached 218/352/734),
use-case search distinct 72/143/209 (cached 53/119/171), companies search distinct 148/368/794, portal
deployments distinct 662/1,096/1,461 (cached 147/1,379/1,996), portal cases distinct 477/806/1,149
(cached 92/155/182); with one client the distinct p50s were 19-65 ms. Those figures are of a loaded
machine (one client's p50 is the request's own cost; the rest is queueing behind the other seven); the
national-scale run of the distinct requests on a quiet machine is still to be made."""


# Issue 29's distinct requests measured before and after migration 0006 and custom plans: the prose around
# the table that ``_distinct_runs`` renders from the result's ``details`` ("before", "after_migration_only").
API_DISTINCT_INTRO = """\
**Distinct requests at national scale (2026-12-07 17:35-18:15 UTC, issue 29).** The distinct mode now
covers every search and browse endpoint, API and portal (12 endpoints, 400 different URLs each, plus the
request's own number): 40 words (Korean bare, with a particle, in a compound; English stems and
inflections; supplier and place names; some found nowhere) × 17 regions in a fixed shuffled order for
`q` (deployments, deployment facets, companies, the portal's `/deployments?q=`, `/cases?q=`,
`/companies?q=`); the 40 words and 780 two-word phrases for `/usecases/search` (which takes no region:
the earlier run's `&region=` was ignored, so its 24 URLs were answered from the search memo after the
first round); and region × industry × page × sort order for the lists (`sort=newest|effect` with a
position cursor; use cases `newest|title`, companies `name|capability`): the 40 pairs that hold published
records × 3 pages × 2 orders, then pairs that hold none (a visitor's choices often find nothing). The
national data was loaded once (`--load-only`, 6.6 min on the loaded machine) and reused
(`--reuse-database`). Run: `cd bench && python api_bench.py --reuse-database $DB --topologies embedded
--seconds 10` (and `--only` the twelve "(distinct)" names for the third run).

The machine was not quiet: 2 cores shared with seven other sessions running tests, 1-minute load average
17-36 during the runs (32.4, 24.8 and 35.6 at their ends). With 8 connections a request mostly waits
behind the others' on the one server process and for a core, so the 8-connection figures below do not
separate the changes; the one-client figures and the alternating SQL measurement do. p50/p90/p95/p99 ms
with 8 connections; one client's p50/p95:"""
API_DISTINCT_NOTES = """\
Requests/s with 8 connections were 3-54 in every run (bench/results/api.json holds the three tables,
`details.before` and `details.after_migration_only` beside the last run's figures). **No target is met
on this machine in this state**: API p95 is 280-2,207 ms against 50, portal p95 1,676-7,336 ms against
100, i.e. 6-70 times over; one client's p95 is still 76-308 ms for the API and 275-2,252 ms for the
portal pages. How much of that is the load cannot be told from these runs; a quiet-machine run is left.

What EXPLAIN ANALYZE showed (PostgreSQL, the 100,000 records) and what changed:
- **Generic plans.** psycopg prepares a statement on its fifth run on a connection and PostgreSQL may
  then plan it once for any values: the `LIKE '% term%'` patterns and `status = 'published'` become
  parameters, so the plan can neither judge a word's frequency nor use an index of published records only;
  a common word ("디지털", 4,614 records) then read every holder from the table and sorted them (170-450 ms)
  where walking the list's order stops after 51 matches (2-13 ms). The platform's PostgreSQL connections
  now plan every execution with its values (`plan_cache_mode=force_custom_plan`, services/kit/db.py).
  Alternating the two settings over the deployments search SQL of the 400 distinct requests, in-process,
  same data, same minutes (load 34): default p50/p90/p95/p99 11.7/203/253/426 ms, custom plans
  11.7/27.5/37.0/86.1 ms (p95 6.8 times lower). The portal's deployments page SQL (8 facet counts and a
  sorted page, 120 region × industry × order × page requests, load 30): 275/423/508 ms default against
  273/406/471 ms custom (no loss from planning each time).
- **A word in a region that does not hold it** ("테크" in 경남: 10-55 ms, the holders elsewhere read from the
  table and dropped): migration 0006 adds a GIN index of the published records over the trigrams of
  `search_text` with region and industry (btree_gin); such pairs now take 0.6-1.2 ms.
- **The walk of a common word** reads only the order index: `(status, created_at, id)` now includes
  region, industry, version and `search_text` (index-only scan; "로봇" 7.6 → 1.9 ms, "busan" 9.8 → 1.2 ms in
  single EXPLAIN runs at load 17-20), and `search_text` keeps 1,000 statistics samples instead of 100.
- **Facets of children**: `(record_id, subfield_code)` and `(record_id, source)` make the sub-field and
  KPI-source facet joins index-only (the KPI join read 6,221 table pages for one region × industry).

Left, by cost:
- The portal's deployments page is its facets: eight `GROUP BY` queries over the filtered records (270 ms
  together at load 30 for one region × industry), and their memo's generation (`count(*)` and
  `max(updated_at)` of the records on every request: 43 ms median at load 33) reads the table's index
  again. Facet counts that do not rescan need a counts table kept with the records (per published
  record's region, industry, year, level, sub-field, supplier and KPI source), written in the transaction
  that publishes or changes a record; not built.
- A Korean word of several syllables is several bigram conditions that the planner multiplies as if
  independent ("디지" and "지털" are always together): it underestimates the holders 20-fold and may still
  read thousands of records from the table where the walk would be faster. A search within a region,
  when the word is common but the region's share small, can be read from neither index cheaply (1,538
  holders of "디지털" in 경남: 105 ms). A posting table with the records' list order, like the use
  cases', would bound both.
- The use-case search ranks every posting of a common term (the national data's 10,000 cases are clones
  of 40 demo cases, so every term is common): 98-141 ms for one client."""


def _distinct_runs(details: dict[str, Any]) -> str:
    """The "(distinct)" endpoints of each run in ``details``, p50/p90/p95/p99 ms with 8 connections and one
    client's p50/p95; empty when the result holds one run only."""
    runs = [
        ("before", details.get("before", {}).get("table")),
        ("migration 0006", details.get("after_migration_only", {}).get("table")),
        ("0006 + custom plans", details.get("table")),
    ]
    if not all(table for _, table in runs):
        return ""
    by_name: dict[str, dict[str, dict[str, Any]]] = {}
    for label, table in runs:
        for t in table:
            if t["name"].endswith("(distinct)"):
                by_name.setdefault(t["name"][: -len(" (distinct)")], {})[label] = t

    def cell(t: dict[str, Any] | None) -> str:
        if t is None:
            return "-"
        eight = "/".join(f"{t[k]:,.0f}" for k in ("p50", "p90", "p95", "p99"))
        return f"{eight}; {t['p50_1']:,.0f}/{t['p95_1']:,.0f}"

    header = "| endpoint (distinct) | " + " | ".join(label for label, _ in runs) + " |\n|---|---|---|---|"
    rows = "\n".join(
        f"| {name} | " + " | ".join(cell(found.get(label)) for label, _ in runs) + " |"
        for name, found in by_name.items()
    )
    return f"{API_DISTINCT_INTRO}\n\n{header}\n{rows}\n\n{API_DISTINCT_NOTES}"


def _api_target(t: dict[str, Any]) -> str:
    """A portal page's p95 target is 100 ms, an API read's 50 ms."""
    limit = 100 if str(t.get("kind", "")).startswith("page") else 50
    return f"{'✓' if t['p95'] <= limit else '✗'} ≤ {limit}"


def api_section(r: dict[str, Any]) -> str:
    table = r["details"]["table"]
    rows = "\n".join(
        f"| {t['topology']} | {t['name']} | {t['rps']:,.0f} | {t['p50']:.1f} | "
        f"{t.get('p90', float('nan')):.1f} | {t['p95']:.1f} | {t['p99']:.1f} | {t['errors']:,} | "
        f"{t.get('p50_1', float('nan')):.1f} | "
        f"{t.get('p95_1', float('nan')):.1f} | {_api_target(t)} |"
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
`bench/api_bench.py`. The generator (`bench/national_data.py`) stores each demo body once through its
service's own code and clones the rows it wrote, thousands per INSERT; `wrk` in its own process drives each
endpoint on loopback, with the connections below and then with one client (the latency of a request
without queueing behind the others: one server process answers them all).

| records | count | load time |
|---|---|---|
{load_rows}

{API_HEADER}
{rows}

Found by the harness (statements per page growing with the page size):
{findings}

{API_NOTES}

{_distinct_runs(r["details"])}

{chart}

{conditions(r)}
"""


def soak_verdicts(details: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each process's verdict, judged again from its sampled series (the current criterion, whatever the
    version of bench/soak.py that ran)."""
    return {name: flatness(series) for name, series in details["rss_series"].items() if series}


def soak_section(r: dict[str, Any]) -> str:
    d = r["details"]
    verdicts = soak_verdicts(d)
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
        "| "
        + " | ".join(
            [
                name,
                *(fmt(x.get(k)) for k in ("first_p5", "last_p5", "first", "last", "first_p95", "last_p95")),
                f"{x['slope_mib_per_min']:+.2f}",
                "flat" if x["flat"] else "GROWING",
            ]
        )
        + " |"
        for name, x in verdicts.items()
    )
    load = d.get("load_average") or {}
    rounds = d.get("rollup_rounds_s") or []
    rollups = (
        f"Rollup rounds ({len(rounds)} that recomputed something): first {rounds[0]:.1f} s, last "
        f"{rounds[-1]:.1f} s, longest {max(rounds):.1f} s.\n\n"
        if rounds
        else ""
    )
    errors = "".join(f"\n- `{e[:300]}`" for e in d.get("error_text", []))
    retried = (
        f"\n\nUploads answered 503 (the bus unavailable), sent again after Retry-After as a gateway does: "
        f"{d['retried_503']}" + "".join(f"\n- `{e}`" for e in d.get("retried_text", []))
        if d.get("retried_503")
        else ""
    )
    if d.get("outage_tracebacks"):
        retried += (
            f"\n\nTracebacks of a shared server's outage (connection refused; the process retried), not "
            f"counted as errors: {d['outage_tracebacks']}"
            + "".join(f"\n- `{e[:300]}`" for e in d["outage_text"])
        )
    where = {
        "process": "as their own job process (`python -m catalog.rollups --every 30`, as in the distributed "
        "topology)",
        "gateway": "in a thread of the gateway process (the embedded default)",
        "off": "nowhere (`--rollups off`: the ingest path alone; the rollup job crashed in DuckDB in the "
        "run with it, see below)",
    }[r["sizes"].get("rollups", "gateway")]
    return f"""## Soak
`bench/soak.py --minutes N`: two gateway processes upload Arrow batches at half the sustained rate (the
embedded Arrow rate into the lake of the HTTP ingest run) to the served platform, with its lake writer
process; the rollups run {where}. Every process's RSS is sampled. Flat: after the first fifth (warm-up),
the floor and the peaks (5th and 95th percentiles) of the last fifth within 10 % + 16 MiB of the second
fifth's — a leak raises both, a process merely busier (a longer rollup round) its median only.

Lake count: {d["lake_rows"]:,} rows in the lake for {d["sent_rows"]:,} sent
({"exact" if d["lake_rows"] == d["sent_rows"] else "MISMATCH"}). Errors (failed uploads and tracebacks in
the platform's logs): {d["errors"]}.{errors}{retried}

| process | p5 MiB, 2nd fifth | last fifth | median, 2nd | last | p95, 2nd | last | MiB/min | verdict |
|---|---|---|---|---|---|---|---|---|
{rows}

{rollups}Load average (1 min) during the run: median {load.get("median", "-")}, highest {load.get("max", "-")}
(slope: least squares after the warm-up).

{figure_table(r)}

![Soak RSS](img/bench-soak.png)

Found while soaking (2026-11-26):
- The growth of the first, one-minute soak (gateway 394 → 549 MiB, "GROWING") was not in the upload path:
  with the rollups elsewhere the gateway holds ~340-400 MiB from start to end (runs of 4, 5 and 2 × 30
  minutes). It was the rollup thread of the embedded process: a round reads the touched days' readings
  through the process's DuckDB engine, whose buffers, Parquet metadata and file caches are capped by its
  `memory_limit` (1 GB, `catalog/query.py`), so the process steps up once towards ~1.5 GB and stays (a
  DuckDB of 100 MB limit reading 16,000 distinct files holds its RSS flat at 454 MiB); in one minute the
  first round came after the second fifth, so the step read as growth.
- Its one error was the traceback the rollup thread logged at shutdown: the platform closes the engine under
  a running round (`InvalidInputException: No open result set`). An interrupted round is no error (its
  watermark did not move; the next start redoes it) and is now logged as such
  (since 2026-11-27 the rounds run in a child process a stop ends: `tests/catalog/test_rollup_refresher.py`).
- The lake writer's buffer grew without bound while the lake refused commits: in the 30-minute run with the
  rollups as a job (16:28-16:59 UTC), another suite restarted MinIO and the writer kept consuming, "keeping
  1,500,000 → 6,400,000 rows" in 23 s, 306 → 3,224 MiB. It now stops consuming while a full buffer waits
  for the lake (the rest waits on the bus; `tests/ingest/test_writer_outage.py`). That run still ended with
  the lake count exact (120,240,000 of 120,240,000) through a Kafka and a MinIO restart.
- Bounded on the way: the upload path's model-version cache kept an entry for every model version a gateway
  named, unknown ones included; it and the factory cache are now `ingest.runtime.BoundedCache`s (10,000 and
  100,000 entries, least recently stored forgotten; `tests/ingest/test_upload_caches.py`).
- For the rollups' owner, from the same run: a round recomputes every touched day from all its readings
  (`item_daily` sorts them for its window functions, spilling to `.tmp` beyond the 1 GB limit), so it
  grows with the day's volume — rounds of 18.8, 88.9, 161.7 and 266.2 s as the day reached ~50 M readings
  (the interval is 30 s) — and at 12.9 minutes the job died in DuckDB 1.5.5 itself ("general protection
  fault ... in _duckdb.cpython-311-x86_64-linux-gnu.so", kernel log; no traceback). With the rollups in
  the gateway, as the embedded default runs them, that crash would take the API down with it.

![The 30-minute run with the rollup job, 2026-11-26 16:28-16:59 UTC](img/bench-soak-with-rollups.png)

{conditions(r)}
"""


def detail_rows(details: dict[str, Any]) -> list[tuple[str, Any]]:
    """The scalar details of a result (one level of nesting flattened); lists are left to the output."""
    rows: list[tuple[str, Any]] = []
    for key, value in details.items():
        if isinstance(value, dict):
            rows += [(f"{key}.{k}", v) for k, v in value.items() if isinstance(v, str | int | float)]
        elif isinstance(value, str | int | float):
            rows.append((key, value))
    return rows


def unit_charts(name: str, r: dict[str, Any]) -> list[str]:
    """One bar chart per unit that two figures or more share, with the target if they share one."""
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for f in r["figures"]:
        by_unit.setdefault(f["unit"], []).append(f)
    charts = []
    for unit, figures in by_unit.items():
        if len(figures) < 2:
            continue
        values = [f["value"] for f in figures]
        bounds = {target_value(f["target"]) for f in figures}
        target = None
        if len(bounds) == 1 and (shared := next(iter(bounds))) is not None:
            target = shared[1]
        positive = [v for v in values if v > 0]
        log = bool(positive) and max(positive) / min(positive) > 100
        slug = re.sub(r"[^a-z0-9]+", "-", f"{name}-{unit}".lower()).strip("-")
        title = f"bench/{script(name)}: {unit}" + (f", target {target:,g}" if target is not None else "")
        charts.append(
            bar_chart(
                IMG / f"bench-{slug}.png",
                title,
                [f["name"] for f in figures],
                values,
                unit
                + (" (log scale)" if log else "")
                + ("; dashed: the target" if target is not None else ""),
                log=log,
                target=target,
            )
        )
    return charts


def generic_section(name: str, r: dict[str, Any]) -> str:
    """The section of a benchmark without a written one: its figures, details, charts and printed output."""
    details = detail_rows(r.get("details") or {})
    detail_table = (
        "| detail | value |\n|---|---|\n"
        + "\n".join(f"| {k} | {v:,.2f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in details)
        if details
        else ""
    )
    path = RESULTS / f"{name}.txt"
    printed = path.read_text().strip() if path.exists() else ""
    output = (
        f"<details><summary>its printed report</summary>\n\n```\n{printed}\n```\n</details>\n"
        if printed
        else ""
    )
    met = [meets(f) for f in r["figures"]]
    bounded = [m for m in met if m is not None]
    score = f"{sum(bounded)} of {len(bounded)} figures with a target meet it." if bounded else ""
    charts = "\n\n".join(unit_charts(name, r))
    return f"""## {summary_line(name)}
`bench/{script(name)}`. {score}

{figure_table(r)}

{detail_table}

{charts}

{output}
{conditions(r)}
"""


SECTIONS = {
    "peer": peer_section,
    "http_ingest": http_section,
    "ingest_inprocess": inprocess_section,
    "api": api_section,
    "soak": soak_section,
}


def section(name: str, r: dict[str, Any]) -> str:
    """The written section of a benchmark, or the generic one (also when its results no longer have the
    shape the written one reads: a benchmark changed since; the page still shows every figure)."""
    if name in SECTIONS:
        try:
            return SECTIONS[name](r)
        except (KeyError, TypeError, IndexError) as exc:
            print(f"report: the {name} section does not fit its results ({exc!r}); the generic one instead")
    return generic_section(name, r)


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
    for name, r in results.items():
        if name in SECTIONS:
            continue
        bounded = [m for m in (meets(f) for f in r["figures"]) if m is not None]
        if bounded:
            lines.append(
                f"- {summary_line(name)}: {sum(bounded)} of {len(bounded)} figures meet their target"
            )
    if "soak" in results:
        d = results["soak"]["details"]
        growing = [name for name, v in soak_verdicts(d).items() if not v["flat"]]
        lines.append(
            f"- soak of {results['soak']['sizes']['minutes']:g} min at "
            f"{results['soak']['sizes']['readings_per_second']:,} readings/s: lake count "
            f"{'exact' if d['lake_rows'] == d['sent_rows'] else 'WRONG'}, {d['errors']} errors, RSS of every "
            "process "
            + (f"flat except {', '.join(growing)}" if growing else "flat")
            + (f" (load average {d['load_average']['median']})" if d.get("load_average") else "")
        )
    return "\n".join(lines)


def render() -> Path:
    results = load()
    any_result = next(iter(results.values()))
    m = any_result["machine"]
    PAGE_MACHINE.clear()
    PAGE_MACHINE.update(m)
    body = "\n".join(section(name, r) for name, r in results.items())
    DOC.write_text(
        f"""# Benchmarks

`make bench` runs every benchmark of `bench/` against the real servers (`infra/with-servers.sh`) and
rewrites this page; `make bench-check` reruns them at the sizes of `bench/baseline.json` and fails when a
figure is more than 30 % worse than that baseline on the same machine kind, or when HTTP ingest is more
than 10 % slower than the code of a baseline commit measured in alternating rounds beside it (`BENCH_BASE`,
default `HEAD`; `bench/alternating.py`). Figures are medians of the runs listed beside them; ratios compare
figures of the same run.

In short (each section ends with the sizes, runs and load its figures were measured with):

{summary(results)}

Rollups and raw scans at a day's volume, measured by `bench/rollup_bench.py` and kept on a page of their own
that this one does not rewrite: [benchmarks-rollups.md](benchmarks-rollups.md); the national sizing made
from them: [scale.md](scale.md).

Machine: {m["cores"]} cores, {m["memory_gib"]} GiB, {m["cpu"]}; Python {m["python"]}.
Versions: {versions()}.

{body}""",
        encoding="utf-8",
    )
    return DOC


if __name__ == "__main__":
    print(f"wrote {render()}")
