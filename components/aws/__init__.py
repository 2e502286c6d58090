"""AWS pieces of the production platform (one ComponentResource per concern)."""
