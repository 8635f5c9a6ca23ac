"""GET /alarms/{id}/evidence over HTTP on the demo-like alarm: the branch that owns the case, air and admin get a ZIP
that verifies (its SHA-256 in a header); another branch 404, the enterprise 403, an unknown id 404; above the
size limit a 413 with a stable code and a Chinese message. On AWS (an archive bucket set) the package carries the
frames and proof of the S3 archive."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from monitoring.accounts.models import Role
from monitoring.accounts.service import create_account
from monitoring.clock import FixedClock
from monitoring.evidence.verify_evidence import verify
from monitoring.registry.models import Branch
from tests.integration.monitoring.evidence.delivery import BUCKET, REGION, deliver, moto_s3
from tests.integration.monitoring.evidence.scene import Scene, build_scene
from tests.support.api import FAST_HASHER, ApiClient, Reply, api_settings, serve

pytestmark = pytest.mark.integration
PASSWORD = "Evidence-Passw0rd"
ROLES = {
    "branch": (Role.BRANCH, "rugao-branch-1"),
    "other_branch": (Role.BRANCH, "rugao-branch-2"),
    "air": (Role.AIR, None),
    "admin": (Role.ADMIN, None),
    "enterprise": (Role.ENTERPRISE, None),
    "viewer": (Role.VIEWER, None),
}


@dataclass
class Api:
    scene: Scene
    client: ApiClient
    tokens: dict[str, str]
    root: Path

    def evidence(self, who: str, alarm_id: str | None = None) -> Reply:
        path = f"/alarms/{quote(alarm_id or self.scene.alarm_id, safe='')}/evidence"
        return self.client.get(path, token=self.tokens[who])


def _login(client: ApiClient, scene: Scene) -> dict[str, str]:
    tokens = {}
    for name in ROLES:
        account = scene.store.accounts.find_by_username(f"ev_{name}")
        assert account is not None
        reply = client.post("/auth/login", json_body={"login": account.username, "password": PASSWORD})
        assert reply.status == 200, reply
        tokens[name] = reply.json["access_token"]
    return tokens


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = Path(tmp_path_factory.mktemp("evidence-api"))
    scene = build_scene(root)
    scene.store.registry.put_branch(Branch("rugao-branch-2", "rugao", "执法二局"))
    for name, (role, branch) in ROLES.items():
        create_account(
            scene.store.accounts,
            scene.now,
            username=f"ev_{name}",
            display_name=name,
            role=role,
            county_id="rugao",
            branch_id=branch,
            enterprise_ids=("rugao-ent-demo",) if role is Role.ENTERPRISE else (),
            password=PASSWORD,
            hasher=FAST_HASHER,
        )
    settings = api_settings(login_rate_per_minute=6000, login_burst=1000, photo_dir=str(root / "photos"))
    with serve(
        scene.store, settings.model_copy(update={"evidence_max_bytes": 50_000_000}), clock=FixedClock(scene.now)
    ) as client:
        yield Api(scene, client, _login(client, scene), root)
    scene.store.close()


@pytest.mark.parametrize("who", ["branch", "air", "admin"])
def test_allowed_roles_get_a_package_that_verifies(api: Api, who: str, tmp_path: Path) -> None:
    reply = api.evidence(who)
    assert reply.status == 200, reply
    assert reply.headers["content-type"] == "application/zip"
    assert reply.headers["x-evidence-sha256"] == hashlib.sha256(reply.body).hexdigest()
    assert "filename*=UTF-8''" in reply.headers["content-disposition"]
    (tmp_path / "p.zip").write_bytes(reply.body)
    problems, _ = verify(str(tmp_path / "p.zip"))
    assert problems == []


def test_the_package_is_the_same_for_everyone_allowed(api: Api) -> None:
    assert api.evidence("air").body == api.evidence("branch").body


@pytest.mark.parametrize(("who", "status"), [("other_branch", 404), ("enterprise", 403), ("viewer", 403)])
def test_others_are_refused(api: Api, who: str, status: int) -> None:
    reply = api.evidence(who)
    assert reply.status == status, reply
    assert set(reply.json) == {"code", "message", "field"}


def test_an_unknown_alarm_is_404(api: Api) -> None:
    reply = api.evidence("admin", "control_stopped|no-such-line/x|20261130T010000Z")
    assert reply.status == 404 and reply.json["code"] == "not_found"


def test_a_package_over_the_limit_is_413_with_a_chinese_message(api: Api) -> None:
    settings = api_settings(photo_dir=str(api.root / "photos")).model_copy(update={"evidence_max_bytes": 100_000})
    with serve(api.scene.store, settings, clock=FixedClock(api.scene.now)) as client:
        login = client.post("/auth/login", json_body={"login": "ev_admin", "password": PASSWORD})
        path = f"/alarms/{quote(api.scene.alarm_id, safe='')}/evidence"
        reply = client.get(path, token=login.json["access_token"])
    assert reply.status == 413 and reply.json["code"] == "evidence_too_large"
    assert "命令行" in reply.json["message"]
    assert io.BytesIO(reply.body).read(1) == b"{"


def test_a_download_is_on_the_audit_trail_with_the_package_hash(api: Api) -> None:
    from datetime import timedelta

    reply = api.evidence("air")
    assert reply.status == 200
    records, _ = api.scene.store.audit_trail.query(
        since=api.scene.now - timedelta(days=1), until=api.scene.now + timedelta(days=1), action="alarms.evidence"
    )
    by_air = [r for r in records if r.actor_role == "air"]  # the fixed clock: every record has the same time
    assert by_air, "the export is not audited"
    assert {(r.object_id, r.detail["sha256"]) for r in by_air} == {
        (api.scene.alarm_id, reply.headers["x-evidence-sha256"])
    }


def test_on_aws_the_package_carries_the_s3_archive_frames_and_proof(
    api: Api, fake_aws_env: None, tmp_path: Path
) -> None:
    # Given the terminal's frames delivered to the archive bucket and chained (links on the store, as in AWS)
    with moto_s3() as (s3, url):
        deliver(s3, api.scene.store.chain_heads, api.scene.records)
        aws = {"archive_bucket": BUCKET, "archive_region": REGION, "archive_endpoint": url}
        base = api_settings(photo_dir=str(api.root / "photos"))
        path = f"/alarms/{quote(api.scene.alarm_id, safe='')}/evidence"
        replies = []
        for limit in (50_000_000, 100_000):
            settings = base.model_copy(update=aws | {"evidence_max_bytes": limit})
            with serve(api.scene.store, settings, clock=FixedClock(api.scene.now)) as client:
                login = client.post("/auth/login", json_body={"login": "ev_admin", "password": PASSWORD})
                replies.append(client.get(path, token=login.json["access_token"]))
    reply, too_large = replies
    assert reply.status == 200, reply
    with zipfile.ZipFile(io.BytesIO(reply.body)) as z:
        package = json.loads(z.read("package.json"))
        names = z.namelist()
    assert package["chains"] == [] and [t["mn"] for t in package["delivered"]["terminals"]] == [api.scene.mn]
    assert "archive/links.jsonl" in names and any(n.startswith("archive/manifests/") for n in names)
    (tmp_path / "p.zip").write_bytes(reply.body)
    assert verify(str(tmp_path / "p.zip"))[0] == []
    # over the limit: 413 as before, naming the AWS export command
    assert too_large.status == 413 and too_large.json["code"] == "evidence_too_large"
    assert "python -m functions.export_evidence" in too_large.json["message"]
