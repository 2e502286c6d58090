"""The generated parts of the docs, each rendered from the one place its facts live: the config
tables from Pulumi.yaml, the AWS version pins from the aws stack itself (under mocks), the
measured figures from the result files under docs/results/, the protocol's JSON Schema from the
backend's models. `make docs` (`python -m docgen`) rewrites the pages, `make protocol` the schema;
tests/lint fails when one is stale."""
