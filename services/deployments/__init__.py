"""구축정보: smart-factory deployment records, their stages and outcomes (KPIs)."""
