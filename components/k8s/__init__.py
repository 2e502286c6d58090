"""Kubernetes ComponentResources shared by every platform."""
