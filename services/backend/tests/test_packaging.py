"""`pip install .` (as the Dockerfile installs the backend) ships every module: setuptools,
given the pyproject's own rule, finds each directory of the package that holds one."""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_packages

BACKEND = Path(__file__).resolve().parents[1]


def test_every_directory_with_modules_is_a_package_the_wheel_ships() -> None:
    pyproject = tomllib.loads((BACKEND / "pyproject.toml").read_text())
    rule = pyproject["tool"]["setuptools"]["packages"]["find"]
    shipped = set(find_packages(where=str(BACKEND), include=rule["include"]))
    holding_modules = {
        ".".join(path.parent.relative_to(BACKEND).parts) for path in (BACKEND / "chat_backend").rglob("*.py")
    }
    assert {"chat_backend.store", "chat_backend.realtime", "chat_backend.http"} <= holding_modules
    assert holding_modules - shipped == set(), "a directory without __init__.py is left out of the wheel"
