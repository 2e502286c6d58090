"""The policy pack's entry point (run by the Pulumi CLI: `pulumi preview --policy-pack policy`).

It only wires the guardrails into pulumi-policy; the rules live in guardrails/ as plain functions.
Importing this module starts the policy gRPC server and blocks, so tests never import it.
"""

from guardrails.catalog import GUARDRAILS, Guardrail
from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def as_policy(guardrail: Guardrail) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in guardrail.check(args.resource_type, args.props):
            report_violation(message, None)

    return ResourceValidationPolicy(name=guardrail.name, description=guardrail.description, validate=validate)


PolicyPack(
    name="chat-platform-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[as_policy(g) for g in GUARDRAILS],
)
