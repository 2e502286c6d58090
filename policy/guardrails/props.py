"""Reading resource inputs the way the policy engine hands them over.

During `pulumi preview` the engine wraps inputs in read-only Mapping/Sequence proxies (not
dict/list), so the rules test for the abstract types. A string is a Sequence too: never a list here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Props = Mapping[str, Any]
# A rule: (resource type token, resource inputs) -> violation messages (empty when compliant).
Rule = Callable[[str, Props], list[str]]


@dataclass(frozen=True)
class Resource:
    """A resource as a guardrail sees it: its inputs, the options that matter, and the config of
    the stack it belongs to (as the Pulumi CLI hands it to the pack: "project:key" -> value)."""

    type: str
    props: Props
    protect: bool = False
    stack_config: Mapping[str, str] = field(default_factory=dict)


# A guardrail's check: the resource -> violation messages (empty when compliant).
Check = Callable[[Resource], list[str]]


def on_inputs(rule: Rule) -> Check:
    """A check made of a rule that needs only the resource's type and inputs."""
    return lambda resource: rule(resource.type, resource.props)


def mapping(value: Any) -> Props:
    """The value if it is an object, else an empty one (absent and null read the same)."""
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> Iterator[Any]:
    """The elements of a list value; nothing for absent, null or a scalar."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        yield from value


def path(props: Props, *keys: str) -> Any:
    """props[k1][k2]... or None when any step is missing."""
    value: Any = props
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def is_true(value: Any) -> bool:
    """Some provider fields are booleans, some older ones strings ("true")."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def number(value: Any) -> float | None:
    """A numeric input (the engine sends every number as a float), None for anything else."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
