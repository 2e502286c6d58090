"""The chat-platform Pulumi program: load the typed config, then compose the stack's platform."""

from components.config import load
from components.stacks import build

build(load())
