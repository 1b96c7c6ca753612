"""Reproducibility: run manifests and `dorsum verify`, canonical RDF, the behaviour diff between knowledge bases, and releases."""
