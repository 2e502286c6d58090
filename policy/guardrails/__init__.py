"""The chat-platform guardrails: each rule is a plain function of (resource type, inputs)
returning violation messages, so it is testable without the Pulumi CLI (see tests/)."""
