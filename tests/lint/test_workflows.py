"""The delivery contract the workflow files must keep (schema and security are checked by
check-jsonschema and zizmor in `make lint`; this is what those tools cannot know)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as the boolean True.
    data["on"] = data.pop(True)
    return data  # type: ignore[no-any-return]


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    found = [s for s in steps(job) if str(s.get("uses", "")).startswith(f"{action}@")]
    assert len(found) == 1, f"expected one {action} step"
    return found[0]


ALL = sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def test_the_three_workflows_exist() -> None:
    assert ALL == ["ci.yml", "deploy.yml", "preview.yml"]


@pytest.mark.parametrize("name", ALL)
def test_least_privilege_and_pinned_actions(name: str) -> None:
    data = workflow(name)
    assert data["permissions"] == {}, "no workflow-wide permissions; each job asks for its own"
    for job_name, job in data["jobs"].items():
        assert "permissions" in job, f"{job_name} must declare its permissions"
        assert "write-all" not in str(job["permissions"])
        for step in steps(job):
            uses = step.get("uses")
            if not uses:
                continue
            action = uses.split("@", 1)[0]
            assert SHA_PIN.match(uses), f"{uses} is not pinned to a full commit SHA"
            if action == "actions/checkout":
                assert step["with"]["persist-credentials"] is False


def test_ci_runs_make_test_on_pull_requests_and_main() -> None:
    data = workflow("ci.yml")
    assert "pull_request" in data["on"]
    assert data["on"]["push"]["branches"] == ["main"]
    (job,) = data["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    assert any(s.get("run") == ".ci/run" for s in steps(job))
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("exec make test")


@pytest.mark.parametrize(("name", "command"), [("preview.yml", "preview"), ("deploy.yml", "up")])
def test_pulumi_runs_aws_with_oidc_and_the_policy_pack(name: str, command: str) -> None:
    (job,) = workflow(name)["jobs"].values()
    assert job["permissions"]["id-token"] == "write"
    credentials = step_using(job, "aws-actions/configure-aws-credentials")["with"]
    assert credentials["role-to-assume"].startswith("${{ vars.")
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(credentials), "OIDC only, no stored keys"
    pulumi = step_using(job, "pulumi/actions")["with"]
    assert pulumi["command"] == command
    assert pulumi["stack-name"] == "aws"
    assert pulumi["policyPacks"] == "policy"
    assert pulumi["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert pulumi["secrets-provider"] == "${{ vars.PULUMI_SECRETS_PROVIDER }}"
    assert (ROOT / "policy" / "PulumiPolicy.yaml").is_file()


def test_preview_comments_on_infrastructure_pull_requests() -> None:
    data = workflow("preview.yml")
    paths = data["on"]["pull_request"]["paths"]
    assert {"Pulumi*.yaml", "__main__.py", "components/**", "services/**", "policy/**"} <= set(paths)
    (job,) = data["jobs"].values()
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert step_using(job, "pulumi/actions")["with"]["comment-on-pr"] is True


def test_deploy_is_approved_serialised_and_from_main_only() -> None:
    data = workflow("deploy.yml")
    assert data["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in data["on"]
    (job,) = data["jobs"].values()
    assert job["environment"] == "production"
    assert job["concurrency"] == {"group": "deploy-aws", "cancel-in-progress": False}
    assert job["if"] == "github.ref == 'refs/heads/main'"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
