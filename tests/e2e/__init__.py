"""Browser end-to-end tests of the whole app (started by the `make dev` launcher)."""
