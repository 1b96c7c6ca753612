"""`dorsum serve`: the SPARQL 1.1 endpoint and the classification route (app), and who may connect and for how long (guards)."""
