"""Publishing a dataset version from the lake, licences and downloads (blocking; never commits).

Publication reads the selection with the publisher's grants only (rows stamped with its organisation, or
with the organisations of a centre's region), so a publisher can never put another organisation's readings
in a dataset. The version row is flushed *before* the files are stored: two publications of the same
version meet on its primary key (the second waits, then fails with 409) before either writes a file, so the
files under a version's key are always those its row's hash describes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from catalog.datasets import deidentify, labels, snapshot
from catalog.datasets.models import Dataset, DatasetVersion, Download, LicenceAcceptance
from catalog.datasets.schemas import (
    LICENCES,
    DataCard,
    DatasetIn,
    DatasetOut,
    DatasetSummary,
    FileOut,
    ItemOut,
    Publisher,
    SelectionIn,
    VersionOut,
)
from catalog.query import QueryEngine, ReadingFilter, Scope
from services.kit.errors import Forbidden, NotFound, ValidationFailed, field_error
from services.kit.i18n import LocalizedText
from services.kit.messages import Msg
from services.kit.objects import ObjectStore
from services.kit.principal import Principal

NUMERIC = ("float", "int", "double", "integer", "number")


@dataclass(frozen=True)
class LabelsFile:
    data: bytes
    filename: str


@dataclass(frozen=True)
class Source:
    """Where a version's readings come from, as the endpoint checked it: the grants, the standard's items."""

    scope: Scope
    items: list[ItemOut]


def check_items(document: dict[str, Any] | None, body: SelectionIn) -> list[ItemOut]:
    """The selected items as the published standard names them (with their canonical units); 422 otherwise."""
    if document is None:
        raise ValidationFailed(
            Msg(
                "equipment model '{model_id}' version '{version}' is not a published standard",
                model_id=body.model_id,
                version=body.model_version,
            ),
            fields=[field_error("body.model_version", Msg("not a published version of the model"))],
        )
    by_id = {item["id"]: item for item in document.get("items", [])}
    found, fields = [], []
    for index, item_id in enumerate(body.item_ids):
        item = by_id.get(item_id)
        if item is None:
            fields.append(
                field_error(
                    f"body.item_ids[{index}]", Msg("not an item of the model: '{item}'", item=item_id)
                )
            )
        elif item.get("data_type") not in NUMERIC:
            fields.append(field_error(f"body.item_ids[{index}]", Msg("not a numeric item")))
        else:
            name = item.get("name") or {}
            found.append(
                ItemOut(id=item_id, name={"ko": name.get("ko"), "en": name.get("en")}, unit=item.get("unit"))
            )
    if fields:
        raise ValidationFailed(
            Msg("the dataset names items the standard does not measure as numbers"), fields=fields
        )
    return found


def read_selection(engine: QueryEngine, body: SelectionIn, scope: Scope) -> pa.Table:
    """The numeric readings of the selection the grants allow: factory, equipment, item, ts, value."""
    flt = ReadingFilter(
        factory_ids=tuple(body.factory_ids),
        model_id=body.model_id,
        item_ids=tuple(body.item_ids),
        start=body.start,
        end=body.end,
        numeric=True,
    )
    schema, batches, _ = engine.reading_batches(flt, scope)
    table = pa.Table.from_batches(list(batches), schema=schema)
    keep = pc.equal(table["model_version"], body.model_version)
    if body.equipment_ids:
        keep = pc.and_(keep, pc.is_in(table["equipment_id"], pa.array(body.equipment_ids, pa.string())))
    table = table.filter(keep)
    return table.select(["factory_id", "equipment_id", "item_id", "ts", "value_num"])


def _deidentified(
    raw: pa.Table, secret: bytes, body: SelectionIn, min_group_size: int
) -> tuple[pa.Table, dict[tuple[str, str], str]]:
    keys = raw.group_by(["factory_id", "equipment_id"]).aggregate([([], "count_all")]).to_pylist()
    counts = {f"{k['factory_id']}/{k['equipment_id']}": k["count_all"] for k in keys}
    deidentify.check_groups(counts, min_group_size)
    names = deidentify.equipment_pseudonyms(secret, [(k["factory_id"], k["equipment_id"]) for k in keys])
    joined = pa.table(
        {
            "factory_id": [f for f, _ in names],
            "equipment_id": [e for _, e in names],
            "equipment": list(names.values()),
        }
    )
    typed = raw.cast(
        pa.schema(
            [pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type) for f in raw.schema]
        )
    )
    table = typed.join(joined, ["factory_id", "equipment_id"], join_type="inner")
    readings = pa.table(
        {
            "equipment": table["equipment"],
            "item": table["item_id"],
            "ts": deidentify.shifted(table["ts"], body.time_shift_days),
            "value": table["value_num"],
        }
    )
    return readings, names


def _labels(file: LabelsFile, names: dict[tuple[str, str], str], body: SelectionIn) -> pa.Table:
    if body.label_definition is None:
        raise ValidationFailed(
            Msg("a labels file needs a label definition"),
            fields=[field_error("body.label_definition", Msg("required with a labels file"))],
        )
    table = labels.parse(file.data, file.filename, names)
    return table.set_column(
        1, "window_start", deidentify.shifted(table["window_start"], body.time_shift_days)
    ).set_column(2, "window_end", deidentify.shifted(table["window_end"], body.time_shift_days))


def create(session: Session, principal: Principal, body: DatasetIn, publisher_name: str) -> Dataset:
    dataset = Dataset(
        owner_org_id=None if body.region_codes else principal.org_id,
        region_codes=body.region_codes,
        publisher_name=publisher_name,
        title=body.title.model_dump(),
        intended_use=body.intended_use.model_dump(),
        licence=body.licence,
        pseudonym_secret=secrets.token_hex(32),
    )
    session.add(dataset)
    session.flush()
    return dataset


def publish_version(
    session: Session,
    store: ObjectStore,
    engine: QueryEngine,
    dataset: Dataset,
    body: SelectionIn,
    source: Source,
    labels_file: LabelsFile | None,
    min_group_size: int,
) -> DatasetVersion:
    """Read, de-identify, check and store one new version of ``dataset``."""
    raw = read_selection(engine, body, source.scope)
    if raw.num_rows == 0:
        raise ValidationFailed(
            Msg("no readings of your factories match the selection"),
            fields=[field_error("body.factory_ids", Msg("no readings in the range"))],
        )
    readings, names = _deidentified(raw, bytes.fromhex(dataset.pseudonym_secret), body, min_group_size)
    label_table = _labels(labels_file, names, body) if labels_file is not None else None
    number = max((v.version for v in dataset.versions), default=0) + 1
    files = {"readings": snapshot.parquet_bytes(snapshot.sorted_readings(readings))}
    if label_table is not None:
        files["labels"] = snapshot.parquet_bytes(snapshot.sorted_labels(label_table))
    shift = timedelta(days=body.time_shift_days)
    version = DatasetVersion(
        dataset_id=dataset.id,
        version=number,
        model_id=body.model_id,
        model_version=body.model_version,
        items=[i.model_dump() for i in source.items],
        period_start=body.start + shift,
        period_end=body.end + shift,
        time_shift_days=body.time_shift_days,
        factories=len({f for f, _ in names}),
        equipment=len(names),
        rows=readings.num_rows,
        label_definition=body.label_definition.model_dump() if body.label_definition else None,
        label_rows=label_table.num_rows if label_table is not None else None,
        content_hash=snapshot.content_hash(files["readings"], files.get("labels")),
        sizes={name: len(data) for name, data in files.items()},
        source={
            "factory_ids": body.factory_ids,
            "equipment_ids": body.equipment_ids,
            "start": body.start.isoformat(),
            "end": body.end.isoformat(),
        },
    )
    dataset.versions.append(version)
    session.flush()  # the version's key is taken before any file is written
    written = snapshot.write_snapshot(
        store, dataset.id, number, body.model_id, body.model_version, readings, label_table
    )
    assert written.content_hash == version.content_hash  # one encoding, one hash
    return version


def publisher_of(dataset: Dataset) -> Publisher:
    return Publisher(
        kind="centre" if dataset.region_codes else "organisation",
        name=dataset.publisher_name,
        org_id=dataset.owner_org_id,
        region_codes=dataset.region_codes,
    )


def may_manage(principal: Principal | None, dataset: Dataset) -> bool:
    """The publisher: its organisation, or staff covering the centre's regions (admins always)."""
    if principal is None:
        return False
    if dataset.region_codes:
        return all(principal.covers_region(r) for r in dataset.region_codes)
    return principal.is_admin or (principal.org_id is not None and principal.org_id == dataset.owner_org_id)


def version_out(dataset: Dataset, version: DatasetVersion, owner: bool) -> VersionOut:
    base = f"/api/v1/datasets/{dataset.id}/versions/{version.version}/files"
    return VersionOut(
        version=version.version,
        published_at=version.published_at,
        card=DataCard(
            model_id=version.model_id,
            model_version=version.model_version,
            items=[ItemOut(**i) for i in version.items],
            period_start=version.period_start,
            period_end=version.period_end,
            time_shifted=version.time_shift_days != 0,
            rows=version.rows,
            factories=version.factories,
            equipment=version.equipment,
            label_definition=LocalizedText(**version.label_definition) if version.label_definition else None,
            label_rows=version.label_rows,
            licence=dataset.licence,
            licence_name=LICENCES[dataset.licence],
            intended_use=LocalizedText(**dataset.intended_use),
            publisher=publisher_of(dataset),
            content_hash=version.content_hash,
        ),
        files=[FileOut(name=name, bytes=size, href=f"{base}/{name}") for name, size in version.sizes.items()],
        source=version.source if owner else None,
    )


def to_out(dataset: Dataset, principal: Principal | None, accepted: bool) -> DatasetOut:
    owner = may_manage(principal, dataset)
    versions = [version_out(dataset, v, owner) for v in dataset.versions]
    return DatasetOut(
        id=dataset.id,
        title=LocalizedText(**dataset.title),
        licence=dataset.licence,
        publisher=publisher_of(dataset),
        created_at=dataset.created_at,
        latest=versions[-1],
        versions=versions,
        licence_accepted=accepted,
    )


def summary(dataset: Dataset) -> DatasetSummary:
    latest = dataset.versions[-1]
    return DatasetSummary(
        id=dataset.id,
        title=LocalizedText(**dataset.title),
        licence=dataset.licence,
        publisher=publisher_of(dataset),
        created_at=dataset.created_at,
        version=latest.version,
        model_id=latest.model_id,
        model_version=latest.model_version,
        rows=latest.rows,
        period_start=latest.period_start,
        period_end=latest.period_end,
        labelled=latest.label_rows is not None,
    )


def accept(session: Session, principal: Principal, dataset: Dataset) -> LicenceAcceptance:
    found = session.get(LicenceAcceptance, (dataset.id, principal.subject, dataset.licence))
    if found is not None:
        return found
    acceptance = LicenceAcceptance(
        dataset_id=dataset.id, subject=principal.subject, licence=dataset.licence, org_id=principal.org_id
    )
    session.add(acceptance)
    session.flush()
    return acceptance


def download(
    session: Session, store: ObjectStore, principal: Principal, dataset: Dataset, number: int, name: str
) -> bytes:
    """A file's bytes for a caller who accepted the licence; the download is recorded (and audited) in the
    same transaction, so a download the answer reports is one the trail shows."""
    version = next((v for v in dataset.versions if v.version == number), None)
    if version is None or name not in version.sizes:
        raise NotFound(
            Msg(
                "dataset '{dataset_id}' has no file '{name}' in version {version}",
                dataset_id=dataset.id,
                name=name,
                version=number,
            )
        )
    if session.get(LicenceAcceptance, (dataset.id, principal.subject, dataset.licence)) is None:
        raise Forbidden(
            Msg("accept the dataset's licence ({licence}) before downloading it", licence=dataset.licence)
        )
    session.add(
        Download(
            dataset_id=dataset.id,
            version=number,
            file=name,
            subject=principal.subject,
            org_id=principal.org_id,
        )
    )
    session.flush()
    return store.get(snapshot.file_key(dataset.id, number, name))
