"""Run the real Pulumi program (`__main__.py`) under Pulumi's mocks with a stack's real
config file, or one component on its own, and return everything it registers and reads — no
CLI, no cluster, no cloud. A run is an update by default; `preview=True` runs it as a preview,
where resources named in `uncreated` do not exist yet (their computed outputs are unknown).

Used by the infra, aws, cluster and policy tests, the lint tests, the docs generator (the AWS
chart pins) and the benchmark (registration time).
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
import yaml
from checkout import ROOT
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

PROJECT = "chat-platform"


@dataclass
class Registered:
    """One resource as the engine would have received it."""

    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str]
    provider: str
    outputs: dict[str, Any] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)  # the URNs it was known by before
    protect: bool = False  # the engine refuses to replace or delete it
    retain_on_delete: bool = False  # deleting it only forgets it
    read_id: str | None = None  # set for a read (`Resource.get`): the ID asked for


@dataclass
class StackRun:
    stack: str
    resources: list[Registered]
    outputs: dict[str, Any]
    component_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)  # what it ran with, "project:key" -> value
    reads: list[Registered] = field(default_factory=list)  # `Resource.get`s: not the stack's resources

    def of_type(self, type_token: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_token]

    def reads_of(self, type_token: str) -> list[Registered]:
        """The reads (`Resource.get`) of that type."""
        return [r for r in self.reads if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> Registered:
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_token} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Registered:
        return next(r for r in self.resources if r.urn == urn)

    def children_of(self, parent: Registered) -> list[Registered]:
        return [r for r in self.resources if r.parent == parent.urn]

    def kubernetes_objects(self) -> Iterator[dict[str, Any]]:
        """Built-in Kubernetes objects (not Helm releases or custom resources) as plain manifests."""
        for r in self.resources:
            if (
                r.type.startswith("kubernetes:")
                and "apiVersion" in r.inputs
                and is_builtin(r.inputs["apiVersion"])
            ):
                yield manifest(r)

    def custom_resources(self) -> list[Registered]:
        return [
            r
            for r in self.resources
            if r.type.startswith("kubernetes:")
            and "apiVersion" in r.inputs
            and not is_builtin(r.inputs["apiVersion"])
        ]


def is_builtin(api_version: str) -> bool:
    """core/v1, apps/v1, networking.k8s.io/v1...: not a CRD group like traefik.io."""
    group = api_version.split("/")[0] if "/" in api_version else ""
    return "." not in group or group.endswith(".k8s.io")


# Fake but realistic provider outputs, so code that reads them (e.g. an endpoint) has a value.
OutputHook = Callable[[mocks.MockResourceArgs], dict[str, Any]]
OUTPUT_HOOKS: dict[str, OutputHook] = {
    "random:index/randomPassword:RandomPassword": lambda a: {"result": "x" * int(a.inputs.get("length", 16))},
    "docker:index/image:Image": lambda a: {
        "repoDigest": f"{str(a.inputs.get('imageName', 'image')).rsplit(':', 1)[0]}@sha256:{'0' * 64}",
    },
    "aws:eks/cluster:Cluster": lambda a: {
        "endpoint": "https://ABCDEF0123456789.gr7.us-east-1.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0tLS1CRUdJTi1DRVJUSUZJQ0FURS0tLS0t"},
        "identities": [
            {"oidcs": [{"issuer": "https://oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789"}]}
        ],
        "vpcConfig": {**a.inputs.get("vpcConfig", {}), "clusterSecurityGroupId": "sg-0cluster"},
        "arn": f"arn:aws:eks:us-east-1:123456789012:cluster/{a.inputs.get('name', a.name)}",
    },
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda a: {
        "arn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789",
    },
    "aws:iam/role:Role": lambda a: {"arn": f"arn:aws:iam::123456789012:role/{a.name}", "name": a.name},
    "aws:kms/key:Key": lambda a: {"arn": f"arn:aws:kms:us-east-1:123456789012:key/{a.name}"},
    "aws:ecr/repository:Repository": lambda a: {
        "repositoryUrl": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{a.inputs.get('name', a.name)}",
        "registryId": "123456789012",
    },
    # As AWS answers: cluster mode enabled has a configuration endpoint and no primary one.
    "aws:elasticache/replicationGroup:ReplicationGroup": lambda a: (
        {"configurationEndpointAddress": f"clustercfg.{a.name}.abc123.use1.cache.amazonaws.com"}
        if a.inputs.get("numNodeGroups")
        else {"primaryEndpointAddress": f"master.{a.name}.abc123.use1.cache.amazonaws.com"}
    ),
    # Pulumi names these after the resource, with a random suffix.
    "aws:rds/parameterGroup:ParameterGroup": lambda a: {"name": f"{a.name}-1a2b3c4"},
    "aws:rds/subnetGroup:SubnetGroup": lambda a: {"name": f"{a.name}-1a2b3c4"},
    "aws:rds/instance:Instance": lambda a: {
        "address": f"{a.inputs.get('identifier', a.name)}.abc123xyz.us-east-1.rds.amazonaws.com",
    },
    # Pulumi names a node group after the resource, with a random suffix.
    "aws:eks/nodeGroup:NodeGroup": lambda a: {"nodeGroupName": f"{a.name}-1a2b3c4"},
    "aws:elasticache/parameterGroup:ParameterGroup": lambda a: {"name": f"{a.name}-1a2b3c4"},
    "kubernetes:helm.sh/v3:Release": lambda a: {
        "status": {
            "name": a.inputs.get("name", a.name),
            "namespace": a.inputs.get("namespace", "default"),
            "status": "deployed",
            "version": a.inputs.get("version", ""),
        }
    },
    # Service.get (a read): the LoadBalancer's hostname as AWS would publish it.
    "kubernetes:core/v1:Service": lambda a: (
        {
            "status": {
                "loadBalancer": {
                    "ingress": [{"hostname": "k8s-traefik-0123456789.elb.us-east-1.amazonaws.com"}]
                }
            }
        }
        if a.resource_id
        else {}
    ),
}


class ProgramMocks(pulumi.runtime.Mocks):
    def __init__(self, uncreated: frozenset[str] = frozenset()):
        self.uncreated = uncreated  # names of resources a preview would create: no outputs yet

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.resource_id == rpc.UNKNOWN:
            return None, {}  # as the engine does: a read of an unknown ID is skipped
        state = dict(args.inputs)
        if args.name in self.uncreated:
            return None, state  # a preview of its creation: inputs only, outputs unknown
        hook = OUTPUT_HOOKS.get(args.typ)
        if hook:
            state.update(hook(args))
        return f"{args.name}-id", state

    def call(self, args: mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        hook = CALL_HOOKS.get(args.token)
        return hook(args) if hook else {}


CALL_HOOKS: dict[str, Callable[[mocks.MockCallArgs], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda a: {
        # As in a real account: names map to IDs in an account-specific order; use1-az3 cannot host EKS.
        "names": ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e"],
        "zoneIds": ["use1-az6", "use1-az3", "use1-az1", "use1-az4", "use1-az2"],
        "id": "us-east-1",
    },
    "aws:lb/getHostedZoneId:getHostedZoneId": lambda a: {"id": "Z26RNL4JYFTOTI"},
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a: {
        "accountId": "123456789012",
        "arn": "arn:aws:sts::123456789012:assumed-role/chat-platform-deploy/chat-platform-deploy",
        "userId": "AROAEXAMPLE:chat-platform-deploy",
        "id": "123456789012",
    },
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": lambda a: {
        "userName": "AWS",
        "password": "mock-token",
        "proxyEndpoint": "https://123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "authorizationToken": "QVdTOm1vY2stdG9rZW4=",
        "id": "123456789012",
    },
}


class RecordingMonitor(mocks.MockMonitor):
    """The mock monitor, also keeping what the engine would see: parent, dependencies, provider."""

    def __init__(self, program_mocks: ProgramMocks):
        super().__init__(program_mocks)
        self.registered: list[Registered] = []
        self.read: list[Registered] = []
        self.component_outputs: dict[str, dict[str, Any]] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """As the engine makes URNs: a top-level resource's type is not qualified by the Stack's
        (the SDK's mock monitor does qualify it; aliases computed by the SDK do not)."""
        if parent.split("::")[2:3] == ["pulumi:pulumi:Stack"]:
            parent = ""
        return super().make_urn(parent, type_, name)

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        self.component_outputs[request.urn] = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            state = self.resources.get(response.urn)
            self._record(
                self.registered,
                request,
                response.urn,
                request.object,
                custom=request.custom,
                outputs=dict(state.state) if state else {},
                aliases=[self.alias_urn(alias, request) for alias in request.aliases],
                protect=request.protect,
                retain_on_delete=request.retainOnDelete,
            )
        return response

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        self._record(self.read, request, response.urn, request.properties, custom=True, read_id=request.id)
        return response

    def _record(
        self, into: list[Registered], request: Any, urn: str, properties: Any, **specific: Any
    ) -> None:
        into.append(
            Registered(
                type=request.type,
                name=request.name,
                urn=urn,
                parent=request.parent,
                inputs=unwrap_secrets(rpc.deserialize_properties(properties)),
                dependencies=list(request.dependencies),
                provider=request.provider,
                **specific,
            )
        )

    def alias_urn(self, alias: Any, request: Any) -> str:
        """The URN an alias stands for, made as this monitor makes URNs (for a spec, as the engine
        would: the resource's own type and name unless the spec gives others)."""
        if alias.WhichOneof("alias") == "urn":
            return str(alias.urn)
        spec = alias.spec
        parent = "" if spec.noParent else spec.parentUrn or request.parent
        return self.make_urn(parent, spec.type or request.type, spec.name or request.name)


def unwrap_secrets(value: Any) -> Any:
    """Secret inputs arrive wrapped as {sig: secret, value: v}; tests look at the value."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return unwrap_secrets(value.get("value"))
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


def stack_config(stack: str) -> dict[str, str]:
    """Project defaults from Pulumi.yaml overlaid with Pulumi.<stack>.yaml, as the CLI would."""
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    values: dict[str, str] = {}
    for key, spec in (project.get("config") or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(spec, dict) and "default" in spec:
            values[full] = _as_config_string(spec["default"])
        elif not isinstance(spec, dict):
            values[full] = _as_config_string(spec)
    stack_file = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()) or {}
    for key, value in (stack_file.get("config") or {}).items():
        values[key] = _as_config_string(value)
    return values


def _as_config_string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def mocked(
    stack: str, config: dict[str, str], preview: bool = False, uncreated: frozenset[str] = frozenset()
) -> RecordingMonitor:
    """Fresh mocks for one run in this process (pytest runs many): new monitor, no root
    Stack left from an earlier run, no outstanding RPCs, exactly this config."""
    program_mocks = ProgramMocks(uncreated)
    monitor = RecordingMonitor(program_mocks)
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(program_mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(config, [])
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    return monitor


def run_program(
    stack: str,
    overrides: dict[str, str] | None = None,
    *,
    preview: bool = False,
    uncreated: frozenset[str] = frozenset(),
    as_stack: str | None = None,
) -> StackRun:
    """Run __main__.py for `stack` (config from its file, plus overrides) under mocks; `as_stack`
    names the stack otherwise (another stack with the same config, e.g. in the same account)."""
    config = {**stack_config(stack), **(overrides or {})}
    monitor = mocked(as_stack or stack, config, preview, uncreated)

    def program() -> None:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

    _sync_await(run_pulumi_func(program))
    root = settings.get_root_resource()
    outputs = {k: _resolve(v) for k, v in getattr(root, "outputs", {}).items()}
    return StackRun(
        as_stack or stack, monitor.registered, outputs, monitor.component_outputs, config, monitor.read
    )


def build(component: Callable[[], pulumi.Output[Any]]) -> StackRun:
    """Register what `component` creates under fresh mocks; its returned Output (holding the
    component's own assertions on its outputs) is awaited by `pulumi.runtime.test`."""
    monitor = mocked("unit", {})
    pulumi.runtime.test(component)()  # type: ignore[no-untyped-call]  # the SDK's decorator is untyped
    return StackRun("unit", monitor.registered, {}, monitor.component_outputs)


def _resolve(value: Any) -> Any:
    return _sync_await(pulumi.Output.from_input(value).future())


def manifest(resource: Registered) -> dict[str, Any]:
    """The object as kubectl would see it: integral floats (from the wire format) back to ints."""
    return _ints(resource.inputs)  # type: ignore[no-any-return]


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value
