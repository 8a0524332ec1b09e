"""The review lifecycle of a record (draft, submitted, confirmed, verified, published) and stage approvals:
the rules (``service``) and their routes (``endpoints``)."""
