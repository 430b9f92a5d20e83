"""kg: turn writing about international affairs into a knowledge graph.

The pipeline stages are plain modules: :mod:`kg.documents` (read inputs), :mod:`kg.extract`
(mentions, relations, modality, evidence), :mod:`kg.evaluate` (scores against gold). Data that
people edit lives in ``ontology/``: the OWL vocabulary, SHACL shapes, the actor gazetteer and the
relation patterns.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
