"""Service exposure guardrails: only the ingress controller faces the outside; Redis never does."""

from __future__ import annotations

from typing import Any

import pytest
from guardrails import services

from components.redis_port import REDIS_PORT

SERVICE = services.SERVICE


def service(
    name: str, service_type: str | None, port: int = 80, labels: dict[str, str] | None = None, **meta: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = {"ports": [{"port": float(port)}]}  # numbers arrive as floats from the engine
    if service_type:
        spec["type"] = service_type
    return {"metadata": {"name": name, "labels": labels or {}, **meta}, "spec": spec}


@pytest.mark.parametrize("service_type", [None, "ClusterIP"])
def test_cluster_internal_service_passes(service_type: str | None) -> None:
    assert services.no_external_services(SERVICE, service("web", service_type)) == []


@pytest.mark.parametrize("service_type", ["LoadBalancer", "NodePort"])
def test_external_service_fails(service_type: str) -> None:
    assert services.no_external_services(SERVICE, service("web", service_type)) == [
        f"Service 'web' is of type {service_type}: only the ingress controller (traefik, ingress-nginx) "
        "may be exposed; route through the ingress instead"
    ]


def test_ingress_controller_service_may_be_a_load_balancer() -> None:
    props = service("traefik", "LoadBalancer", labels={"app.kubernetes.io/name": "traefik"})
    assert services.no_external_services(SERVICE, props) == []


def release(chart: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"chart": chart, "version": "1.0.0", "values": values}


def test_ingress_controller_chart_may_request_a_load_balancer() -> None:
    props = release("traefik", {"service": {"type": "LoadBalancer"}})
    assert services.no_external_services("kubernetes:helm.sh/v3:Release", props) == []


@pytest.mark.parametrize("release_type", services.HELM_RELEASE_TYPES)
def test_other_chart_requesting_a_load_balancer_fails(release_type: str) -> None:
    props = release("oci://registry/charts/grafana", {"service": {"type": "NodePort"}})
    assert services.no_external_services(release_type, props) == [
        "Helm release of chart 'grafana' sets service.type=NodePort: "
        "only the ingress controller may be exposed"
    ]


def test_redis_cluster_ip_passes() -> None:
    assert services.redis_internal(SERVICE, service("redis", "ClusterIP", port=REDIS_PORT)) == []


def test_redis_found_by_port_even_under_another_name() -> None:
    violations = services.redis_internal(SERVICE, service("cache", "NodePort", port=REDIS_PORT))
    assert violations == ["Redis Service 'cache' is of type NodePort; it must be ClusterIP"]


def test_redis_with_load_balancer_annotation_or_external_ip_fails() -> None:
    props = service(
        "redis",
        None,
        port=REDIS_PORT,
        annotations={"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
    )
    props["spec"]["externalIPs"] = ["203.0.113.7"]
    assert services.redis_internal(SERVICE, props) == [
        "Redis Service 'redis' has externalIPs",
        "Redis Service 'redis' carries load-balancer annotations: "
        "service.beta.kubernetes.io/aws-load-balancer-type",
    ]


def test_redis_is_never_the_ingress_exception() -> None:
    props = service("redis", "LoadBalancer", port=REDIS_PORT, labels={"app.kubernetes.io/name": "redis"})
    assert services.no_external_services(SERVICE, props)
    assert services.redis_internal(SERVICE, props)


def test_non_redis_service_not_inspected_by_redis_rule() -> None:
    assert services.redis_internal(SERVICE, service("web", "ClusterIP", port=8080)) == []


def test_the_pack_knows_the_port_the_program_deploys_redis_on() -> None:
    assert services.REDIS_PORT == REDIS_PORT
