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


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SUB_PROPERTY = "http://www.w3.org/2000/01/rdf-schema#subPropertyOf"
SYMMETRIC = "http://www.w3.org/2002/07/owl#SymmetricProperty"
SKOS_DEFINITION = "http://www.w3.org/2004/02/skos/core#definition"
SKOS_MEMBER = "http://www.w3.org/2004/02/skos/core#member"


@lru_cache(maxsize=4)
def load_ontology(path: str | None = None) -> Ontology:
    """Parse kg.ttl and collect its relation properties.

    Read with pyoxigraph's parser (in Rust) rather than rdflib's: every ``kg extract`` starts by
    reading it, and rdflib's import and parse took half a second of that start-up.
    """
    import pyoxigraph as ox

    ttl = Path(path) if path else ontology_dir() / "kg.ttl"
    try:
        data = ttl.read_bytes()
        triples = list(ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=ttl.resolve().as_uri()))
    except FileNotFoundError:
        raise OntologyError(ttl, None, "ontology file not found") from None
    except SyntaxError as exc:
        raise OntologyError(ttl, exc.lineno, f"not valid Turtle: {exc.msg}".splitlines()[0]) from None

    # subject IRI -> predicate IRI -> objects (terms), in file order
    about: dict[str, dict[str, list]] = {}
    sub_of: dict[str, set[str]] = {}  # property -> its super-properties
    for t in triples:
        if not isinstance(t.subject, ox.NamedNode):
            continue
        about.setdefault(t.subject.value, {}).setdefault(t.predicate.value, []).append(t.object)
        if t.predicate.value == SUB_PROPERTY and isinstance(t.object, ox.NamedNode):
            sub_of.setdefault(t.subject.value, set()).add(t.object.value)

    def supers(prop: str) -> set[str]:
        """Every property ``prop`` is rdfs:subPropertyOf*, itself included."""
        seen, todo = {prop}, [prop]
        while todo:
            for parent in sub_of.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    top = KG + "actorRelation"
    names = {}
    for prop in sub_of:
        if prop == top or top not in supers(prop):
            continue
        if not prop.startswith(KG):
            raise OntologyError(ttl, None, f"relation {prop} is outside the kg namespace {KG}")
        names[prop] = prop[len(KG) :]
    if not names:
        raise OntologyError(ttl, None, "no relation is declared rdfs:subPropertyOf kg:actorRelation")

    def literal(subject: str, predicate: str) -> str | None:
        values = [o for o in about.get(subject, {}).get(predicate, ()) if isinstance(o, ox.Literal)]
        english = [v for v in values if v.language in (None, "en")]
        return (english or values)[0].value if values else None

    def iris(subject: str, predicate: str) -> list[str]:
        return [o.value for o in about.get(subject, {}).get(predicate, ()) if isinstance(o, ox.NamedNode)]

    core = set(iris(KG + "CoreRelations", SKOS_MEMBER))
    for member in sorted(core - set(names)):
        raise OntologyError(ttl, None, f"kg:CoreRelations lists {member}, which is not a relation")

    relations = {}
    for prop, name in names.items():
        label = literal(prop, RDFS_LABEL)
        if not label:
            raise OntologyError(ttl, None, f"relation kg:{name} has no rdfs:label")
        polarity_iri = next(iter(iris(prop, KG + "polarity")), None)
        polarity = polarity_iri[len(KG) :].lower() if polarity_iri else "neutral"
        parents = tuple(sorted(names[p] for p in sub_of.get(prop, ()) if p in names))
        ancestors = frozenset(names[p] for p in supers(prop) if p in names and p != prop)
        standing = literal(prop, KG + "standing")
        relations[name] = Relation(
            name=name,
            label=label,
            kebab=literal(prop, KG + "kebabName") or kebab_case(name),
            symmetric=SYMMETRIC in iris(prop, RDF_TYPE),
            definition=literal(prop, SKOS_DEFINITION) or "",
            plover=literal(prop, KG + "ploverCategory"),
            cameo=literal(prop, KG + "cameoCode"),
            polarity=polarity,
            standing=str(standing).lower() == "true",
            parents=parents,
            ancestors=ancestors,
            core=prop in core or not core,  # no core collection: every relation is core
        )
    return Ontology(dict(sorted(relations.items())), ttl)
