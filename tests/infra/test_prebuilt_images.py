"""`backendImage` / `frontendImage`: deploy images built elsewhere instead of building them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pulumi_harness import StackRun

from components.config_reader import ConfigError

BACKEND = "registry.example.com/chat-backend:1.4.2"
FRONTEND = "registry.example.com/chat-frontend@sha256:" + "a" * 64
BOTH = {"chat-platform:backendImage": BACKEND, "chat-platform:frontendImage": FRONTEND}


def _images(run: StackRun) -> dict[str, str]:
    return {
        d.name: d.inputs["spec"]["template"]["spec"]["containers"][0]["image"]
        for d in run.of_type("kubernetes:apps/v1:Deployment")
    }


def test_minikube_deploys_prebuilt_images_without_docker(run_stack: Callable[..., StackRun]) -> None:
    run = run_stack("minikube", BOTH)
    assert _images(run) == {"chat-backend": BACKEND, "chat-frontend": FRONTEND}
    assert not [r for r in run.resources if r.type.startswith(("docker:", "pulumi:providers:docker"))]
    assert not run.of_type("chat-platform:k8s:LocalImage")


def test_minikube_builds_only_the_image_not_given(run_stack: Callable[..., StackRun]) -> None:
    run = run_stack("minikube", {"chat-platform:backendImage": BACKEND})
    (image,) = run.of_type("docker:index/image:Image")
    assert image.inputs["imageName"].startswith("chat-frontend:")
    assert _images(run)["chat-backend"] == BACKEND


def test_aws_pushes_only_what_it_builds(run_stack: Callable[..., StackRun]) -> None:
    run = run_stack("aws", {"chat-platform:frontendImage": FRONTEND})
    assert [r.inputs["name"] for r in run.of_type("aws:ecr/repository:Repository")] == ["chat-aws-backend"]
    assert _images(run)["chat-frontend"] == FRONTEND
    assert "@sha256:" in _images(run)["chat-backend"]
    assert list(run.outputs["ecrRepositories"]) == ["backend"]


@pytest.mark.parametrize("value", ["chat-backend", "chat-backend:latest", "Chat:1", "x@sha256:abc"])
def test_an_image_without_a_pinned_tag_is_refused(run_stack: Callable[..., StackRun], value: str) -> None:
    with pytest.raises(ConfigError) as error:
        run_stack("minikube", {"chat-platform:backendImage": value})
    assert str(error.value).startswith("chat-platform:backendImage must be an image reference")
