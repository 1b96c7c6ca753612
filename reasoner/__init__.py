"""dorsum: a declarative reasoner for a lump on the back.

The clinical knowledge lives in ontology/, shapes/ and queries/; this package only loads it,
runs it, records provenance and serialises results. It knows no clinical term.
"""

__version__ = "0.2.0"

DISCLAIMER = (
    "dorsum is clinical decision support for healthcare professionals. It does not replace "
    "clinical judgement; verify every recommendation against current guidance before acting on it."
)
