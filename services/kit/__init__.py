"""Domain-free building blocks shared by every service: settings, database, errors, paging, identity."""
