"""Stacks: compose the constructs of `infra.constructs`, wire grants, environment variables and outputs."""
