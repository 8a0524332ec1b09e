"""Where NodeSets imported before are kept, so a NodeSet may come without the models it requires.

The importer asks the shelf for a required model that the upload lacks and puts every NodeSet it was given
on the shelf. The shelf is the importing organisation's (``services.standards.repository``): a NodeSet one
organisation uploads never stands in for another's, so nobody can plant a forged DI or Machinery model under
someone else's import. What is put on the shelf during a refused import is rolled back with the request.
"""

from __future__ import annotations

from typing import Protocol


class Shelf(Protocol):
    def find(self, model_uri: str) -> bytes | None:
        """The NodeSet document of ``model_uri`` kept before, or None."""
        ...

    def keep(self, model_uri: str, version: str | None, published: str | None, document: bytes) -> None:
        """Keep ``document``, unless a NodeSet of the same model published later is kept already."""
        ...


class NoShelf:
    """Nothing kept: the upload must hold every required model."""

    def find(self, model_uri: str) -> bytes | None:
        return None

    def keep(self, model_uri: str, version: str | None, published: str | None, document: bytes) -> None:
        return None
