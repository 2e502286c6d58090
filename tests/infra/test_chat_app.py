"""The one composition of the chat (components/chat_app.py) that both stacks call, and the two
Redis flavours it takes: each exposes a secret `url`, and the `redis-url` Secret the backend
reads is the composition's, once per stack."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pulumi_harness import StackRun, build, run_program

from components import chat_app as composition
from components.aws.eks import ClusterRef
from components.aws.elasticache import ElastiCache
from components.k8s.redis import Redis, RedisArgs
from tests.infra.conftest import STACKS

SECRET = "kubernetes:core/v1:Secret"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SCHEME = {"minikube": "redis://:", "aws": "rediss://:"}
SESSION = "chat-platform:k8s:Backend$random:index/randomPassword:RandomPassword::chat-backend-session-secret"
KEPT = {
    "minikube": {
        "chat-platform:k8s:Redis$kubernetes:apps/v1:StatefulSet::redis",
        "chat-platform:k8s:Redis$random:index/randomPassword:RandomPassword::redis-password",
        "kubernetes:core/v1:Secret::redis-url",
        SESSION,
    },
    "aws": {
        "chat-platform:aws:ElastiCache$aws:elasticache/replicationGroup:ReplicationGroup::chat",
        "chat-platform:aws:ElastiCache$random:index/randomPassword:RandomPassword::chat-auth-token",
        "chat-platform:aws:EksCluster$aws:eks/cluster:Cluster::chat-aws",
        SESSION,
    },
}
# Where stacks deployed before the composition held the aws Secret: ElastiCache's child.
AWS_SECRET_BEFORE = (
    "urn:pulumi:aws::chat-platform::chat-platform:aws:ElastiCache$kubernetes:core/v1:Secret::chat-url"
)


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_composes_the_chat_once_through_chat_app(
    stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = importlib.import_module(f"components.stacks.{stack}")
    calls: list[composition.ChatAppArgs] = []

    def spy(args: composition.ChatAppArgs, opts: pulumi.ResourceOptions) -> composition.ChatApp:
        calls.append(args)
        return composition.chat_app(args, opts)

    monkeypatch.setattr(module, "chat_app", spy)
    run = run_program(stack)
    assert len(calls) == 1
    assert {d.name for d in run.of_type(DEPLOYMENT)} == {"chat-backend", "chat-frontend"}
    # The stack itself builds none of the app: no Backend, Frontend or Secret of its own.
    assert not {"Backend", "BackendArgs", "Frontend", "FrontendArgs", "SecretKey"} & set(vars(module))


def test_exactly_one_redis_url_secret_which_the_backend_reads(any_stack: StackRun) -> None:
    (secret,) = [s for s in any_stack.of_type(SECRET) if s.inputs["metadata"]["name"] == "redis-url"]
    assert secret.name == "redis-url"
    assert secret.parent.split("::")[2] == "pulumi:pulumi:Stack"  # the composition's, top level
    assert secret.inputs["stringData"]["REDIS_URL"].startswith(SCHEME[any_stack.stack])
    backend = any_stack.one(DEPLOYMENT, "chat-backend")
    (container,) = backend.inputs["spec"]["template"]["spec"]["containers"]
    (redis_url,) = [e for e in container["env"] if e["name"] == "REDIS_URL"]
    assert redis_url["valueFrom"]["secretKeyRef"] == {"name": "redis-url", "key": "REDIS_URL"}
    assert secret.urn in backend.dependencies  # its pods start once the Secret exists


def test_an_existing_aws_stack_keeps_its_redis_url_secret(aws: StackRun) -> None:
    """Aliased to where it was, so `pulumi up` moves it in the state instead of replacing it."""
    assert aws.one(SECRET, "redis-url").aliases == [AWS_SECRET_BEFORE]
    elasticache = aws.one("chat-platform:aws:ElastiCache")
    assert not [r for r in aws.children_of(elasticache) if r.type.startswith("kubernetes:")]


def test_what_a_replacement_would_lose_keeps_its_address(any_stack: StackRun) -> None:
    """The Redis volume and the generated passwords and secrets keep the URNs deployed stacks
    hold, so `pulumi up` updates them in place."""
    urns = {r.urn.split("::", 2)[2] for r in any_stack.resources}
    assert KEPT[any_stack.stack] <= urns


def _url_of(make: Callable[[], composition.RedisStore], scheme: str) -> StackRun:
    def component() -> pulumi.Output[Any]:
        store: composition.RedisStore = make()

        def check(values: list[Any]) -> None:
            url, is_secret = values
            assert url.startswith(scheme), url
            assert is_secret is True, "the URL holds the password: it must stay an Output.secret"

        is_secret: pulumi.Output[bool] = pulumi.Output.from_input(store.url.is_secret())
        return pulumi.Output.all(store.url, is_secret).apply(check)

    return build(component)


def test_in_cluster_redis_exposes_a_secret_url() -> None:
    _url_of(lambda: Redis("redis", RedisArgs("chat", "1Gi", "standard", "always")), "redis://:")


def test_elasticache_exposes_a_secret_url_and_no_kubernetes_object() -> None:
    def elasticache() -> ElastiCache:
        known = pulumi.Output.from_input
        cluster = ClusterRef(
            name=known("c"),
            version="1.35",
            region="eu-west-1",
            security_group_id=known("sg-c"),
            oidc_provider_arn=known("arn:aws:iam::123456789012:oidc-provider/c"),
            oidc_provider_url=known("https://oidc.example/c"),
            kubeconfig=pulumi.Output.secret("{}"),
            provider=k8s.Provider("c", kubeconfig="{}"),
        )
        return ElastiCache(
            "cache",
            cluster=cluster,
            vpc_id="vpc-1",
            subnet_ids=[known("subnet-1"), known("subnet-2")],
            subnet_cidrs=["10.0.0.0/20", "10.0.16.0/20"],
            node_type="cache.t4g.small",
            engine_version="7.1",
            replicas=2,
            shards=1,
            snapshot_days=1,
            auth_update="ROTATE",
            final_snapshot="cache-final",
            protect=True,
        )

    run = _url_of(elasticache, "rediss://:")
    assert not [r for r in run.resources if r.type.startswith("kubernetes:")]
