"""Rollups: derived Iceberg tables kept current from the readings, exactly once, by a snapshot-id watermark.

Two tables, partitioned by day (UTC):

- ``<ns>.item_hours``: per hour, factory, equipment and numeric item: readings, sum, min, max (gateways send
  about one reading per item and minute: a per-minute rollup would copy the readings, an hourly one is what
  dashboards and benchmarks over weeks read);
- ``<ns>.item_daily``: per day, equipment and item, what KPIs need, role-agnostic: for a state-like (text)
  item the seconds spent in each value and the readings that entered it from each previous value; for a
  numeric item its counter increase. ``catalog.kpis`` turns them into ISO 22400-2 elements with the roles of
  the model, exactly as it does from raw readings (``tests/catalog/test_rollups.py`` checks both agree).

How it stays exactly once (the lake writer's guarantee, the same way):
1. each rollup table's current snapshot carries ``smartmfg.rollup-watermark``: the readings snapshot id its
   contents reflect, committed **in the same snapshot** as the rows;
2. a refresh walks the readings' snapshots from the current one back to the watermark; the days touched are
   the ``ts_day`` partitions of the data files added by ``append`` snapshots only. ``replace`` snapshots
   (compaction) and ``overwrite``/``delete`` ones rewrite rows already rolled up and add no new data;
3. what those files touched is **recomputed whole** from the readings at the new snapshot and replaces the
   same rows of the rollup in one atomic overwrite:
   - ``item_hours``: the hours between each new file's least and greatest ``ts`` (its column bounds in the
     manifest). Counts, sums, minima and maxima combine, so when nothing but appends happened since the
     watermark a round reads **only the new files** and merges their statistics into those hours' rows
     (the rows reflect the watermark: adding what came after it counts each reading once); after a
     compaction or an expired watermark it recomputes those hours from the readings instead;
   - ``item_daily``: the touched days that are **closed** (before the current UTC day) and the day after each
     (its carried-in state and counter base), read with the day before each, hour by hour: each series' hour
     becomes a piece (its readings sorted within the hour), the days are summed from the pieces, and chunks
     of hours holding ``item_daily.CHUNK_ROWS`` readings are read apart (memory bounded by the chunk). The
     live day is left out until it closes: the first refresh after midnight computes it once. Readers use the
     daily rollup for closed days only; ``smartmfg.rollup-closed-before`` on its snapshot says up to which
     day it holds them.

A crash before the commit leaves the old watermark: the next refresh redoes the same work. A crash after
it leaves the new one. Recomputing (never adding to) an hour or a day makes a repeated refresh harmless:
nothing is skipped, nothing counted twice. If the watermark's snapshot was expired, every day is recomputed.
Two refreshers racing lose nothing: the loser's commit fails on the catalog's compare-and-swap and it starts
again.
A round's cost follows what arrived since the last one, not the size of the day it arrived in.

Run after lake commits: ``refresh(lake)``, or ``catalog.rollup_refresher.Refresher``, the child process the
platform process runs (``SMARTMFG_ANALYTICS_ROLLUP_REFRESH_SECONDS``; ``poke()`` it after a commit), or as a
scheduled job: ``python -m catalog.rollups`` (same ``SMARTMFG_*`` settings as the platform).

Modules: ``tables`` (what both tables share: keys, watermark properties, the hours and days recomputed),
``files`` (what the readings gained since a watermark, from the manifests), ``item_hours`` and ``item_daily``
(each table's schema, query and readers), ``watermark`` (a refresh round). This package names what the rest
of the platform uses.
"""

from catalog.rollups.item_daily import DAILY, closed_rollup
from catalog.rollups.item_hours import HOURS, hourly_answers, series
from catalog.rollups.tables import CLOSED_KEY, WATERMARK_KEY, Rollup, current_rollup, ensure_day_table
from catalog.rollups.watermark import ROLLUPS, Refreshed, refresh, refresh_one

__all__ = [
    "CLOSED_KEY",
    "DAILY",
    "HOURS",
    "ROLLUPS",
    "WATERMARK_KEY",
    "Refreshed",
    "Rollup",
    "closed_rollup",
    "current_rollup",
    "ensure_day_table",
    "hourly_answers",
    "refresh",
    "refresh_one",
    "series",
]
