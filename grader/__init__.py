"""Pretraining Lab's grader: exercise checks, the trusted verifier, nbgrader glue and the CLI."""
