"""The real Pulumi CLI on the real program, in a scratch project that links the repository's
program and virtualenv, with a local file state backend and a generated passphrase, so the
repository's own stack files are never touched."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path
from typing import Any

import yaml
from checkout import ROOT

STACK = "minikube"
# The program and what it needs; the stack file is a copy the run may change.
LINKED = ("Pulumi.yaml", "__main__.py", "components", "services", ".venv")


class PulumiRun:
    def __init__(self, workdir: Path, engine_bin: Path, kubeconfig: Path, config: dict[str, str]):
        self.project = workdir / "project"
        self.project.mkdir(parents=True)
        for name in LINKED:
            (self.project / name).symlink_to(ROOT / name)
        stack_file = yaml.safe_load((ROOT / f"Pulumi.{STACK}.yaml").read_text())
        stack_file["config"].update(config)
        (self.project / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump(stack_file))
        state = workdir / "state"
        state.mkdir()
        self.env = {
            **os.environ,
            "PATH": f"{engine_bin}:{os.environ['PATH']}",
            "PULUMI_HOME": str(workdir / "pulumi-home"),
            "PULUMI_BACKEND_URL": f"file://{state}",
            "PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(32),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            # Plugins come from PATH (built from source); nothing may be downloaded.
            "PULUMI_OPTION_SKIP_PLUGIN_PRE_INSTALL": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "KUBECONFIG": str(kubeconfig),
        }
        self.log = workdir / "pulumi.log"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = ["pulumi", "--non-interactive", *args]
        result = subprocess.run(
            command, cwd=self.project, env=self.env, capture_output=True, text=True, timeout=900, check=False
        )
        with self.log.open("a") as log:
            log.write(f"$ {' '.join(command)}\n{result.stdout}\n{result.stderr}\n")
        if check and result.returncode != 0:
            tail = f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            raise RuntimeError(f"`{' '.join(command)}` failed ({result.returncode}):\n{tail}")
        return result

    def stack(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.cli(*args, "--stack", STACK, check=check)

    def init(self) -> None:
        self.cli("stack", "init", STACK)

    def preview(self) -> dict[str, Any]:
        """The plan as JSON: steps (op, urn, type) and the change summary."""
        return json.loads(self.stack("preview", "--json").stdout)  # type: ignore[no-any-return]

    def up(self, *flags: str) -> None:
        self.stack("up", "--yes", "--skip-preview", *flags)

    def config_set(self, key: str, value: str) -> None:
        self.stack("config", "set", key, value)

    def resources(self) -> list[dict[str, Any]]:
        deployment = json.loads(self.stack("stack", "export").stdout)["deployment"]
        return list(deployment.get("resources") or [])

    def destroy(self) -> None:
        self.stack("destroy", "--yes", "--skip-preview")
