"""Deployment records (구축정보): the record's rules (``service``), its public figures (``figures``) and the
routes that draft, list, read, change and delete records (``endpoints``)."""
