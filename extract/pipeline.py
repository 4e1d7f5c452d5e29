"""The extraction pipeline: small named stages, each filling one kind of annotation on the
PolicyDocument (spaCy's model: the document carries its annotations from stage to stage).

    read -> normalise -> meta  (load_document)
    outline -> clauses -> resolve -> entities -> targets  (STAGES)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from policykg.extract.clauses import extract_tasks
from policykg.extract.meta import complete_meta
from policykg.extract.model import DocumentMeta, PolicyDocument
from policykg.extract.normalise import normalise
from policykg.extract.outline import build_outline
from policykg.extract.read import read_source

Stage = Callable[[PolicyDocument], PolicyDocument]


def load_document(path: Path, meta: DocumentMeta | None = None) -> PolicyDocument:
    """Read, decode and normalise one file; metadata from `meta` (a manifest entry), the
    gaps inferred from the text. Raises read.SourceError for files that cannot be read."""
    source = read_source(Path(path))
    text, display, offsets = normalise(source.text)  # markup was already turned into text
    doc = PolicyDocument(
        path=Path(path),
        sha256=source.sha256,
        encoding=source.encoding,
        original=source.text,
        text=text,
        display=display,
        offsets=offsets,
    )
    doc.warnings.extend(source.warnings)
    doc.meta = complete_meta(meta, text, doc.name)
    return doc


def resolve_units(doc: PolicyDocument) -> PolicyDocument:
    """Resolve every unit of every clause to a canonical body, list by list (a 市 prefix or
    a shared suffix written once applies to its neighbours)."""
    from policykg.extract.resolve import resolve_mentions

    jurisdiction, province = doc.meta.jurisdiction, doc.meta.province
    for task in doc.tasks:
        resolve_mentions(task.clause.units, jurisdiction, province)
    return doc


def extract_entities(doc: PolicyDocument) -> PolicyDocument:
    from policykg.extract.entities import extract_entities as _extract

    doc.entities = _extract(doc)
    return doc


def extract_targets(doc: PolicyDocument) -> PolicyDocument:
    from policykg.extract.targets import extract_targets as _extract

    doc.targets = _extract(doc)
    return doc


STAGES: list[tuple[str, Stage]] = [
    ("outline", build_outline),
    ("clauses", extract_tasks),
    ("resolve", resolve_units),
    ("entities", extract_entities),
    ("targets", extract_targets),
]


# The annotation lists a stage may fill: put back as they were when the stage fails.
_ANNOTATIONS = ("sections", "tasks", "entities", "targets")


def process_document(doc: PolicyDocument, stages: list[tuple[str, Stage]] | None = None) -> PolicyDocument:
    """Every stage in order. A stage that fails on this document is isolated: the document
    keeps what the other stages found, the failed stage's annotations are put back as they
    were, and a warning names the stage and the error (one stage's bug never loses a plan)."""
    for name, stage in stages if stages is not None else STAGES:
        before = {attr: getattr(doc, attr) for attr in _ANNOTATIONS}
        copies = {attr: list(value) for attr, value in before.items()}
        try:
            doc = stage(doc)
        except Exception as exc:  # a bug in one stage, on one document
            for attr, value in copies.items():
                setattr(doc, attr, value)
            message = " ".join(str(exc).split())[:200]
            doc.warn(f"the {name} stage failed ({type(exc).__name__}: {message}); "
                     f"its annotations are missing, the rest of the document is kept")
    return doc


def process_file(path: Path, meta: DocumentMeta | None = None,
                 stages: list[tuple[str, Stage]] | None = None) -> PolicyDocument:
    """One file through every stage."""
    return process_document(load_document(path, meta), stages)
