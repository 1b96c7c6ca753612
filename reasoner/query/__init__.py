"""Running SPARQL over a store safely: the SERVICE/update check, resource limits, worker processes and the saved analytics queries."""
