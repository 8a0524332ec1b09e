"""Who may move a record from which state to which; ETag / If-Match; revisions and their history."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from services.deployments import changes
from services.deployments.models import DeploymentRecord
from services.kit.app_state import state_of
from services.kit.db import DATABASE
from services.kit.errors import PreconditionFailed
from tests.services.deployments.conftest import PDF, URL, World

ACTORS = ("sme", "vendor", "agency", "agency_seoul", "sme2", "outsider", "admin")
STATES = ("draft", "submitted", "confirmed", "verified", "published")
PATH = {"submitted": "submit", "confirmed": "confirm", "verified": "verify", "published": "publish"}
# The specification: who may do what from which state (admins everything).
ALLOWED: dict[tuple[str, str], set[str]] = {
    ("submit", "draft"): {"sme"},  # the drafting party (the SME drafted these records)
    ("confirm", "submitted"): {"vendor"},  # the other party
    ("verify", "confirmed"): {"agency"},  # the agency of 경남 (48)
    ("publish", "verified"): {"agency"},
    **{("return", s): {"sme", "vendor", "agency"} for s in ("submitted", "confirmed", "verified")},
}
ROUTE_ROLES = {
    "submit": {"sme", "vendor"},
    "confirm": {"sme", "vendor"},
    "verify": {"agency"},
    "publish": {"agency"},
    "return": {"sme", "vendor", "agency"},
}
ROLE = {"sme": "sme", "sme2": "sme", "vendor": "vendor", "outsider": "vendor", "agency": "agency"}
ROLE |= {"agency_seoul": "agency", "admin": "admin"}
INVOLVED = {"sme", "vendor", "agency", "admin"}  # parties and the region's reviewer
SUBMITTER = {"submit": "sme", "confirm": "vendor", "verify": "agency", "publish": "agency"}


def expected(action: str, actor: str, state: str) -> int:
    if actor == "admin":
        return 200 if (action, state) in ALLOWED else 409
    if ROLE[actor] not in ROUTE_ROLES[action]:
        return 403  # the route's role check comes first
    if state != "published" and actor not in INVOLVED:
        return 404  # a record under work does not exist for others
    if (action, state) in ALLOWED:
        return 200 if actor in ALLOWED[(action, state)] else 403
    permitted = {s for (a, _), allowed in ALLOWED.items() if a == action for s in allowed}
    return 409 if actor in permitted else 403


def light(world: World, headers: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    """A record of the BASIC programme (only INSPECT required) with every stage done and INSPECT proven."""
    headers = headers or world.sme
    basic = {"programme_code": "BASIC", "support_amount_krw": 50_000_000, "company_share_krw": 50_000_000}
    record = world.create(headers, **basic, **kw)
    stages = [
        {
            **{k: s[k] for k in ("code", "planned_start", "planned_end")},
            "actual_start": s["planned_start"],
            "actual_end": s["planned_end"],
        }
        for s in record["stages"]
    ]
    url = f"{URL}/{record['id']}"
    assert world.client.patch(url, json={"stages": stages}, headers=headers).status_code == 200
    files = {"file": ("inspection.pdf", PDF, "application/pdf")}
    upload = world.client.post(
        f"{url}/documents", files=files, data={"stage_code": "INSPECT"}, headers=headers
    )
    assert upload.status_code == 201, upload.text
    return dict(upload.json())


def in_state(world: World, state: str) -> dict[str, Any]:
    record = light(world)
    for target in STATES[1 : STATES.index(state) + 1]:
        action = PATH[target]
        answer = world.act(record, action, getattr(world, SUBMITTER[action]))
        assert answer.status_code == 200, answer.text
        record = answer.json()
    return record


def test_role_by_state_matrix(world: World) -> None:
    shared = {state: in_state(world, state) for state in STATES}
    failures = []
    for action in ("submit", "confirm", "verify", "publish", "return"):
        for state in STATES:
            for actor in ACTORS:
                want = expected(action, actor, state)
                record = in_state(world, state) if want == 200 else shared[state]
                body = {"comment": "증빙 보완 필요"} if action == "return" else {}
                answer = world.act(record, action, getattr(world, actor), **body)
                if answer.status_code != want:
                    failures.append(f"{actor} {action} @{state}: {answer.status_code} (want {want})")
                elif want == 200:
                    assert answer.json()["status"] == (
                        "draft" if action == "return" else STATES[STATES.index(state) + 1]
                    )
    assert not failures, "\n".join(failures)
    # The refused attempts left the shared records as they were.
    for state, record in shared.items():
        assert world.client.get(f"{URL}/{record['id']}", headers=world.admin).json()["status"] == state


def test_returning_needs_a_comment_and_shows_it(world: World) -> None:
    record = in_state(world, "confirmed")
    refused = world.act(record, "return", world.agency)
    assert refused.status_code == 422 and refused.json()["fields"][0]["loc"] == "body"
    blank = world.act(record, "return", world.agency, comment="  ")
    assert blank.status_code == 422 and blank.json()["fields"][0]["loc"] == "body.comment"
    back = world.act(record, "return", world.agency, comment="설비 대수가 계약서와 다릅니다")
    assert back.json()["status"] == "draft"
    assert back.json()["return_comment"] == "설비 대수가 계약서와 다릅니다"
    resubmitted = world.act(record, "submit", world.sme).json()
    assert resubmitted["status"] == "submitted" and resubmitted["return_comment"] is None


def test_a_vendor_draft_is_confirmed_by_the_sme_who_vouches_for_the_factory(world: World) -> None:
    record = light(world, world.vendor)  # the vendor cannot see the SME's factory: not checked yet
    assert world.act(record, "submit", world.vendor).status_code == 200
    assert world.act(record, "confirm", world.vendor).status_code == 403  # not its own claims
    confirmed = world.act(record, "confirm", world.sme)
    assert confirmed.status_code == 200, confirmed.text
    # A vendor naming a factory that is not the SME's: the SME's confirmation finds out.
    wrong = light(
        world,
        world.vendor,
        factory={
            "factory_id": "factory-nowhere",
            "name": "없는 공장",
            "region_code": "48",
            "industry_code": "C29",
        },
    )
    assert world.act(wrong, "submit", world.vendor).status_code == 200
    refused = world.act(wrong, "confirm", world.sme)
    assert refused.status_code == 422 and refused.json()["fields"][0]["loc"] == "record.factory.factory_id"


def test_if_match_refuses_stale_writes(world: World) -> None:
    record = world.create()
    url = f"{URL}/{record['id']}"
    read = world.client.get(url, headers=world.sme)
    etag = read.headers["ETag"]
    assert etag == f'"{record["version"]}"'
    first = world.client.patch(url, json={"sme_name": "첫 번째"}, headers={**world.sme, "If-Match": etag})
    assert first.status_code == 200 and first.headers["ETag"] != etag
    second = world.client.patch(url, json={"sme_name": "두 번째"}, headers={**world.vendor, "If-Match": etag})
    assert second.status_code == 412 and second.json()["error"] == "PreconditionFailed"
    stale_submit = world.client.post(f"{url}/submit", headers={**world.sme, "If-Match": etag})
    assert stale_submit.status_code == 412
    garbage = world.client.patch(url, json={"sme_name": "x"}, headers={**world.sme, "If-Match": '"abc"'})
    assert garbage.status_code == 412
    assert world.client.get(url, headers=world.sme).json()["sme_name"] == "첫 번째"
    fresh = world.client.patch(
        url, json={"sme_name": "세 번째"}, headers={**world.vendor, "If-Match": first.headers["ETag"]}
    )
    assert fresh.status_code == 200


def test_concurrent_transactions_do_not_overwrite_each_other(world: World) -> None:
    """Two requests that read the same version: the one that writes second fails instead of overwriting."""
    record_id = world.create()["id"]
    db = state_of(world.client.app).get(DATABASE)
    with db.session() as first, db.session() as second:
        mine, theirs = first.get(DeploymentRecord, record_id), second.get(DeploymentRecord, record_id)
        assert mine is not None and theirs is not None and mine.version == theirs.version
        mine.sme_name = "먼저 저장"
        first.commit()
        theirs.sme_name = "나중 저장"
        with pytest.raises(PreconditionFailed):
            changes.flush(second)
        second.rollback()
    assert world.client.get(f"{URL}/{record_id}", headers=world.sme).json()["sme_name"] == "먼저 저장"


def test_changes_after_publication_make_a_new_revision_with_history(world: World) -> None:
    record = in_state(world, "published")
    url = f"{URL}/{record['id']}"
    assert world.client.get(url).json()["revision"] == 1
    revised = world.client.patch(url, json={"level_after": "중간2"}, headers=world.vendor)
    assert revised.status_code == 200, revised.text
    assert (revised.json()["revision"], revised.json()["status"]) == (2, "draft")
    # The new revision is not public; what was published stays readable as revision 1.
    assert world.client.get(url).status_code == 404
    assert world.client.get(f"{URL}/{record['id']}/revisions/1").json()["level_after"] == "중간1"
    old = world.client.get(f"{URL}/{record['id']}/revisions/1").json()
    assert old["support_amount_krw"] is None and old["private_visible"] is False
    assert world.client.get(f"{URL}/{record['id']}/revisions/1", headers=world.sme).json()[
        "support_amount_krw"
    ]
    assert world.client.get(f"{URL}/{record['id']}/revisions/2", headers=world.sme).status_code == 404
    for action in ("submit", "confirm", "verify", "publish"):
        assert world.act(record, action, getattr(world, SUBMITTER[action])).status_code == 200
    assert world.client.get(url).json()["level_after"] == "중간2"
    assert world.client.get(f"{URL}/{record['id']}/revisions/2").json()["revision"] == 2
    history = world.client.get(f"{url}/history", params={"limit": 200}).json()["items"]
    steps = [(h["revision"], h["action"], h["status"]) for h in history]
    assert steps[0] == (1, "create", "draft")
    assert (1, "publish", "published") in steps
    assert (2, "revise", "draft") in steps and steps[-1] == (2, "publish", "published")
    revise = next(h for h in history if h["action"] == "revise")
    assert revise["actor_org_id"] == "org-vendor-3" and revise["actor_username"] == "vendor3"
    assert revise["changed"] == ["level_after"]
    # History of a draft is as private as the draft.
    draft = world.create()
    assert world.client.get(f"{URL}/{draft['id']}/history").status_code == 404
    assert world.client.get(f"{URL}/{draft['id']}/history", headers=world.agency).status_code == 200


def test_records_under_review_cannot_be_changed(world: World) -> None:
    record = in_state(world, "submitted")
    refused = world.client.patch(f"{URL}/{record['id']}", json={"sme_name": "x"}, headers=world.sme)
    assert refused.status_code == 409
    kpi = {"baseline": 1, "after": 2, "unit": "ea/h"}
    assert (
        world.client.put(f"{URL}/{record['id']}/kpis/productivity", json=kpi, headers=world.sme).status_code
        == 409
    )


def test_stage_approval(world: World) -> None:
    record = world.create()
    url = f"{URL}/{record['id']}"
    stages = [{k: s[k] for k in ("code", "planned_start", "planned_end")} for s in record["stages"]]
    stages[0] |= {"actual_start": stages[0]["planned_start"], "actual_end": stages[0]["planned_end"]}
    world.client.patch(url, json={"stages": stages}, headers=world.vendor)
    assert world.client.post(f"{url}/stages/ANNOUNCE/approve", headers=world.vendor).status_code == 403
    assert world.client.post(f"{url}/stages/APPLY/approve", headers=world.sme).status_code == 409  # not done
    unknown = world.client.post(f"{url}/stages/LAUNCH/approve", headers=world.sme)
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["loc"] == "path.code"
    approved = world.client.post(f"{url}/stages/ANNOUNCE/approve", headers=world.agency).json()
    assert approved["stages"][0]["status"] == "approved" and approved["stages"][0]["approved_by"] == "agency1"
    assert approved["stages"][1]["status"] == "planned"
    # Changing the approved stage's dates takes the approval away; other edits keep it.
    kept = world.client.patch(url, json={"sme_name": "대성정밀"}, headers=world.sme).json()
    assert kept["stages"][0]["status"] == "approved"
    stages[0]["actual_end"] = stages[1]["planned_start"]
    moved = world.client.patch(url, json={"stages": stages}, headers=world.sme).json()
    assert moved["stages"][0]["status"] == "done"


def test_unpublished_records_are_hidden_from_others(world: World) -> None:
    record = world.create()
    url = f"{URL}/{record['id']}"
    for headers in (None, world.sme2, world.outsider, world.agency_seoul):
        assert world.client.get(url, headers=headers).status_code == 404
    for headers in (world.sme, world.vendor, world.agency, world.admin):
        assert world.client.get(url, headers=headers).status_code == 200


def test_a_migrated_record_without_programme_cannot_be_submitted(world: World) -> None:
    """Records stored before programmes existed are drafts; they need a programme before review."""
    record = light(world)
    with state_of(world.client.app).get(DATABASE).session() as session, session.begin():
        session.execute(
            update(DeploymentRecord).where(DeploymentRecord.id == record["id"]).values(programme_code=None)
        )
    refused = world.act(record, "submit", world.sme)
    assert refused.status_code == 409 and refused.json()["fields"][0]["loc"] == "record.programme_code"
