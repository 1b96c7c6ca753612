"""`dorsum docs`: the ontology reference, rule catalogue, pathway diagram and hazard log as files."""
