"""Kubernetes Services: only the ingress controller faces the outside; Redis never does."""

from __future__ import annotations

from .props import Props, items, mapping, number, path

SERVICE = "kubernetes:core/v1:Service"
HELM_RELEASE_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
EXTERNAL_TYPES = ("LoadBalancer", "NodePort")
# The ingress controllers this platform installs. On aws Traefik's LoadBalancer Service is created
# by its Helm release (never registered as a Service of its own), so the exception is the chart;
# a plain Service may only claim it through the controller's standard name label.
INGRESS_CONTROLLERS = ("traefik", "ingress-nginx")
# Where the charts above (and most others) put their Service type in the values.
HELM_SERVICE_TYPE_PATHS = (
    ("service", "type"),
    ("service", "spec", "type"),
    ("controller", "service", "type"),
    ("master", "service", "type"),
)
# The port the program's Redis listens on (components/redis_port.py). The pack runs apart from the
# program's code, so it keeps its own copy; policy/tests/test_policy_services.py holds them equal.
REDIS_PORT = 6379


def _name(props: Props) -> str:
    return str(path(props, "metadata", "name") or "<unnamed>")


def _app_name(props: Props) -> str:
    return str(mapping(path(props, "metadata", "labels")).get("app.kubernetes.io/name", ""))


def _service_type(props: Props) -> str:
    return str(path(props, "spec", "type") or "ClusterIP")


def no_external_services(resource_type: str, props: Props) -> list[str]:
    """No LoadBalancer/NodePort Service, directly or through Helm values, except the ingress controller's."""
    if resource_type == SERVICE:
        service_type = _service_type(props)
        if service_type in EXTERNAL_TYPES and _app_name(props) not in INGRESS_CONTROLLERS:
            return [
                f"Service {_name(props)!r} is of type {service_type}: only the ingress controller "
                f"({', '.join(INGRESS_CONTROLLERS)}) may be exposed; route through the ingress instead"
            ]
        return []
    if resource_type in HELM_RELEASE_TYPES:
        chart = str(props.get("chart") or "").rsplit("/", 1)[-1]
        if chart in INGRESS_CONTROLLERS:
            return []
        values = mapping(props.get("values"))
        return [
            f"Helm release of chart {chart!r} sets {'.'.join(keys)}={value}: only the ingress "
            "controller may be exposed"
            for keys in HELM_SERVICE_TYPE_PATHS
            if (value := path(values, *keys)) in EXTERNAL_TYPES
        ]
    return []


def _is_redis(props: Props) -> bool:
    ports = [mapping(p) for p in items(path(props, "spec", "ports"))]
    named_redis = "redis" in _name(props).lower() or "redis" in _app_name(props).lower()
    return named_redis or any(number(p.get("port")) == REDIS_PORT for p in ports)


def redis_internal(resource_type: str, props: Props) -> list[str]:
    """A Redis Service is ClusterIP, has no external IPs and no load-balancer annotations."""
    if resource_type != SERVICE or not _is_redis(props):
        return []
    violations = []
    service_type = _service_type(props)
    if service_type != "ClusterIP":
        violations.append(f"Redis Service {_name(props)!r} is of type {service_type}; it must be ClusterIP")
    if list(items(path(props, "spec", "externalIPs"))):
        violations.append(f"Redis Service {_name(props)!r} has externalIPs")
    annotations = mapping(path(props, "metadata", "annotations"))
    lb_keys = sorted(k for k in annotations if "load-balancer" in k)
    if lb_keys:
        violations.append(
            f"Redis Service {_name(props)!r} carries load-balancer annotations: {', '.join(lb_keys)}"
        )
    return violations
