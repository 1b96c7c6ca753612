"""The case store: an on-disk Oxigraph store of case graphs, and the bulk load with worker processes."""
