"""AI 활용 사례 (AI use cases): cases, their effects, region browse and bilingual full-text search."""
