"""The request owns the transaction, and the client learns how it ended: the commit precedes the answer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.conftest import Auth
from tests.factories import model_body


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_write_whose_commit_fails_is_answered_with_an_error(
    client: TestClient, auth: Auth, database_url: str
) -> None:
    # A deferred constraint is checked at COMMIT, not at the INSERT the service flushes: a commit made after
    # the response was sent would leave the caller holding a 201 for a row that never existed.
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE known_orgs (id varchar(64) PRIMARY KEY)"))
        conn.execute(
            text(
                "ALTER TABLE std_models ADD CONSTRAINT owner_is_known FOREIGN KEY (owner_org_id) "
                "REFERENCES known_orgs (id) DEFERRABLE INITIALLY DEFERRED"
            )
        )
    vendor = auth("vendor", org_id="org-unknown")

    answer = client.post("/api/v1/standards", json=model_body(), headers=vendor)

    assert not answer.is_success, answer.text
    assert answer.json()["error"] in {"ValidationFailed", "Conflict"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM std_models")).scalar_one() == 0
    # The same write goes through once the constraint is satisfied: the failure was the commit's.
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO known_orgs VALUES ('org-unknown')"))
    assert client.post("/api/v1/standards", json=model_body(), headers=vendor).status_code == 201
    engine.dispose()
