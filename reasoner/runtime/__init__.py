"""What a run holds besides the knowledge base: the on-disk cache of closed ontologies and query analyses, and the garbage-collector policy."""
