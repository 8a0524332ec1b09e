"""Shared datasets from the lake (/api/v1/datasets): an organisation, or a regional AI centre for its region,
publishes de-identified readings of its own factories with a data card; published versions are immutable
Parquet snapshots in the object store (``snapshot``, the contract every reader uses), downloaded under an
accepted licence; cases' claims are re-measured on them (``claims``)."""
