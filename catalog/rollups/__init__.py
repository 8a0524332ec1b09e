"""Rollups: derived Iceberg tables kept current from the readings, exactly once, by a snapshot-id watermark.

Four tables, partitioned by day (UTC):

- ``<ns>.item_pieces``: per hour and series, what the hour hands on (``item_pieces``'s docstring): the only
  table computed from the readings, so a round scans them once;
- ``<ns>.item_hours``: per hour, factory, equipment and numeric item: readings, sum, min, max (gateways send
  about one reading per item and minute: a per-minute rollup would copy the readings, an hourly one is what
  dashboards and benchmarks over weeks read), copied from the numeric pieces;
- ``<ns>.item_daily``: per day, equipment and item, what KPIs need, role-agnostic: for a state-like (text)
  item the seconds spent in each value and the readings that entered it from each previous value; for a
  numeric item its counter increase, summed from the pieces. ``catalog.kpis`` turns them into ISO
  22400-2 elements with the roles of the model, exactly as it does from raw readings
  (``tests/catalog/test_rollups.py`` checks both agree);
- ``<ns>.peer_daily``, the peer table: ``item_daily``'s rows of a day classified into one row per equipment
  and item (time running, idle, down, in alarm; onsets; a counter's increase; a numeric item's sum), what the
  cross-factory peer charts read (``peer_daily``'s docstring). A day rollup like ``item_daily``, kept the same
  way.

How it stays exactly once (the lake writer's guarantee, the same way):
1. each rollup table's current snapshot carries ``smartmfg.rollup-watermark``: the readings snapshot id its
   contents reflect, committed **in the same snapshot** as the rows. ``item_pieces`` reflects the readings'
   snapshot it read; ``item_hours``, ``item_daily`` and ``peer_daily`` the watermark of the pieces they read
   (pinned at the start of the round), so a derived row never reflects readings its pieces do not;
2. a refresh walks the readings' snapshots from that snapshot back to the table's watermark; the days
   touched are the ``ts_day`` partitions of the data files added by ``append`` snapshots only. ``replace``
   snapshots (compaction) and ``overwrite``/``delete`` ones rewrite rows already rolled up and add no new
   data;
3. what those files touched is **recomputed whole** and replaces the same rows in one atomic overwrite:
   - ``item_pieces`` and ``item_hours``: the hours between each new file's least and greatest ``ts`` (its
     column bounds in the manifest), the pieces from the readings of those hours (all of its files, read in
     chunks of hours holding ``item_pieces.CHUNK_ROWS`` readings, an hour holding more in ranges of its
     factories: memory bounded by the chunk), the hours from those pieces;
   - ``item_daily`` and ``peer_daily``: the touched days that are **closed** (before the current UTC day)
     and the day after each (its carried-in state and counter base), from their pieces and the day before's
     (``peer_daily`` computes ``item_daily``'s rows again and classifies them): a late file costs the
     pieces of its hours and a read of two days' pieces, never a read of its days' readings. The live day is
     left out until it closes: the first refresh after midnight computes it once, from pieces already built
     as its hours passed. Readers use the daily rollup for closed days only;
     ``smartmfg.rollup-closed-before`` on its snapshot says up to which day it holds them.

A crash before the commit leaves the old watermark: the next refresh redoes the same work. A crash after
it leaves the new one. Recomputing (never adding to) an hour or a day makes a repeated refresh harmless:
nothing is skipped, nothing counted twice. If the watermark's snapshot was expired, every day is recomputed.
Two refreshers racing lose nothing: the loser's commit fails on the catalog's compare-and-swap and it starts
again.
A round's cost follows the hours that received readings since the last one, not the size of their days.

With ``analytics.rollup_engine = trino`` a Trino server computes the tables by ``INSERT ... SELECT`` (the
same SQL texts, each engine's dialect from ``catalog.engines``), by whole days, and the watermark follows in
a second commit (``watermark``'s docstring says why that is still exactly once).

Run after lake commits: ``refresh(lake)``, or ``catalog.rollup_refresher.Refresher``, the child process the
platform process runs (``SMARTMFG_ANALYTICS_ROLLUP_REFRESH_SECONDS``; ``poke()`` it after a commit), or as a
scheduled job: ``python -m catalog.rollups`` (same ``SMARTMFG_*`` settings as the platform).

Modules: ``tables`` (what the tables share: keys, watermark properties, the hours and days recomputed),
``files`` (what the readings gained since a watermark, from the manifests), ``item_pieces``, ``item_hours``,
``item_daily`` and ``peer_daily`` (each table's schema, query and readers), ``watermark`` (a refresh round, on
either engine). This package names what the rest of the platform uses.
"""

from catalog.rollups.item_daily import DAILY, closed_rollup
from catalog.rollups.item_hours import HOURS, hourly_answers, series
from catalog.rollups.item_pieces import PIECES
from catalog.rollups.peer_daily import PEERS, daily_benchmark, whole_days
from catalog.rollups.tables import CLOSED_KEY, WATERMARK_KEY, Rollup, current_rollup, ensure_day_table
from catalog.rollups.watermark import (
    REFRESH_MEMORY,
    ROLLUPS,
    Refreshed,
    refresh,
    refresh_in_trino,
    refresh_one,
    rollup_engine,
)

__all__ = [
    "CLOSED_KEY",
    "DAILY",
    "HOURS",
    "PEERS",
    "PIECES",
    "REFRESH_MEMORY",
    "ROLLUPS",
    "WATERMARK_KEY",
    "Refreshed",
    "Rollup",
    "closed_rollup",
    "current_rollup",
    "daily_benchmark",
    "ensure_day_table",
    "hourly_answers",
    "refresh",
    "refresh_in_trino",
    "refresh_one",
    "rollup_engine",
    "series",
    "whole_days",
]
