"""Placeholder module for case commands (validate, classify, explain)."""
