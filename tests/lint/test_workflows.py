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
    commands = [
        line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith(("make", "exec"))
    ]
    assert commands == ["make test", "make test-cluster"]


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


# The pipeline's jobs reach the EKS API on its private endpoint from the CodeBuild-hosted runner
# the program creates inside the VPC (components/aws/ci_runner.py); AWS_RUNNER_LABEL may name
# another runner there.
RUNNER = re.compile(
    r"^\$\{\{ vars\.AWS_RUNNER_LABEL \|\| format\('codebuild-(?P<project>[A-Za-z0-9_-]+)-\{0\}-\{1\}', "
    r"github\.run_id, github\.run_attempt\) \}\}$"
)
AWS_JOBS = ["preview.yml", "deploy.yml"]


@pytest.fixture(scope="module")
def runner_project() -> tuple[str, list[str]]:
    """The runner's CodeBuild project name and the workflows its webhook takes, as the program
    registers them for stack aws (under mocks, with a connection set), so the label cannot drift."""
    from pulumi_harness import run_program

    run = run_program(
        "aws",
        {
            "chat-platform:awsCiConnectionArn": (
                "arn:aws:codeconnections:us-east-1:123456789012:connection/"
                "0f3c5a1e-7b2d-4c8e-9a6f-1d2e3f4a5b6c"
            ),
            "chat-platform:awsCiRepository": "example-org/chat-platform",
        },
    )
    project = run.one("aws:codebuild/project:Project")
    webhook = run.one("aws:codebuild/webhook:Webhook")
    assert webhook.inputs["projectName"] == project.inputs["name"]
    names = [
        f["pattern"]
        for group in webhook.inputs["filterGroups"]
        for f in group["filters"]
        if f["type"] == "WORKFLOW_NAME"
    ]
    return project.inputs["name"], names


@pytest.mark.parametrize("name", AWS_JOBS)
def test_aws_jobs_run_on_the_runner_inside_the_vpc(name: str, runner_project: tuple[str, list[str]]) -> None:
    data = workflow(name)
    (job,) = data["jobs"].values()
    label = RUNNER.match(str(job["runs-on"]))
    assert label, f"{name}: runs-on must be the VPC runner's label, got {job['runs-on']!r}"
    project, workflow_names = runner_project
    assert label["project"] == project, (
        f"{name} asks for runner {label['project']}, the program creates {project}"
    )
    # The webhook only starts runners for these workflows (by their `name:`).
    assert all(re.fullmatch(pattern, data["name"]) for pattern in workflow_names), (
        data["name"],
        workflow_names,
    )


def test_ci_stays_on_github_hosted_runners() -> None:
    (job,) = workflow("ci.yml")["jobs"].values()
    assert job["runs-on"] == "ubuntu-24.04", "make test needs no cloud access: not on the VPC runner"


def test_preview_never_runs_fork_pull_requests() -> None:
    (job,) = workflow("preview.yml")["jobs"].values()
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"


ENGINE_BUILD = ROOT / "scripts" / "engine" / "build.sh"


def cli_version_under_test() -> str:
    """The Pulumi CLI `make test-cluster` builds and runs the program with."""
    (version,) = re.findall(r"^PULUMI_VERSION=(\S+)", ENGINE_BUILD.read_text(), re.MULTILINE)
    return version


def test_every_workflow_installs_the_cli_the_tests_run() -> None:
    installed = {
        f"{name}: {job_name}": str(step["with"].get("pulumi-version"))
        for name in ALL
        for job_name, job in workflow(name)["jobs"].items()
        for step in steps(job)
        if str(step.get("uses", "")).startswith("pulumi/actions@")
    }
    assert installed, "no workflow installs the Pulumi CLI"
    pinned = cli_version_under_test()
    assert installed == dict.fromkeys(installed, pinned), f"scripts/engine/build.sh pins {pinned}"


def test_the_runner_takes_only_the_listed_accounts_jobs() -> None:
    """A fork can rewrite the `if:` above in its own copy of preview.yml; the guard that holds is
    the webhook's, outside the repository: every filter group names the accounts it takes."""
    from pulumi_harness import run_program

    run = run_program("aws")
    (webhook,) = run.of_type("aws:codebuild/webhook:Webhook")
    for group in webhook.inputs["filterGroups"]:
        (actor,) = [f for f in group["filters"] if f["type"] == "ACTOR_ACCOUNT_ID"]
        assert re.fullmatch(r"\^\(\d+(\|\d+)*\)\$", actor["pattern"]), actor


@pytest.mark.parametrize(
    ("name", "role"), [("preview.yml", "AWS_PREVIEW_ROLE_ARN"), ("deploy.yml", "AWS_DEPLOY_ROLE_ARN")]
)
def test_only_the_environment_gated_job_assumes_the_deploy_role(name: str, role: str) -> None:
    """The preview role is read-only (awsPreviewRoleArns); only the job GitHub runs in the
    `production` environment gets the role that administers the cluster."""
    (job,) = workflow(name)["jobs"].values()
    credentials = step_using(job, "aws-actions/configure-aws-credentials")["with"]
    assert credentials["role-to-assume"] == f"${{{{ vars.{role} }}}}"
    assert (job.get("environment") == "production") == (role == "AWS_DEPLOY_ROLE_ARN")
