"""``kg validate``: SHACL validation of the store against ``ontology/shapes.ttl``.

The ontology (``kg.ttl``) is mixed into the data graph as pySHACL's ontology graph, which the
shapes need (sub-classes of kg:Actor, the relation hierarchy). Warnings (severity sh:Warning)
are reported but do not make the graph fail.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from kg.errors import KgError
from kg.resources import ontology_dir


class ValidationError(KgError):
    exit_code = 2


@dataclass
class ValidationReport:
    conforms: bool
    violations: int
    warnings: int
    text: str
    triples: int


def validate_store(store) -> ValidationReport:
    import rdflib
    from pyshacl import validate

    from kg.export import export

    buf = io.BytesIO()
    export(store, "ntriples", buf)
    data = rdflib.Graph()
    data.parse(data=buf.getvalue().decode("utf-8"), format="nt")
    n = len(data)
    folder = ontology_dir()
    try:
        shapes = rdflib.Graph().parse(folder / "shapes.ttl", format="turtle")
        onto = rdflib.Graph().parse(folder / "kg.ttl", format="turtle")
    except Exception as exc:  # rdflib raises several parser exception types
        raise ValidationError(f"{folder}: cannot read shapes.ttl or kg.ttl: {exc}") from None
    _conforms, results, text = validate(
        data, shacl_graph=shapes, ont_graph=onto, inference="none", allow_warnings=True,
        abort_on_first=False, meta_shacl=False, advanced=True,
    )
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    severities = list(results.objects(None, SH.resultSeverity))
    violations = sum(1 for s in severities if s == SH.Violation)
    warnings = len(severities) - violations
    return ValidationReport(violations == 0, violations, warnings, text, n)
