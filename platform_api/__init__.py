"""The FastAPI gateway: app factory, route table, identity, OpenAPI, portal pages."""
