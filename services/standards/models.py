"""Tables of the standards service (prefix ``std_``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.kit.db import UTCDateTime, utcnow


class Base(DeclarativeBase):
    metadata = MetaData()


class EquipmentModel(Base):
    __tablename__ = "std_models"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_org_id: Mapped[str] = mapped_column(String(64), index=True)
    equipment_type: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[dict[str, Any]] = mapped_column(JSON)
    description: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    search_text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    versions: Mapped[list[ModelVersion]] = relationship(
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="(ModelVersion.major, ModelVersion.minor, ModelVersion.patch)",
    )


class ModelVersion(Base):
    __tablename__ = "std_versions"

    model_id: Mapped[str] = mapped_column(ForeignKey("std_models.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    major: Mapped[int] = mapped_column(Integer)
    minor: Mapped[int] = mapped_column(Integer)
    patch: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    changelog: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
