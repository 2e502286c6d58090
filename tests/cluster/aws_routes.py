"""The aws stack's routing, for real: its IngressRoute and Middlewares, exactly as the program
renders them under mocks, served by the Traefik release the aws stack pins (with that release's
CRDs) on the test node, in front of the minikube stack's backend and frontend. What it checks is
what a browser meets on AWS: TLS with the route's certificate, `/api` to the backend and the rest
to the frontend, HSTS on both, the rate limit on `/api` only, and no other host routed."""

from __future__ import annotations

import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import yaml
from pulumi_harness import manifest

from tests.cluster.kube import Kubectl, render_aws
from tests.cluster.traffic import resolving

HSTS = "max-age=63072000; includeSubDomains; preload"
BURST = 150  # requests at once: past the `/api` route's burst of 100


def rendered_routes(namespace: str) -> tuple[str, str, list[dict[str, Any]]]:
    """The aws stack's host, TLS Secret name and Traefik objects, moved into `namespace`."""
    run = render_aws()
    objects = [
        manifest(r) for r in run.custom_resources() if r.inputs["apiVersion"].startswith("traefik.io/")
    ]
    assert {o["kind"] for o in objects} == {"IngressRoute", "Middleware"}, [o["kind"] for o in objects]
    for o in objects:
        o["metadata"]["namespace"] = namespace
        for route in o["spec"].get("routes", []):
            for middleware in route.get("middlewares", []):
                middleware["namespace"] = namespace
    (route,) = (o for o in objects if o["kind"] == "IngressRoute")
    host = route["spec"]["routes"][0]["match"].split("Host(`", 1)[1].split("`", 1)[0]
    return host, route["spec"]["tls"]["secretName"], objects


def self_signed(host: str, directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={host}",
            "-addext",
            f"subjectAltName=DNS:{host}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def check_routes(kubectl: Kubectl, namespace: str, ingress: str) -> str:
    host, secret, objects = rendered_routes(namespace)
    with tempfile.TemporaryDirectory() as scratch:
        cert, key = self_signed(host, Path(scratch))
        kubectl.run("create", "secret", "tls", secret, "-n", namespace, f"--cert={cert}", f"--key={key}")
        kubectl.run("apply", "-f", "-", stdin=yaml.safe_dump_all(objects))
        try:
            with (
                resolving(host, ingress),
                httpx.Client(base_url=f"https://{host}", verify=str(cert)) as client,
            ):
                return _serve(client, host)
        finally:
            kubectl.run("delete", "-f", "-", stdin=yaml.safe_dump_all(objects), check=False)
            kubectl.run("delete", "secret", secret, "-n", namespace, check=False)


def _serve(client: httpx.Client, host: str) -> str:
    api = _until_routed(client, "/api/healthz")
    assert api.headers.get("strict-transport-security") == HSTS, api.headers
    page = client.get("/")
    assert page.status_code == 200, page.status_code
    assert '<div id="root"' in page.text, page.text[:200]
    assert page.headers.get("strict-transport-security") == HSTS, page.headers

    def burst(path: str) -> list[int]:
        with ThreadPoolExecutor(max_workers=32) as pool:
            return list(pool.map(lambda _: client.get(path).status_code, range(BURST)))

    api_codes, page_codes = burst("/api/healthz"), burst("/")
    limited = api_codes.count(429)
    assert limited, sorted(set(api_codes))
    assert set(api_codes) <= {200, 429}, sorted(set(api_codes))
    assert set(page_codes) == {200}, sorted(set(page_codes))
    other = client.get("/api/healthz", headers={"Host": f"other.{host}"})
    assert other.status_code == 404, other.status_code
    return (
        f"https://{host}: /api → backend, / → frontend, HSTS on both, "
        f"{limited} of {BURST} /api requests at once rate-limited (0 of /), other hosts 404"
    )


def _until_routed(client: httpx.Client, path: str) -> httpx.Response:
    """Traefik picks new routes up within a few seconds of their creation."""
    for _ in range(60):
        try:
            response = client.get(path)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            return response
        time.sleep(1)
    raise AssertionError(f"{path} never routed: {response.status_code if response else 'no answer'}")
