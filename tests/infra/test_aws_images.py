"""The chat's images on AWS: the same commit asks for the same images from any checkout (ECR tags
are immutable: a second build pushed under an existing tag is refused), and repositories are the
stack's own."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from checkout import ROOT
from pulumi_harness import StackRun

# What the program reads: its code, its config and the build contexts.
PROGRAM = [
    "__main__.py",
    "Pulumi.yaml",
    "Pulumi.aws.yaml",
    "components",
    "services",
    "tools",
]
PROBE = """
import json, sys
from pulumi_harness import run_program
run = run_program("aws")
images = {r.name: r.inputs for r in run.of_type("docker:index/image:Image")}
print(json.dumps({name: {k: v for k, v in i.items() if k != "registry"} for name, i in images.items()}))
"""


def _tracked_files() -> list[str]:
    """What a fresh clone holds: tracked files, and new ones not ignored (nothing generated)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *PROGRAM],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in listed.stdout.splitlines() if (ROOT / line).is_file()]


def _working_tree(into: Path) -> None:
    """A laptop's checkout: everything in the working tree, generated files included."""
    for entry in PROGRAM:
        source = ROOT / entry
        if source.is_dir():
            shutil.copytree(source, into / entry, ignore=shutil.ignore_patterns("node_modules", ".venv"))
        else:
            (into / entry).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / entry)


def _fresh_clone(into: Path) -> None:
    for name in _tracked_files():
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, into / name)


def _image_inputs(checkout: Path) -> dict[str, object]:
    """The docker Image resources' inputs the program registers when Pulumi runs it from
    `checkout` (its working directory), in a process of its own."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=checkout,
        # The copy's own harness (and with it the copy's root), ahead of the installed one.
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{checkout / 'tools'}:{checkout}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_two_checkouts_of_one_commit_ask_for_the_same_images(tmp_path: Path) -> None:
    """CI after a laptop bootstrap, every CodeBuild run: pulumi-docker rebuilds when any of these
    inputs differ, and pushes a new digest under the tag (a hash of the files) that ECR already
    holds, which ECR refuses. Paths in them must not depend on where the checkout is, and the tag
    not on files a checkout generates (pip's egg-info, caches)."""
    laptop = tmp_path / "home" / "dev" / "chat-platform"
    ci = tmp_path / "codebuild" / "output" / "src123" / "src" / "github.com" / "example-org" / "chat"
    laptop.mkdir(parents=True)
    ci.mkdir(parents=True)
    _working_tree(laptop)
    _fresh_clone(ci)
    (laptop / "services" / "backend" / "chat_backend.egg-info").mkdir(exist_ok=True)
    (laptop / "services" / "backend" / "chat_backend.egg-info" / "PKG-INFO").write_text(
        "Name: chat-backend\n"
    )
    from_laptop, from_ci = _image_inputs(laptop), _image_inputs(ci)
    assert set(from_laptop) == {"chat-backend", "chat-frontend"}
    assert from_laptop == from_ci
    for image in from_laptop.values():
        build = image["build"]  # type: ignore[index]
        assert not Path(build["context"]).is_absolute()
        assert not Path(build["dockerfile"]).is_absolute()


def test_build_paths_are_the_project_s_services(aws: StackRun) -> None:
    builds = {i.name: i.inputs["build"] for i in aws.of_type("docker:index/image:Image")}
    for name, build in builds.items():
        part = name.removeprefix("chat-")
        assert build["context"] == f"services/{part}"
        assert build["dockerfile"] == f"services/{part}/Dockerfile"
        assert (ROOT / build["dockerfile"]).is_file()


def test_repositories_are_the_stack_s_own(aws: StackRun, run_stack: Callable[..., StackRun]) -> None:
    """A second stack in the account (e.g. staging) gets repositories of its own."""
    assert sorted(r.inputs["name"] for r in aws.of_type("aws:ecr/repository:Repository")) == [
        "chat-aws-backend",
        "chat-aws-frontend",
    ]
    staging = run_stack("aws", as_stack="staging")
    assert sorted(r.inputs["name"] for r in staging.of_type("aws:ecr/repository:Repository")) == [
        "chat-staging-backend",
        "chat-staging-frontend",
    ]


def test_repositories_with_images_outlive_a_destroy_or_a_rename(
    aws: StackRun, run_stack: Callable[..., StackRun]
) -> None:
    """ECR refuses to delete a repository that holds images unless forced. Without force the
    repository is only forgotten: the renamed repositories of stacks deployed before stay, with
    the images their pods still run until the rollout, and `destroy` does not fail on them."""
    for repo in aws.of_type("aws:ecr/repository:Repository"):
        assert repo.inputs["forceDelete"] is False
        assert repo.retain_on_delete is True
    forced = run_stack("aws", {"chat-platform:awsEcrForceDelete": "true"})
    for repo in forced.of_type("aws:ecr/repository:Repository"):
        assert repo.inputs["forceDelete"] is True
        assert repo.retain_on_delete is False
