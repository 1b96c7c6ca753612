"""Cases in: reading JSON, JSON Lines, JSON-LD and RDF input into one graph per case, the flat JSON form and its context."""
