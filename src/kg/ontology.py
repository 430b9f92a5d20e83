"""The relation vocabulary, read from ``ontology/kg.ttl``.

The Turtle file is the single source of truth: labels, symmetry, the sub-property hierarchy,
PLOVER categories, CAMEO codes and polarity all come from it. Relations are the properties that
are ``rdfs:subPropertyOf*`` ``kg:actorRelation``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kg.errors import OntologyError, UsageError
from kg.resources import ontology_dir

KG = "https://w3id.org/kgia/ontology#"
ID = "https://w3id.org/kgia/id/"
VOCABULARIES = ("core", "full")


@dataclass(frozen=True)
class Relation:
    name: str  # camelCase local name, e.g. suppliesMunitionsTo
    label: str
    kebab: str
    symmetric: bool
    definition: str = ""
    plover: str | None = None
    cameo: str | None = None
    polarity: str = "neutral"
    standing: bool = False
    parents: tuple[str, ...] = ()
    ancestors: frozenset[str] = field(default_factory=frozenset)
    core: bool = True  # a member of kg:CoreRelations, the default vocabulary

    @property
    def iri(self) -> str:
        return KG + self.name


def kebab_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


def _key(name: str) -> str:
    return re.sub(r"[-_\s]", "", name).lower()


class Ontology:
    """The relations of the kg vocabulary, looked up by either spelling."""

    def __init__(self, relations: dict[str, Relation], path: Path | None = None):
        self.relations = relations
        self.path = path
        self._by_key = {_key(r.name): r for r in relations.values()}

    def __contains__(self, name: str) -> bool:
        return _key(name) in self._by_key

    def __getitem__(self, name: str) -> Relation:
        return self.resolve(name)

    def resolve(self, name: str) -> Relation:
        """Find a relation by camelCase (alignsWith) or kebab-case (aligns-with) name."""
        rel = self._by_key.get(_key(name))
        if rel is None:
            choices = sorted(r.kebab for r in self.relations.values())
            close = difflib.get_close_matches(kebab_case(name), choices, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else f"choose from {', '.join(choices)}"
            raise UsageError(f"unknown relation {name!r}; {hint}")
        return rel

    def vocabulary(self, name: str) -> frozenset[str]:
        """The relation names of a vocabulary: ``core`` (kg:CoreRelations) or ``full`` (all)."""
        if name == "full":
            return frozenset(self.relations)
        if name == "core":
            return frozenset(r.name for r in self.relations.values() if r.core)
        raise UsageError(f"unknown vocabulary {name!r}; choose from {', '.join(VOCABULARIES)}")

    def is_more_specific(self, narrow: str, broad: str) -> bool:
        return broad in self.relations[narrow].ancestors


@lru_cache(maxsize=4)
def load_ontology(path: str | None = None) -> Ontology:
    """Parse kg.ttl and collect its relation properties."""
    import rdflib
    from rdflib.namespace import OWL, RDF, RDFS, SKOS

    ttl = Path(path) if path else ontology_dir() / "kg.ttl"
    g = rdflib.Graph()
    try:
        g.parse(ttl, format="turtle")
    except FileNotFoundError:
        raise OntologyError(ttl, None, "ontology file not found") from None
    except Exception as exc:  # rdflib raises several parser exception types
        raise OntologyError(ttl, None, f"not valid Turtle: {exc}".splitlines()[0]) from None

    ns = rdflib.Namespace(KG)
    top = ns.actorRelation
    names = {}
    for prop in g.transitive_subjects(RDFS.subPropertyOf, top):
        if prop == top:
            continue
        if not str(prop).startswith(KG):
            raise OntologyError(ttl, None, f"relation {prop} is outside the kg namespace {KG}")
        names[prop] = str(prop)[len(KG) :]
    if not names:
        raise OntologyError(ttl, None, "no relation is declared rdfs:subPropertyOf kg:actorRelation")

    def literal(subject, predicate):
        values = [o for o in g.objects(subject, predicate) if isinstance(o, rdflib.Literal)]
        english = [v for v in values if v.language in (None, "en")]
        return str((english or values)[0]) if values else None

    core = set(g.objects(ns.CoreRelations, SKOS.member))
    for member in sorted(core - set(names)):
        raise OntologyError(ttl, None, f"kg:CoreRelations lists {member}, which is not a relation")

    relations = {}
    for prop, name in names.items():
        label = literal(prop, RDFS.label)
        if not label:
            raise OntologyError(ttl, None, f"relation kg:{name} has no rdfs:label")
        polarity_iri = g.value(prop, ns.polarity)
        polarity = str(polarity_iri)[len(KG) :].lower() if polarity_iri else "neutral"
        parents = tuple(sorted(names[p] for p in g.objects(prop, RDFS.subPropertyOf) if p in names))
        ancestors = frozenset(
            names[p] for p in g.transitive_objects(prop, RDFS.subPropertyOf) if p in names and p != prop
        )
        standing = literal(prop, ns.standing)
        relations[name] = Relation(
            name=name,
            label=label,
            kebab=literal(prop, ns.kebabName) or kebab_case(name),
            symmetric=(prop, RDF.type, OWL.SymmetricProperty) in g,
            definition=literal(prop, SKOS.definition) or "",
            plover=literal(prop, ns.ploverCategory),
            cameo=literal(prop, ns.cameoCode),
            polarity=polarity,
            standing=str(standing).lower() == "true",
            parents=parents,
            ancestors=ancestors,
            core=prop in core or not core,  # no core collection: every relation is core
        )
    return Ontology(dict(sorted(relations.items())), ttl)
