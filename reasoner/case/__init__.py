"""Cases in: reading JSON, JSON Lines, JSON-LD and RDF input into one graph per case.

intake reads files and standard input into records and records into cases (its names are the ones
other subsystems import); flat and flatjson read the flat JSON form, rdf reads RDF and JSON-LD
documents, json_text is JSON itself, isolation says what an RDF case may describe, graphs names
blank nodes, ids decides which case keeps an id given twice, problems words an error, case_input
is what intake hands on, context is the shipped JSON-LD context."""
