"""The Pulumi program against a real engine and a real Kubernetes API server (`make test-cluster`)."""
