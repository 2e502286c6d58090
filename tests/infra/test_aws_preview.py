"""`pulumi preview` of the aws stack where only part of it exists, as after a first deploy that
stopped halfway: the cluster is there, the Traefik release is not. Reads (`Resource.get`) run
during a preview whatever their depends_on says; the engine skips one only when its ID is still
unknown. A read of the Traefik Service before the release exists would fail every preview."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pulumi.runtime import rpc
from pulumi_harness import StackRun

SERVICE = "kubernetes:core/v1:Service"
RECORD = "aws:route53/record:Record"


@pytest.fixture(scope="module")
def half_deployed(run_stack: Callable[..., StackRun]) -> StackRun:
    return run_stack("aws", preview=True, uncreated=frozenset({"traefik"}))


def test_the_load_balancer_is_not_read_before_the_release_exists(half_deployed: StackRun) -> None:
    (read,) = half_deployed.reads_of(SERVICE)
    assert read.read_id == rpc.UNKNOWN  # the engine skips this read: nothing to find yet
    # The record waits for the address instead: a computed value in the preview.
    (alias,) = half_deployed.one(RECORD).inputs["aliases"]
    assert not isinstance(alias["name"], str)
    assert alias["zoneId"] == "Z26RNL4JYFTOTI"


def test_once_the_release_exists_the_record_points_at_its_service(aws: StackRun) -> None:
    (read,) = aws.reads_of(SERVICE)
    traefik = aws.one("kubernetes:helm.sh/v3:Release", "traefik")
    # The Service the chart names after the release, in the release's namespace.
    assert read.read_id == f"{traefik.inputs['namespace']}/{traefik.inputs['name']}" == "traefik/traefik"
    (alias,) = aws.one(RECORD).inputs["aliases"]
    assert alias["name"] == "k8s-traefik-0123456789.elb.us-east-1.amazonaws.com"
