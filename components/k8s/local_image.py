"""An image built into the local Docker daemon (minikube's, after `minikube docker-env`),
never pushed. Its tag is a hash of the build context, so unchanged code neither rebuilds
nor rolls the pods."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_docker as docker

# Never part of an image build (mirrors the services' .dockerignore files).
_IGNORED = {"node_modules", "dist", "__pycache__", ".pytest_cache", ".mypy_cache", "tests", ".venv"}


def context_hash(context: Path) -> str:
    """A short digest of every file that goes into the build context."""
    digest = hashlib.sha256()
    for path in sorted(context.rglob("*")):
        relative = path.relative_to(context)
        if (
            path.is_file()
            and not _IGNORED.intersection(relative.parts)
            and not relative.name.endswith(".pyc")
        ):
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class LocalImageArgs:
    repository: str  # e.g. chat-backend
    context: Path


class LocalImage(pulumi.ComponentResource):
    image_ref: pulumi.Output[str]

    def __init__(self, name: str, args: LocalImageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chat-platform:k8s:LocalImage", name, None, opts)
        tag = context_hash(args.context)
        image = docker.Image(
            f"{name}-image",
            image_name=f"{args.repository}:{tag}",
            build=docker.DockerBuildArgs(
                context=str(args.context), dockerfile=str(args.context / "Dockerfile")
            ),
            skip_push=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.image_ref = image.image_name
        self.register_outputs({"image_ref": self.image_ref})
