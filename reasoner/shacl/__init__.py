"""Validation: the case shapes compiled to SPARQL, and the validator that reports errors in the input's own terms."""
