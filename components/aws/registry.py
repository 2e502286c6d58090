"""ECR repositories (scan on push, immutable tags, lifecycle policy) and the chat's images
built and pushed there; deployments use the pushed digest, never a mutable tag. The tag is the
build context's hash and the build's paths are relative to the project, so every checkout of one
commit asks for the same image and a tag is never pushed twice (ECR refuses that)."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from components.k8s.local_image import build_args, context_hash

LIFECYCLE = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "drop untagged layers after a week",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 7,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "keep the 30 newest images (rollbacks)",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30},
            "action": {"type": "expire"},
        },
    ]
}


class EcrImage(pulumi.ComponentResource):
    repository_url: pulumi.Output[str]
    image_ref: pulumi.Output[str]  # repository@sha256:digest

    def __init__(
        self,
        name: str,
        *,
        repository: str,  # the ECR repository's name, unique in the account, e.g. chat-aws-backend
        context: Path,  # the build context with its Dockerfile, relative to the project
        force_delete: bool,  # `pulumi destroy` deletes the repository with its images; else keeps both
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("chat-platform:aws:EcrImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        repo = aws.ecr.Repository(
            name,
            name=repository,
            image_tag_mutability="IMMUTABLE",
            force_delete=force_delete,
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS"}],
            # ECR refuses to delete a repository that holds images unless forced: without force, a
            # destroy or a rename leaves the repository, and what runs from it, in place.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=not force_delete),
        )
        aws.ecr.LifecyclePolicy(name, repository=repo.name, policy=json.dumps(LIFECYCLE), opts=child)
        token = aws.ecr.get_authorization_token_output(registry_id=repo.registry_id)
        image = docker.Image(
            name,
            image_name=pulumi.Output.concat(repo.repository_url, ":", context_hash(context)),
            build=build_args(context, platform="linux/amd64"),
            registry=docker.RegistryArgs(
                server=repo.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            opts=child,
        )
        self.repository_url = repo.repository_url
        self.image_ref = image.repo_digest
        self.register_outputs({"repository_url": self.repository_url, "image_ref": self.image_ref})
