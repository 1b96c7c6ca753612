"""`dorsum docs`: the ontology reference, rule catalogue, pathway diagram and hazard log as files.

The names of the files it writes are here, so every page links to the others by one spelling."""

ONTOLOGY_HTML = "ontology.html"
RULES_HTML = "rules.html"
RULES_MD = "rules.md"
PATHWAY_DOT = "pathway.dot"
PATHWAY_SVG = "pathway.svg"
INDEX_HTML = "index.html"
HAZARDS_MD = "hazards.md"
