"""Images built from the services' contexts: into the local Docker daemon (minikube's, after
`minikube docker-env`) and never pushed, or pushed to a registry (components/aws/registry.py).
The tag is a hash of the build context, so unchanged code neither rebuilds nor rolls the pods."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_docker as docker

# The project's directory: Pulumi runs the program and the docker provider there.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The services' build contexts, relative to the project (see build_args).
SERVICES = Path("services")
# Never part of an image build (mirrors the services' .dockerignore files).
_IGNORED = {"node_modules", "dist", "__pycache__", ".pytest_cache", ".mypy_cache", "tests", ".venv"}
_IGNORED_SUFFIXES = (".pyc", ".egg-info")  # bytecode, and what `pip install -e` leaves behind


def context_hash(context: Path) -> str:
    """A short digest of every file that goes into the build context (relative to the project)."""
    root = PROJECT_ROOT / context
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if (
            path.is_file()
            and not _IGNORED.intersection(relative.parts)
            and not any(part.endswith(_IGNORED_SUFFIXES) for part in relative.parts)
        ):
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build_args(context: Path, platform: str | None = None) -> docker.DockerBuildArgs:
    """How pulumi-docker builds `context` (relative to the project). The provider keeps these paths
    in its state and rebuilds when they change: absolute ones would rebuild the same code from every
    other checkout (CI after a laptop), and push a new digest under a tag that already exists."""
    return docker.DockerBuildArgs(
        context=str(context), dockerfile=str(context / "Dockerfile"), platform=platform
    )


@dataclass(frozen=True)
class LocalImageArgs:
    repository: str  # e.g. chat-backend
    context: Path  # relative to the project, e.g. services/backend


class LocalImage(pulumi.ComponentResource):
    image_ref: pulumi.Output[str]

    def __init__(self, name: str, args: LocalImageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chat-platform:k8s:LocalImage", name, None, opts)
        tag = context_hash(args.context)
        image = docker.Image(
            f"{name}-image",
            image_name=f"{args.repository}:{tag}",
            build=build_args(args.context),
            skip_push=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.image_ref = image.image_name
        self.register_outputs({"image_ref": self.image_ref})
