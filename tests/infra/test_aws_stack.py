"""The real __main__.py with Pulumi.aws.yaml: the production platform's properties."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_harness import Registered, StackRun

from components.config_reader import ConfigError
from components.redis_port import REDIS_PORT

RELEASE = "kubernetes:helm.sh/v3:Release"


def _policy(run: StackRun, role_name: str) -> dict[str, Any]:
    policy = run.one("aws:iam/rolePolicy:RolePolicy", role_name)
    return json.loads(policy.inputs["policy"])  # type: ignore[no-any-return]


def _trust(run: StackRun, role_name: str) -> dict[str, Any]:
    return json.loads(run.one("aws:iam/role:Role", role_name).inputs["assumeRolePolicy"])  # type: ignore[no-any-return]


def _backend_env(run: StackRun) -> dict[str, dict[str, Any]]:
    pod = run.one("kubernetes:apps/v1:Deployment", "chat-backend").inputs["spec"]["template"]["spec"]
    return {e["name"]: e for e in pod["containers"][0]["env"]}


def test_outputs(aws: StackRun) -> None:
    assert aws.outputs["url"] == "https://chat.example.com"
    assert aws.outputs["clusterName"] == "chat-aws"
    assert aws.outputs["ecrRepositories"] == {
        "backend": "123456789012.dkr.ecr.us-east-1.amazonaws.com/chat-aws-backend",
        "frontend": "123456789012.dkr.ecr.us-east-1.amazonaws.com/chat-aws-frontend",
    }
    kubeconfig = json.loads(aws.outputs["kubeconfig"])
    assert kubeconfig["users"][0]["user"]["exec"]["args"][:2] == ["eks", "get-token"]


def test_vpc_spans_three_zones_with_a_nat_each(aws: StackRun) -> None:
    subnets = aws.of_type("aws:ec2/subnet:Subnet")
    # By zone ID, the first three EKS-capable ones (use1-az3 cannot host EKS).
    assert {s.inputs["availabilityZoneId"] for s in subnets} == {"use1-az1", "use1-az2", "use1-az4"}
    public = [s for s in subnets if "kubernetes.io/role/elb" in s.inputs["tags"]]
    private = [s for s in subnets if "kubernetes.io/role/internal-elb" in s.inputs["tags"]]
    assert len(public) == len(private) == 3
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in public)
    assert all(s.inputs["tags"]["kubernetes.io/cluster/chat-aws"] == "shared" for s in subnets)
    assert len(aws.of_type("aws:ec2/natGateway:NatGateway")) == 3


def test_single_nat_gateway_when_configured(run_stack: Callable[..., StackRun]) -> None:
    run = run_stack("aws", {"chat-platform:awsSingleNatGateway": "true"})
    assert len(run.of_type("aws:ec2/natGateway:NatGateway")) == 1


def test_eks_cluster_is_locked_down(aws: StackRun) -> None:
    cluster = aws.one("aws:eks/cluster:Cluster")
    assert cluster.inputs["version"] == "1.35"
    assert cluster.inputs["accessConfig"]["authenticationMode"] == "API"
    assert cluster.inputs["encryptionConfig"]["resources"] == ["secrets"]
    key = aws.one("aws:kms/key:Key", "chat-aws-secrets")
    assert key.inputs["enableKeyRotation"] is True
    assert set(cluster.inputs["enabledClusterLogTypes"]) == {
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    }
    assert cluster.inputs["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/24"]
    oidc = aws.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_node_groups_on_demand_system_and_tainted_spot(aws: StackRun) -> None:
    groups = {g.name: g.inputs for g in aws.of_type("aws:eks/nodeGroup:NodeGroup")}
    assert groups["chat-aws-system"]["capacityType"] == "ON_DEMAND"
    spot = groups["chat-aws-spot"]
    assert spot["capacityType"] == "SPOT"
    assert len(spot["instanceTypes"]) >= 2
    assert all(t.endswith(".large") for t in spot["instanceTypes"])  # same shape
    assert spot["taints"] == [{"key": "chat-platform/spot", "value": "true", "effect": "NO_SCHEDULE"}]
    assert spot["scalingConfig"] == {"minSize": 2, "desiredSize": 3, "maxSize": 12}


def test_coredns_and_ebs_csi_wait_for_nodes(aws: StackRun) -> None:
    groups = {g.urn for g in aws.of_type("aws:eks/nodeGroup:NodeGroup")}
    addons = {a.inputs["addonName"]: a for a in aws.of_type("aws:eks/addon:Addon")}
    assert set(addons) == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver", "metrics-server"}
    assert groups <= set(addons["coredns"].dependencies)
    trust = _trust(aws, "chat-aws-ebs-csi")
    (statement,) = trust["Statement"]
    assert (
        statement["Condition"]["StringEquals"]["oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789:sub"]
        == "system:serviceaccount:kube-system:ebs-csi-controller-sa"
    )


def test_autoscaler_writes_only_to_this_clusters_groups(aws: StackRun) -> None:
    statements = {s["Sid"]: s for s in _policy(aws, "cluster-autoscaler")["Statement"]}
    scale = statements["ScaleOnlyThisClustersGroups"]
    assert set(scale["Action"]) == {
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    }
    assert scale["Condition"]["StringEquals"]["aws:ResourceTag/k8s.io/cluster-autoscaler/chat-aws"] == "owned"
    assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in statements["Discover"]["Action"])
    trust = _trust(aws, "cluster-autoscaler")["Statement"][0]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert (
        trust["Condition"]["StringEquals"]["oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789:sub"]
        == "system:serviceaccount:kube-system:cluster-autoscaler"
    )
    chart = aws.one(RELEASE, "cluster-autoscaler")
    assert chart.inputs["values"]["image"]["tag"].startswith("v1.35.")  # the cluster's minor version


def test_cert_manager_may_only_touch_txt_records_in_the_zone(aws: StackRun) -> None:
    statements = _policy(aws, "cert-manager")["Statement"]
    change = next(s for s in statements if "route53:ChangeResourceRecordSets" in s["Action"])
    assert change["Resource"] == "arn:aws:route53:::hostedzone/Z0123456789EXAMPLE"
    assert change["Condition"]["ForAllValues:StringEquals"][
        "route53:ChangeResourceRecordSetsRecordTypes"
    ] == ["TXT"]
    issuers = {
        i.inputs["metadata"]["name"]: i.inputs["spec"]
        for i in aws.of_type("kubernetes:cert-manager.io/v1:ClusterIssuer")
    }
    assert set(issuers) == {"letsencrypt-staging", "letsencrypt-production"}
    solver = issuers["letsencrypt-production"]["acme"]["solvers"][0]["dns01"]["route53"]
    assert solver == {"region": "us-east-1", "hostedZoneID": "Z0123456789EXAMPLE"}
    certificate = aws.one("kubernetes:cert-manager.io/v1:Certificate")
    assert certificate.inputs["spec"]["dnsNames"] == ["chat.example.com"]
    assert certificate.inputs["spec"]["issuerRef"]["name"] == "letsencrypt-production"


def test_elasticache_is_encrypted_authenticated_and_highly_available(aws: StackRun) -> None:
    group = aws.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert group["transitEncryptionEnabled"] is True
    assert group["transitEncryptionMode"] == "required"
    assert group["atRestEncryptionEnabled"] is True
    assert group["automaticFailoverEnabled"] is True
    assert group["multiAzEnabled"] is True
    assert group["numCacheClusters"] == 3  # a primary, the replica acks wait for, one that may be away
    assert group["snapshotRetentionLimit"] == 7
    assert group["authTokenUpdateStrategy"] == "ROTATE"
    token = aws.one("random:index/randomPassword:RandomPassword", "chat-auth-token").inputs
    assert token["length"] >= 32
    assert token["special"] is False  # AUTH tokens forbid @ " / and spaces
    secret = aws.one("kubernetes:core/v1:Secret", "redis-url").inputs["stringData"]["REDIS_URL"]
    assert secret.startswith("rediss://:")
    assert secret.endswith(f"@master.chat.abc123.use1.cache.amazonaws.com:{REDIS_PORT}/0")
    assert "clusterMode" not in group
    assert "numNodeGroups" not in group
    assert "REDIS_CLUSTER" not in _backend_env(aws)


def test_elasticache_refuses_writes_when_full_instead_of_evicting(aws: StackRun) -> None:
    """The default parameter groups evict keys with a TTL (sessions, rate-limit counters)."""
    parameters = aws.one("aws:elasticache/parameterGroup:ParameterGroup")
    assert parameters.inputs["family"] == "redis7"
    values = {p["name"]: p["value"] for p in parameters.inputs["parameters"]}
    assert values == {"maxmemory-policy": "noeviction", "cluster-enabled": "no"}
    group = aws.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert group["parameterGroupName"] == parameters.outputs["name"]


@pytest.mark.parametrize(("ack_replicas", "nodes"), [(0, 2), (1, 3), (2, 4), (4, 6)])
def test_sends_survive_one_replica_away(
    run_stack: Callable[..., StackRun], ack_replicas: int, nodes: int
) -> None:
    """While a replica is away (a failover, its maintenance) the others must still be enough to
    confirm a send (REDIS_ACK_REPLICAS), or every send fails: the least nodes per shard is the
    primary, the replicas acks wait for, and one more (tests/drills/test_redis_replica_away.py)."""
    run = run_stack(
        "aws",
        {
            "chat-platform:awsRedisAckReplicas": str(ack_replicas),
            "chat-platform:awsRedisReplicas": str(nodes),
        },
    )
    assert run.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs["numCacheClusters"] == nodes
    if ack_replicas:
        with pytest.raises(ConfigError, match=f"awsRedisReplicas must be at least {nodes} "):
            run_stack(
                "aws",
                {
                    "chat-platform:awsRedisAckReplicas": str(ack_replicas),
                    "chat-platform:awsRedisReplicas": str(nodes - 1),
                },
            )


def test_more_redis_shards_enable_cluster_mode_and_the_cluster_client(
    run_stack: Callable[..., StackRun],
) -> None:
    run = run_stack("aws", {"chat-platform:awsRedisShards": "3", "chat-platform:awsRedisReplicas": "3"})
    group = run.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert group["clusterMode"] == "enabled"
    assert group["numNodeGroups"] == 3
    assert group["replicasPerNodeGroup"] == 2
    (parameters,) = run.of_type("aws:elasticache/parameterGroup:ParameterGroup")
    assert {p["name"]: p["value"] for p in parameters.inputs["parameters"]}["cluster-enabled"] == "yes"
    assert "numCacheClusters" not in group
    assert group["transitEncryptionMode"] == "required"
    assert group["multiAzEnabled"] is True
    assert group["automaticFailoverEnabled"] is True
    assert group["authToken"]
    secret = run.one("kubernetes:core/v1:Secret", "redis-url").inputs["stringData"]["REDIS_URL"]
    assert secret.endswith(f"@clustercfg.chat.abc123.use1.cache.amazonaws.com:{REDIS_PORT}/0")
    assert _backend_env(run)["REDIS_CLUSTER"]["value"] == "true"


def test_redis_admits_only_the_cluster(aws: StackRun) -> None:
    (rule,) = [  # the others are RDS's (test_aws_postgres.py) and the CI runner's (test_aws_pipeline.py)
        r
        for r in aws.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if aws.by_urn(r.parent).type == "chat-platform:aws:ElastiCache"
    ]
    assert rule.inputs["referencedSecurityGroupId"] == "sg-0cluster"
    assert rule.inputs["fromPort"] == rule.inputs["toPort"] == REDIS_PORT
    assert "cidrIpv4" not in rule.inputs
    default = aws.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").inputs
    assert not default.get("ingress")
    assert not default.get("egress")


def test_no_in_cluster_redis(aws: StackRun) -> None:
    assert aws.of_type("kubernetes:apps/v1:StatefulSet") == []
    assert not [r for r in aws.resources if r.type == "chat-platform:k8s:Redis"]


def test_app_reuses_the_shared_components_on_spot_by_digest(aws: StackRun) -> None:
    for name in ("chat-backend", "chat-frontend"):
        deployment = aws.one("kubernetes:apps/v1:Deployment", name)
        parent = aws.by_urn(deployment.parent)
        assert parent.type in ("chat-platform:k8s:Backend", "chat-platform:k8s:Frontend")
        pod = deployment.inputs["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert "@sha256:" in container["image"]
        assert {
            "key": "chat-platform/spot",
            "operator": "Equal",
            "value": "true",
            "effect": "NoSchedule",
        } in pod["tolerations"]
        preferred = pod["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
        assert preferred["preference"]["matchExpressions"] == [
            {"key": "eks.amazonaws.com/capacityType", "operator": "In", "values": ["SPOT"]}
        ]
        policy = aws.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", name)
        assert policy.inputs["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"] == {
            "kubernetes.io/metadata.name": "traefik"
        }
    env = _backend_env(aws)
    assert env["COOKIE_SECURE"]["value"] == "true"
    assert env["ALLOWED_ORIGINS"]["value"] == "https://chat.example.com"


def test_ecr_repositories_scan_and_are_immutable(aws: StackRun) -> None:
    for repo in aws.of_type("aws:ecr/repository:Repository"):
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert len(aws.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")) == 2
    for image in aws.of_type("docker:index/image:Image"):
        (repo,) = [r for r in aws.of_type("aws:ecr/repository:Repository") if r.parent == image.parent]
        assert image.inputs["registry"]["server"] == repo.outputs["repositoryUrl"]
        assert image.inputs["imageName"].startswith(repo.outputs["repositoryUrl"] + ":")
        assert image.inputs["build"]["platform"] == "linux/amd64"


def test_charts_are_pinned_and_custom_resources_follow_them(aws: StackRun) -> None:
    releases = {r.name: r for r in aws.of_type(RELEASE)}
    assert set(releases) == {"traefik", "cert-manager", "cluster-autoscaler"}
    for release in releases.values():
        version = release.inputs["version"]
        assert version.lstrip("v").replace(".", "").isdigit(), version
    owners = {"traefik.io": releases["traefik"], "cert-manager.io": releases["cert-manager"]}
    for resource in aws.custom_resources():
        chart: Registered = owners[resource.inputs["apiVersion"].split("/")[0]]
        assert chart.urn in resource.dependencies, resource.name


def test_traefik_routes_api_and_app_over_tls(aws: StackRun) -> None:
    values = aws.one(RELEASE, "traefik").inputs["values"]
    assert values["ports"]["web"]["http"]["redirections"]["entryPoint"] == {
        "to": "websecure",
        "scheme": "https",
        "permanent": True,
    }
    assert values["service"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-type"] == "nlb"
    route = aws.one("kubernetes:traefik.io/v1alpha1:IngressRoute").inputs["spec"]
    assert route["entryPoints"] == ["websecure"]
    assert route["tls"] == {"secretName": "chat-tls"}
    api, app = route["routes"]
    assert api["match"] == "Host(`chat.example.com`) && PathPrefix(`/api`)"
    assert api["services"] == [{"name": "chat-backend", "port": 8000}]
    assert app["services"] == [{"name": "chat-frontend", "port": 8080}]
    middlewares = {
        m.inputs["metadata"]["name"]: m.inputs["spec"]
        for m in aws.of_type("kubernetes:traefik.io/v1alpha1:Middleware")
    }
    assert middlewares["hsts"]["headers"]["stsSeconds"] >= 31536000
    assert middlewares["rate-limit"]["rateLimit"]["average"] > 0


def test_spot_handler_is_opt_in_and_runs_only_on_spot_nodes(
    aws: StackRun, run_stack: Callable[..., StackRun]
) -> None:
    # Off by default: managed node groups' Capacity Rebalancing drains spot nodes already.
    assert not [r for r in aws.of_type(RELEASE) if r.name == "aws-node-termination-handler"]
    run = run_stack("aws", {"chat-platform:awsSpotTerminationHandler": "true"})
    chart = run.one(RELEASE, "aws-node-termination-handler").inputs
    # The maintained chart from ECR Public (OCI), not the deprecated eks-charts 0.21.
    assert chart["chart"] == "oci://public.ecr.aws/aws-ec2/helm/aws-node-termination-handler"
    assert "repositoryOpts" not in chart
    assert tuple(int(p) for p in chart["version"].split(".")) >= (0, 27, 0)
    values = chart["values"]
    assert values["nodeSelector"] == {"eks.amazonaws.com/capacityType": "SPOT"}
    assert values["enableSpotInterruptionDraining"] is True
    assert values["enableSqsTerminationDraining"] is False  # IMDS mode
    assert values["enableRebalanceDraining"] is False  # EKS drains on rebalance; never twice


def test_dns_points_at_the_load_balancer(aws: StackRun) -> None:
    record = aws.one("aws:route53/record:Record").inputs
    assert record["zoneId"] == "Z0123456789EXAMPLE"
    assert record["name"] == "chat.example.com"
    # An alias A record: valid at the zone apex, where a CNAME is not.
    assert record["type"] == "A"
    assert "records" not in record
    assert record["aliases"] == [
        {
            "name": "k8s-traefik-0123456789.elb.us-east-1.amazonaws.com",
            "zoneId": "Z26RNL4JYFTOTI",
            "evaluateTargetHealth": True,
        }
    ]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("awsPublicAccessCidrs", "[]", "must list the CIDRs"),
        ("awsPublicAccessCidrs", '["10.0.0.0/33"]', "must be a CIDR"),
        ("awsSpotInstanceTypes", '["m6i.large"]', "at least two instance types"),
        ("awsSpotInstanceTypes", '["m6i.large", "huge"]', "EC2 instance types"),
        ("awsHostedZoneId", "example.com", "a Route53 hosted zone id"),
        ("awsAcmeEmail", "nobody", "the e-mail"),
        ("awsAcmeServer", "prod", "must be one of staging, production"),
        ("awsKubernetesVersion", "1.33", "must be one of 1.34, 1.35"),
        ("awsZoneIds", '["us-east-1a", "us-east-1b", "us-east-1c"]', "availability zone IDs like use1-az1"),
        ("awsZoneIds", '["use1-az1", "use1-az2"]', "must list awsAzCount (3)"),
        ("awsZoneIds", '["use1-az1", "use1-az2", "use1-az3"]', "cannot host EKS"),
        ("awsLogRetentionDays", "10", "must be one of 1, 3, 5"),
        ("awsRedisAckReplicas", "5", "must be between 0 and 4"),
        ("awsRedisReplicas", "2", "must be at least 3 while awsRedisAckReplicas is 1"),
        ("awsBackendMaxReplicas", "2", "must be at least backendReplicas (3)"),
        ("backendReplicas", "1", "must be at least 2 on aws"),
        ("awsAzCount", "1", "must be between 2 and 6"),
        ("awsSpotDesiredSize", "20", "must be between awsSpotMinSize"),
        ("awsRedisReplicas", "1", "must be between 2 and 6"),
        ("awsRedisShards", "0", "must be between 1 and 30"),
        ("awsRedisAuthUpdate", "DELETE", "must be one of ROTATE, SET"),
    ],
)
def test_bad_aws_value_names_the_key(
    run_stack: Callable[..., StackRun], key: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        run_stack("aws", {f"chat-platform:{key}": value})
    assert str(error.value).startswith(f"chat-platform:{key} ")
    assert message in str(error.value)
