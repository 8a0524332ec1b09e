"""The versioning rule on a small aggregate of its own (root, part, part of a part, and a log that is no
part), on each backend: which flushes move the root's ``updated_at`` and version counter, and which do not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import ForeignKey, Integer, MetaData, String, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from services.kit.db import Database
from services.kit.versioning import Part, Versioned, owner_class

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData()


class Order(Versioned, Base):
    __tablename__ = "t_ver_orders"

    id: Mapped[str] = mapped_column(String(8), primary_key=True)
    note: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    lines: Mapped[list[Line]] = relationship(cascade="all, delete-orphan", order_by="Line.id")


class Line(Part, Base):
    __tablename__ = "t_ver_lines"
    __owner_key__ = "order_id"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("t_ver_orders.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)


class Remark(Part, Base):
    """A part of a part: it belongs to a line, so to the line's order."""

    __tablename__ = "t_ver_remarks"
    __owner_key__ = "line_id"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("t_ver_lines.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(50))


class Event(Base):
    """A log of orders' changes: no part, writing it changes no order."""

    __tablename__ = "t_ver_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("t_ver_orders.id", ondelete="CASCADE"))


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    """Orders A (lines 1 and 2, remark 10 on line 1) and B (line 3), stamped long ago at version 1."""
    database = Database(database_url)
    Base.metadata.create_all(database.engine)
    with database.session() as s:
        s.add_all(
            [
                Order(id="A", note="a", lines=[Line(id=1, quantity=1), Line(id=2, quantity=2)]),
                Order(id="B", note="b", lines=[Line(id=3, quantity=3)]),
            ]
        )
        s.flush()
        s.add(Remark(id=10, line_id=1, text="fragile"))
        s.commit()
        # stamped by SQL, which the rule does not see (adding the remark moved order A to version 2)
        s.execute(update(Order).values(updated_at=LONG_AGO, version=1))
        s.commit()
    with database.session() as s:
        yield s
    database.dispose()


def stamp(session: Session, order_id: str) -> tuple[datetime, int]:
    """The order's ``updated_at`` and version as stored (not as the session remembers them)."""
    session.expire_all()
    order = session.get_one(Order, order_id)
    return order.updated_at, order.version


def test_the_owner_of_a_part_is_the_class_its_key_references() -> None:
    assert owner_class(Line) is Order
    assert owner_class(Remark) is Line


def test_a_new_root_with_its_parts_is_stamped_by_its_default(session: Session) -> None:
    session.add(Order(id="C", note="c", lines=[Line(id=4, quantity=4)]))
    session.commit()

    updated_at, version = stamp(session, "C")
    assert updated_at > LONG_AGO
    assert version == 1


def test_a_changed_part_moves_its_root(session: Session) -> None:
    session.get_one(Line, 1).quantity = 7
    session.commit()

    updated_at, version = stamp(session, "A")
    assert updated_at > LONG_AGO
    assert version == 2
    assert stamp(session, "B") == (LONG_AGO, 1)


def test_a_part_added_by_its_key_moves_its_root(session: Session) -> None:
    session.add(Line(id=5, order_id="B", quantity=5))
    session.commit()

    assert stamp(session, "B")[1] == 2
    assert stamp(session, "A") == (LONG_AGO, 1)


def test_a_part_appended_to_the_collection_moves_its_root(session: Session) -> None:
    order = session.get_one(Order, "B")
    order.lines.append(Line(id=6, quantity=6))
    session.commit()

    assert stamp(session, "B")[1] == 2


def test_a_part_removed_from_the_collection_moves_its_root(session: Session) -> None:
    order = session.get_one(Order, "A")
    order.lines = [line for line in order.lines if line.id != 2]
    session.commit()

    assert stamp(session, "A")[1] == 2
    assert session.get(Line, 2) is None


def test_a_deleted_part_moves_its_root(session: Session) -> None:
    session.delete(session.get_one(Line, 3))
    session.commit()

    assert stamp(session, "B")[1] == 2


def test_a_part_of_a_part_moves_the_root_above_both(session: Session) -> None:
    session.get_one(Remark, 10).text = "handle with care"
    session.commit()

    assert stamp(session, "A")[1] == 2
    session.add(Remark(id=11, line_id=3, text="urgent"))
    session.commit()
    assert stamp(session, "B")[1] == 2


def test_a_flush_that_changes_nothing_of_an_aggregate_leaves_it_alone(session: Session) -> None:
    session.add(Event(id=1, order_id="A"))  # a log is no part
    session.get_one(Line, 1).quantity = 1  # the value it had
    session.get_one(Order, "A").note = "a"
    session.commit()

    assert stamp(session, "A") == (LONG_AGO, 1)


def test_a_root_and_its_parts_change_together_once_per_flush(session: Session) -> None:
    order, remark = session.get_one(Order, "A"), session.get_one(Remark, 10)
    line = order.lines[0]  # loaded before any change: no autoflush between the changes
    order.note, line.quantity, remark.text = "changed", 9, "changed"
    session.flush()
    session.add(Event(id=2, order_id="A"))  # a second flush without a change of the order
    session.commit()

    assert stamp(session, "A")[1] == 2


def test_each_flush_that_changes_an_aggregate_moves_it(session: Session) -> None:
    session.get_one(Line, 1).quantity = 11
    session.flush()
    session.get_one(Line, 2).quantity = 12
    session.commit()

    assert stamp(session, "A")[1] == 3


def test_deleting_a_root_with_its_parts_stamps_nothing(session: Session) -> None:
    session.delete(session.get_one(Order, "A"))
    session.commit()

    assert session.get(Order, "A") is None
    assert session.get(Remark, 10) is None
    assert stamp(session, "B") == (LONG_AGO, 1)
