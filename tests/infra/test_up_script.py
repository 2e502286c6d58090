"""`make up` / `make destroy` (scripts/up.sh) without a cluster: the real script, run in a
copy of the repository layout, against recording stand-ins for the four CLIs it drives
(pulumi, minikube, kubectl, docker), so the order of steps and the environment each step
sees are checked here; the real deployment is checked on a laptop (see docs/deploy-minikube.md,
"What only a laptop shows")."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from checkout import ROOT

MINIKUBE_IP = "192.168.49.2"
# Each stand-in appends "tool args | env the step depends on" to $CALLS and answers the few
# queries whose output the script reads ($MINIKUBE_IP comes from the test).
STAND_IN = """#!/bin/bash
echo "$(basename "$0") $* | DOCKER_HOST=${DOCKER_HOST:-} BACKEND=${PULUMI_BACKEND_URL:-} \
PASSFILE=${PULUMI_CONFIG_PASSPHRASE_FILE:-} PASS=${PULUMI_CONFIG_PASSPHRASE:-}" >> "$CALLS"
case "$(basename "$0") $*" in
  "minikube status"*) echo "${MINIKUBE_HOST:-Stopped}" ;;
  "minikube profile") echo minikube ;;
  "minikube docker-env") echo "export DOCKER_HOST=tcp://$MINIKUBE_IP:2376" ;;
  "minikube ip") echo "$MINIKUBE_IP" ;;
  "kubectl --context minikube -n kube-system get"*) echo "${POLICY_CNI-daemonset.apps/calico-node}" ;;
  "pulumi stack output url"*) echo http://chat.local ;;
  "pulumi config get chat-platform:host"*) echo chat.local ;;
esac
"""


def _checkout(tmp_path: Path) -> Path:
    """scripts/up.sh in a scratch checkout whose .venv already has the program's requirements."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "up.sh", repo / "scripts" / "up.sh")
    shutil.copy(ROOT / "requirements.txt", repo / "requirements.txt")
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "bin" / "python").symlink_to(shutil.which("true") or "/bin/true")
    (repo / ".venv" / ".pulumi-requirements").touch()
    return repo


def _path_with(tmp_path: Path, tools: list[str]) -> str:
    """A PATH holding the stand-ins for `tools` plus the basic commands the script needs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in tools:
        script = bin_dir / tool
        script.write_text(STAND_IN)
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    for real in ("bash", "basename", "dirname", "mkdir", "grep", "touch"):
        found = shutil.which(real)
        assert found, real
        (bin_dir / real).symlink_to(found)
    # The interpreter itself: python3 on PATH may be a version manager's shim.
    (bin_dir / "python3").symlink_to(Path(sys.executable).resolve())
    return str(bin_dir)


def _run(repo: Path, path: str, action: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "DOCKER_"))}
    return subprocess.run(
        ["/bin/bash", str(repo / "scripts" / "up.sh"), action],
        env={**clean, "PATH": path, "CALLS": str(repo / "calls.log"), "MINIKUBE_IP": MINIKUBE_IP, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("action", ["up", "destroy"])
def test_missing_tools_are_named_before_anything_runs(tmp_path: Path, action: str) -> None:
    repo = _checkout(tmp_path)
    result = _run(repo, _path_with(tmp_path, ["minikube"]), action)
    assert result.returncode == 1
    assert f"make {action} needs: pulumi docker kubectl" in result.stderr
    assert "https://www.pulumi.com/docs/install/" in result.stderr
    assert not (repo / "calls.log").exists(), "a tool ran although prerequisites were missing"


def test_up_starts_minikube_builds_into_its_docker_and_deploys_with_local_state(tmp_path: Path) -> None:
    repo = _checkout(tmp_path)
    result = _run(repo, _path_with(tmp_path, ["pulumi", "minikube", "kubectl", "docker"]), "up")
    assert result.returncode == 0, result.stderr
    calls = (repo / "calls.log").read_text().splitlines()
    steps = [call.split(" | ")[0] for call in calls]
    first = {step: steps.index(step) for step in steps}
    ordered = [
        "minikube status --format {{.Host}}",
        "minikube start --cpus 2 --memory 4096 --cni=calico",
        "minikube addons enable ingress",
        "minikube docker-env",
        "pulumi stack select --create minikube",
        "pulumi up --stack minikube --yes",
    ]
    assert [step for step in steps if step in ordered] == ordered
    wait = next(s for s in steps if s.startswith("kubectl --context minikube -n ingress-nginx wait pod"))
    assert first["minikube addons enable ingress"] < first[wait] < first["pulumi up --stack minikube --yes"]
    up_env = calls[first["pulumi up --stack minikube --yes"]].split(" | ")[1]
    # Images are built by the docker provider inside `pulumi up`: it must talk to minikube's daemon.
    assert f"DOCKER_HOST=tcp://{MINIKUBE_IP}:2376" in up_env
    assert f"BACKEND=file://{repo}/.pulumi-state" in up_env
    passphrase = repo / ".pulumi-state" / "passphrase"
    assert f"PASSFILE={passphrase}" in up_env
    assert stat.S_IMODE(passphrase.stat().st_mode) == 0o600
    assert len(passphrase.read_text().strip()) >= 32
    assert f"Generated a stack passphrase in {passphrase}" in result.stdout
    assert "The chat is deployed: http://chat.local" in result.stdout
    assert f"  {MINIKUBE_IP} chat.local" in result.stdout


def test_up_refuses_a_running_minikube_that_ignores_network_policies(tmp_path: Path) -> None:
    repo = _checkout(tmp_path)
    path = _path_with(tmp_path, ["pulumi", "minikube", "kubectl", "docker"])
    result = _run(repo, path, "up", MINIKUBE_HOST="Running", POLICY_CNI="")
    assert result.returncode == 1
    assert "without a CNI that enforces NetworkPolicies" in result.stderr
    assert "minikube delete && make up" in result.stderr
    steps = [c.split(" | ")[0] for c in (repo / "calls.log").read_text().splitlines()]
    assert not [s for s in steps if s.startswith(("minikube start", "pulumi up", "minikube addons"))]


def test_up_accepts_a_running_minikube_with_cilium(tmp_path: Path) -> None:
    repo = _checkout(tmp_path)
    path = _path_with(tmp_path, ["pulumi", "minikube", "kubectl", "docker"])
    result = _run(repo, path, "up", MINIKUBE_HOST="Running", POLICY_CNI="daemonset.apps/cilium")
    assert result.returncode == 0, result.stderr
    steps = [c.split(" | ")[0] for c in (repo / "calls.log").read_text().splitlines()]
    assert "pulumi up --stack minikube --yes" in steps
    assert not [s for s in steps if s.startswith("minikube start")]


def test_up_keeps_the_passphrase_and_backend_it_is_given(tmp_path: Path) -> None:
    repo = _checkout(tmp_path)
    path = _path_with(tmp_path, ["pulumi", "minikube", "kubectl", "docker"])
    result = _run(repo, path, "up", PULUMI_BACKEND_URL="s3://team-state", PULUMI_CONFIG_PASSPHRASE="given")
    assert result.returncode == 0, result.stderr
    (up,) = [c for c in (repo / "calls.log").read_text().splitlines() if c.startswith("pulumi up ")]
    assert "BACKEND=s3://team-state" in up
    assert "PASS=given" in up
    assert "PASSFILE= " in up
    assert not (repo / ".pulumi-state").exists()


def test_destroy_only_destroys_the_minikube_stack(tmp_path: Path) -> None:
    repo = _checkout(tmp_path)
    result = _run(repo, _path_with(tmp_path, ["pulumi", "minikube", "kubectl", "docker"]), "destroy")
    assert result.returncode == 0, result.stderr
    steps = [c.split(" | ")[0] for c in (repo / "calls.log").read_text().splitlines()]
    assert steps == ["pulumi destroy --stack minikube --yes"]
