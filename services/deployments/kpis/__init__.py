"""A record's KPIs: self-reported values (``service``), measurements from telemetry with their evidence
(``evidence``), and their routes (``endpoints``)."""
