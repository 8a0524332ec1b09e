"""Evidence documents of a record: checks of name, size and type (``service``) and the upload and download
routes (``endpoints``); the bytes live in the document store (``services.deployments.storage``)."""
