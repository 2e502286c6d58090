"""The policy pack's entry point (run by the Pulumi CLI: `pulumi preview --policy-pack policy`).

It only wires the guardrails into pulumi-policy; the rules live in guardrails/ as plain functions.
Importing this module starts the policy gRPC server and blocks, so tests never import it.
"""

import json
import os

from guardrails.catalog import GUARDRAILS, Guardrail
from guardrails.props import Resource
from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

# The stack's config ("project:key" -> value): the CLI passes it to the pack's process, as to the
# program's.
STACK_CONFIG: dict[str, str] = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")


def as_policy(guardrail: Guardrail) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource = Resource(args.resource_type, args.props, bool(args.opts.protect), STACK_CONFIG)
        for message in guardrail.check(resource):
            report_violation(message, None)

    return ResourceValidationPolicy(name=guardrail.name, description=guardrail.description, validate=validate)


PolicyPack(
    name="chat-platform-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[as_policy(g) for g in GUARDRAILS],
)
