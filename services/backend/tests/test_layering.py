"""The backend's layers (services/backend/README.md, "Layout"), read from its source: a module
imports only modules of its own layer and of those below, and no modules import each other
round a cycle. Imports made only for type checking count: they tie modules together as much."""

from __future__ import annotations

import ast
from pathlib import Path

import chat_backend
import pytest

PACKAGE = Path(chat_backend.__file__).parent
# Lowest first: a module's layer is the last one its name is in. The package's own modules
# (settings, protocol, names, metrics, logs) are the shared bottom, but for the two named here.
LAYERS = (
    "chat_backend",
    "chat_backend.store",
    "chat_backend.archive",
    "chat_backend.realtime",
    "chat_backend.http",
    "chat_backend.app",
    "chat_backend.__main__",
)
Graph = dict[str, set[str]]  # module -> the package's modules it imports


def layer(module: str) -> int:
    return max(i for i, name in enumerate(LAYERS) if module == name or module.startswith(f"{name}."))


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package at `root`, by name (a subpackage by its own name)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(module: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules `module` imports, anywhere in it (in functions, under
    TYPE_CHECKING): `from x import y` names module x.y when there is one, else x."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}" if base else anchor
            names.update(
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names
            )
    return {found for name in names if (found := _module_of(name, known))} - {module}


def _module_of(name: str, known: set[str]) -> str:
    """The longest known module `name` is or is inside; "" for none (outside the package)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


def graph(root: Path) -> Graph:
    found = modules(root)
    return {module: imported(module, path, set(found)) for module, path in found.items()}


def upward(edges: Graph) -> list[str]:
    """Imports of a module in a higher layer."""
    return sorted(
        f"{module} -> {target} ({LAYERS[layer(module)]} may not import {LAYERS[layer(target)]})"
        for module, targets in edges.items()
        for target in targets
        if layer(target) > layer(module)
    )


def cycles(edges: Graph) -> list[list[str]]:
    """Every set of modules that import each other round a cycle (Tarjan's strongly connected
    components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in edges.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_every_layer_holds_modules_and_they_import_each_other() -> None:
    edges = graph(PACKAGE)
    assert {LAYERS[layer(module)] for module in edges} == set(LAYERS)
    assert sum(map(len, edges.values())) > 50, "the import graph is too small to be the backend's"


def test_imports_run_down_the_layers() -> None:
    assert upward(graph(PACKAGE)) == []


def test_no_modules_import_each_other_round_a_cycle() -> None:
    assert cycles(graph(PACKAGE)) == []


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "chat_backend"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from chat_backend.realtime.hub import Hub\n", "chat_backend.realtime.hub"),
        ("from chat_backend.http import routes\n", "chat_backend.http.routes"),
        ("from ..realtime import hub\n", "chat_backend.realtime.hub"),
        ("def later():\n    import chat_backend.app\n", "chat_backend.app"),
    ],
)
def test_an_import_up_from_the_store_is_found(tmp_path: Path, source: str, expected: str) -> None:
    root = _write(
        tmp_path,
        {
            "chat_backend/__init__.py": "",
            "chat_backend/app.py": "",
            "chat_backend/store/__init__.py": "",
            "chat_backend/store/rooms.py": source,
            "chat_backend/realtime/__init__.py": "",
            "chat_backend/realtime/hub.py": "from chat_backend.store import rooms\n",
            "chat_backend/http/__init__.py": "",
            "chat_backend/http/routes.py": "from chat_backend.realtime.hub import Hub\n",
        },
    )
    assert [line.split(" (")[0] for line in upward(graph(root))] == [
        f"chat_backend.store.rooms -> {expected}"
    ]


def test_a_cycle_through_a_type_checking_import_is_found(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "chat_backend/__init__.py": "",
            "chat_backend/realtime/__init__.py": "",
            "chat_backend/realtime/connection.py": "from chat_backend.realtime.tail import Sub\n",
            "chat_backend/realtime/tail.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from chat_backend.realtime.connection import Connection\n"
            ),
            "chat_backend/realtime/hub.py": "from chat_backend.realtime import connection, tail\n",
        },
    )
    edges = graph(root)
    assert upward(edges) == []
    assert cycles(edges) == [["chat_backend.realtime.connection", "chat_backend.realtime.tail"]]
