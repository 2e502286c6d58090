"""Traefik on aws: a supported release (one fact, TRAEFIK_VERSION, with the chart that ships it),
its CRDs applied with it (Helm never upgrades a chart's crds/), and everything the program hands
it checked against that release's own schemas: the chart's values against the chart's
values.schema.json (Helm refuses values it rejects), the IngressRoute and Middlewares against the
CRDs (the API server drops fields they do not know, silently)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator
from pulumi_harness import Registered, StackRun

from components.aws.traefik import CHART, CRDS, TRAEFIK_VERSION, crd_manifests

RELEASE = "kubernetes:helm.sh/v3:Release"
CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
# The chart's values.schema.json, as published with CHART.version (traefik/values.schema.json in
# traefik/traefik-helm-chart at that tag): a chart upgrade needs its schema here too.
VALUES_SCHEMA = Path(__file__).parent / "charts" / f"traefik-{CHART.version}.values.schema.json"
# Path matching advisories that touch a PathPrefix(`/api`) route (CVE-2025-32431,
# GHSA-vrch-868g-9jx5, GHSA-gm3x-23wp-hc2c): fixed in v3.6.3 and later.
FIRST_FIXED = (3, 6, 3)


def _as_doubles(value: Any) -> Any:
    return json.loads(json.dumps(value), parse_int=float)


def _version(tag: str) -> tuple[int, ...]:
    return tuple(int(part) for part in tag.removeprefix("v").split("."))


def closed(schema: Any) -> Any:
    """The schema with unknown fields refused: an object schema that lists its properties and
    keeps no unknown fields is what the API server prunes to, so an unknown field is a mistake."""
    if isinstance(schema, dict):
        schema = {k: closed(v) for k, v in schema.items()}
        if (
            schema.get("type") == "object"
            and "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    return schema


def spec_validator(kind: str) -> Draft7Validator:
    (crd,) = [c for c in crd_manifests() if c["spec"]["names"]["kind"] == kind]
    (served,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    return Draft7Validator(closed(served["schema"]["openAPIV3Schema"]["properties"]["spec"]))


def errors(validator: Any, instance: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def test_traefik_is_a_supported_release_the_image_pinned_to_it(aws: StackRun) -> None:
    assert _version(TRAEFIK_VERSION) >= FIRST_FIXED
    chart = aws.one(RELEASE, "traefik").inputs
    assert chart["version"] == CHART.version
    assert chart["values"]["image"]["tag"] == TRAEFIK_VERSION


def test_the_values_are_valid_for_the_pinned_chart(aws: StackRun) -> None:
    assert VALUES_SCHEMA.is_file(), f"add the values.schema.json of chart {CHART.version} as {VALUES_SCHEMA}"
    validator = Draft202012Validator(json.loads(VALUES_SCHEMA.read_text()))
    assert errors(validator, aws.one(RELEASE, "traefik").inputs["values"]) == []
    # The check bites: keys of the chart this replaced (33.x) are refused by this one.
    assert errors(validator, {"logs": {"access": {"enabled": True}}})
    assert errors(validator, {"ports": {"web": {"redirectTo": {"port": "websecure"}}}})


def test_the_crds_of_that_release_are_applied_with_it(aws: StackRun) -> None:
    assert CRDS.name == f"{TRAEFIK_VERSION}.yaml"
    published = {c["metadata"]["name"]: c for c in crd_manifests()}
    assert {"ingressroutes.traefik.io", "middlewares.traefik.io"} <= set(published)
    applied = {r.inputs["metadata"]["name"]: r for r in aws.of_type(CRD)}
    assert set(applied) == set(published)
    for name, crd in applied.items():
        # Every number crosses the engine's wire as a double, as the API server keeps it too.
        assert _as_doubles(crd.inputs["spec"]) == _as_doubles(published[name]["spec"]), name
    # Helm installed the CRDs of stacks deployed before: a provider of their own takes them over
    # (the cluster's refuses to create what exists) and forces past the fields Helm owns.
    (provider,) = {crd.provider for crd in applied.values()}
    adopting = next(p for p in aws.of_type("pulumi:providers:kubernetes") if provider.startswith(p.urn))
    assert adopting.inputs["upsertExistingObjects"] in (True, "true")
    assert adopting.inputs["enablePatchForce"] in (True, "true")
    assert (
        adopting.inputs["kubeconfig"]
        == aws.one("pulumi:providers:kubernetes", "chat-aws-k8s").inputs["kubeconfig"]
    )
    managed = [r.name for r in aws.resources if r.provider.startswith(adopting.urn)]
    assert sorted(managed) == sorted(c.name for c in applied.values())  # nothing else
    chart = aws.one(RELEASE, "traefik")
    assert chart.inputs["skipCrds"] is True  # the CRDs above are the only ones
    assert {c.urn for c in applied.values()} <= set(chart.dependencies)


def _traefik_resources(aws: StackRun) -> list[Registered]:
    return [r for r in aws.custom_resources() if r.inputs["apiVersion"].startswith("traefik.io/")]


def test_every_traefik_resource_waits_for_its_crd(aws: StackRun) -> None:
    crds = {r.inputs["spec"]["names"]["kind"]: r.urn for r in aws.of_type(CRD)}
    resources = _traefik_resources(aws)
    assert {r.inputs["kind"] for r in resources} == {"IngressRoute", "Middleware"}
    for resource in resources:
        assert crds[resource.inputs["kind"]] in resource.dependencies, resource.name


def test_routes_and_middlewares_are_valid_for_those_crds(aws: StackRun) -> None:
    for resource in _traefik_resources(aws):
        kind = resource.inputs["kind"]
        assert resource.inputs["apiVersion"] == "traefik.io/v1alpha1"
        assert errors(spec_validator(kind), resource.inputs["spec"]) == [], resource.name


@pytest.mark.parametrize(
    ("kind", "break_it"),
    [
        ("IngressRoute", lambda spec: spec.update(entrypoints=spec.pop("entryPoints"))),
        ("IngressRoute", lambda spec: spec["routes"][0].update(kind="Route")),
        ("Middleware", lambda spec: spec.update(rateLimit={"average": "fifty"})),
    ],
)
def test_the_crd_check_catches_a_broken_resource(aws: StackRun, kind: str, break_it: Any) -> None:
    (resource,) = [r for r in _traefik_resources(aws) if r.inputs["kind"] == kind][:1]
    spec = copy.deepcopy(resource.inputs["spec"])
    break_it(spec)
    assert errors(spec_validator(kind), spec)
