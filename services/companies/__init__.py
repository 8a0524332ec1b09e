"""스마트제조 전문기업: the registry of SMEs and vendors, factories, specialist designation."""
