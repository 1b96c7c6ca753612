"""Results out: provenance (PROV-O), the JSON view, the human-readable report and RDF serialisation."""
