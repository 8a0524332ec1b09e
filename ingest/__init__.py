"""Edge-to-lake ingestion: upload API, event bus adapters, lake writer, dead letters, edge gateway CLI."""
