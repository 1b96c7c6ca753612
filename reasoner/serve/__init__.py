"""`dorsum serve`: the SPARQL 1.1 endpoint and the classification route."""
