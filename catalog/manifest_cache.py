"""Manifest lists and manifests kept in memory: scan planning without a round trip to the object store.

Iceberg never changes a file once written, and every manifest list and manifest has a name of its own
(a new commit writes new ones), so a copy read once stays right for as long as any snapshot names it.
pyiceberg reads both files from the object store on every scan plan (on MinIO two or more requests, about
20 ms per plan, more than the planning itself); :class:`CachedIO` wraps a table's FileIO and serves the
Avro files from the process's ``manifests`` cache (services.kit.cache: bounded by bytes, least recently used
out first), everything else from the wrapped FileIO unchanged. The same cache keeps what is read from the
manifests (catalog.rollups.files) and which organisations a factory's rows carry (catalog.query.owners_key),
under keys of other kinds.
"""

from __future__ import annotations

import io
from typing import Any

from pyiceberg.io import FileIO, InputFile, InputStream, OutputFile

from services.kit.cache import PUBLIC, Cache, Key


def manifest_key(location: str) -> Key:
    """The one key of a metadata file's bytes: its location names one immutable file, whoever reads it (the
    rows a caller may see are filtered after planning)."""
    return Key("iceberg.file", PUBLIC, None, (location,))


class _CachedInput(InputFile):
    def __init__(self, inner: InputFile, cache: Cache[Any]) -> None:
        super().__init__(inner.location)
        self._inner, self._cache = inner, cache

    def _bytes(self) -> bytes:
        data: bytes | None = self._cache.get(manifest_key(self.location))
        if data is None:
            with self._inner.open() as stream:
                data = stream.read()
            self._cache.put(manifest_key(self.location), data)
        return data

    def __len__(self) -> int:
        return len(self._bytes())

    def exists(self) -> bool:
        return self._cache.get(manifest_key(self.location)) is not None or self._inner.exists()

    def open(self, seekable: bool = True) -> InputStream:
        return io.BytesIO(self._bytes())


class CachedIO(FileIO):
    """``inner`` with its ``.avro`` inputs (manifest lists, manifests) served from ``cache``."""

    def __init__(self, inner: FileIO, cache: Cache[Any]) -> None:
        super().__init__(inner.properties)
        self.inner, self.cache = inner, cache

    def new_input(self, location: str) -> InputFile:
        found = self.inner.new_input(location)
        return _CachedInput(found, self.cache) if location.endswith(".avro") else found

    def new_output(self, location: str) -> OutputFile:
        return self.inner.new_output(location)

    def delete(self, location: str | InputFile | OutputFile) -> None:
        self.inner.delete(location)
