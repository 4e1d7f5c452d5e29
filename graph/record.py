"""One document's summary and fragment file (graph/fragments.py), encoded straight from the
document model: the bytes `encode_document(document_graph(doc), document_rows(doc))` writes,
without its list of graph additions merged again, a dict and a type check per element, or a
scan of every written text for what XML or CSV would have to clean or escape.

What decides how a value is written is checked once per document instead (`_plain_texts`, and
a few tests on the way): no text of the document holds a character to clean (XML 1.0's forbidden
characters, a lone surrogate) — the quotes and task texts are slices of the original text (the
model's contract), so the original text is checked whole rather than each of them —, a text with
& < > has them escaped (R&D is common), no name (a unit, entity or indicator as written or named)
holds what CSV quotes, no id what an XML attribute quotes; no two tasks share a path, no two
MENTIONS or TARGETS edges share their ends and key, every number is an int or a float that orjson
writes as json does. A document that is not plain in every one of these ways (a fuzzed file, a
file name that is not UTF-8) is encoded the general way. tests/test_record.py compares both on
real and fuzzed documents.

The GraphML elements and most CSV rows are written as bytes (`bytes % values` over UTF-8
templates) from each value's UTF-8, right after the element's graph.json line: orjson caches the
UTF-8 of every text it writes in the str itself, so that `.encode()` of a long quote, task text
or paragraph is a copy, where encoding a str element made of it would encode the text again.
"""

from __future__ import annotations

import itertools
import json
import operator
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import orjson
from policykg.extract.model import PolicyDocument, Task
from policykg.graph.build import (
    add_labels,
    add_missing_properties,
    document_citations,
    document_head,
    document_properties,
)
from policykg.graph.export import TABLES, graphml_key_id, graphml_node, responsibility_rows
from policykg.graph.fragments import THIS_DOCUMENT, csv_field
from policykg.graph.task_sheet import SheetRows

# what XML 1.0 cannot carry (sanitise.clean_text's characters)
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# in names: also what CSV quotes; in ids (XML attributes and CSV fields) what either would quote; in
# both what JSON escapes (a backslash, any control character), so that a name's or id's UTF-8 is also
# its JSON string in the graph.json lines written by template
_NAME_SPECIAL = re.compile('[",\\\\\x00-\x1f\ud800-\udfff\ufffe\uffff]')
_NAME_OR_XML_SPECIAL = re.compile('[&<>",\\\\\x00-\x1f\ud800-\udfff\ufffe\uffff]')
_ID_SPECIAL = re.compile('[&<>",\\\\\x00-\x1f\ud800-\udfff\ufffe\uffff]')


def _data(scope: str, names: list[str]) -> str:
    """The <data> elements of these attributes, each value a %s slot."""
    return "".join(f'<data key="{graphml_key_id(scope, name)}">%s</data>' for name in names)


# The <data> elements of each kind of element this module writes, in the order of their attributes
# (a Task node's GraphML attributes: `kind` for its label, `label` its display name, at the end)
_TASK_NAMES = ["id", "kind", "labels", "name", "title", "titleOriginal", "path", "docId", "docSha256", "clauseForm",
               "start", "end", "quote", "paragraphStart", "paragraphEnd", "text", "textStart", "textEnd", "deadline",
               "deadlineText", "dueBy", "content", "sectionTitle", "current", "label"]
# a Task node's keys in graph.json (build.add_task's node: its label after its id, no display label)
_TASK_NODE_KEYS = ["id", "label", *_TASK_NAMES[2:-1]]
_TASK = '<node id="%s">' + _data("node", _TASK_NAMES) + "</node>\n"
_PART_OF = ('<edge id="PART_OF" source="%s" target="%s">'
            + _data("edge", ["type", "docSha256", "start", "end", "quote", "label"]) + "</edge>\n")
_UNIT_EDGE = ('<edge id="%s" source="%s" target="%s">'
              + _data("edge", ["type", "written", "rule", "flagged", "taskPath", "docSha256", "start", "end",
                               "quote", "label"]) + "</edge>\n")
_TARGET_YEAR, _TARGET_VALUE, _TARGET_MAX = _data("edge", ["year"]), _data("edge", ["value"]), \
    _data("edge", ["valueMax"])
_TARGET_REST = _data("edge", ["unit", "qualifier", "source", "written", "taskPath", "recurrence", "docSha256",
                              "start", "end", "quote", "label"]) + "</edge>\n"


def _filled(template: str, slots: list[str]) -> bytes:
    """A %s template as UTF-8 bytes with its slots replaced one by one: %s, %d or a constant."""
    parts = template.split("%s")
    if len(parts) != len(slots) + 1 or any("%" in part for part in parts):
        raise ValueError(f"not a template of {len(slots)} plain %s slots: {template!r}")
    return "".join(part + (slots[i] if i < len(slots) else "") for i, part in enumerate(parts)).encode()


# a Task node's GraphML: its id (twice), name, title, titleOriginal, path, clauseForm, start, end, quote,
# paragraphStart, paragraphEnd, text, textStart, textEnd, deadline, deadlineText, dueBy, content,
# sectionTitle, label; its kind, labels and current written in, its document's id (@D) and sha256 (@S)
# filled in per document
_TASK_BYTES = _filled(_TASK, ["%s", "%s", "Task", "Task", "%s", "%s", "%s", "%s", "@D", "@S", "%s", "%d", "%d", "%s",
                              "%d", "%d", "%s", "%d", "%d", "%s", "%s", "%s", "%s", "%s", "true", "%s"])
# The edges' GraphML elements by template, the document's sha256 (@S) and, in PART_OF's, its id (@D)
# filled in per document (_encode_record): each element's values are then only its own.
# PART_OF: source, start, end, quote (its target, docSha256, type and label written in)
_PART_OF_BYTES = _filled(_PART_OF, ["%s", "@D", "PART_OF", "@S", "%d", "%d", "%s", "PART_OF"])
# LEADS / PARTICIPATES_IN, by relation: the key's number, source, target, written, rule, flagged, taskPath,
# start, end, quote
_UNIT_BYTES = {rel: _filled(_UNIT_EDGE, [f"{rel}:%d", "%s", "%s", rel, "%s", "%s", "%s", "%s", "@S", "%d", "%d",
                                         "%s", rel]) for rel in ("LEADS", "PARTICIPATES_IN")}
# MENTIONS: its start (its key), source, target, written, start, end, quote
_MENTIONS_BYTES = _filled('<edge id="MENTIONS:%s" source="%s" target="%s">'
                          + _data("edge", ["type", "written", "docSha256", "start", "end", "quote", "label"])
                          + "</edge>\n", ["%d", "%s", "%s", "MENTIONS", "%s", "@S", "%d", "%d", "%s", "MENTIONS"])
# TARGETS: key, source, target, the year's <data> (or none), value, valueMax's <data> (or none), unit,
# qualifier, source, written, taskPath, recurrence, start, end, quote
_TARGETS_BYTES = _filled('<edge id="%s" source="%s" target="%s">' + _data("edge", ["type"]) + "%s"
                         + _TARGET_VALUE + "%s" + _TARGET_REST,
                         ["%s", "%s", "%s", "TARGETS", "%s", "%s", "%s"] + ["%s"] * 6 + ["@S", "%d", "%d", "%s",
                                                                                         "TARGETS"])
_TARGET_YEAR_BYTES, _TARGET_MAX_BYTES = _filled(_TARGET_YEAR, ["%d"]), _filled(_TARGET_MAX, ["%s"])
# The edges' graph.json lines as orjson writes their dicts, by template: the document's sha256 (@S)
# and its id's JSON (@D) filled in per document; the quotes' JSON from one orjson call over all of a
# kind (_texts_encoded); the names and ids as their UTF-8 (what JSON would escape in them makes the
# document not plain: _NAME_SPECIAL, _ID_SPECIAL); a float as repr writes it (checked at the end)
_PART_OF_JSON = b'{"type":"PART_OF","docSha256":"@S","start":%d,"end":%d,"quote":"%s","from":"%s","to":@D,' \
    b'"key":"PART_OF"}'
_UNIT_JSON = {rel: b'{"type":"' + rel + b'","written":"%s","rule":"%s","flagged":%s,"taskPath":"%s",'
              b'"docSha256":"@S","start":%d,"end":%d,"quote":"%s","from":"%s","to":"%s","key":"' + rel + b':%d"}'
              for rel in (b"LEADS", b"PARTICIPATES_IN")}
_MENTIONS_JSON = b'{"type":"MENTIONS","written":"%s","docSha256":"@S","start":%d,"end":%d,"quote":"%s",' \
    b'"from":%s,"to":"%s","key":"MENTIONS:%d"}'
_TARGETS_JSON = b'{"type":"TARGETS","year":%s,"value":%s,"valueMax":%s,"unit":"%s","qualifier":"%s",' \
    b'"source":"%s","written":"%s","taskPath":"%s","recurrence":"%s","docSha256":"@S","start":%d,"end":%d,' \
    b'"quote":"%s","from":%s,"to":"%s","key":"%s"}'
_TASK_KEYS = [*_TASK_NAMES]
# a Task node's texts among its values that are not slices of the original or normalised text (checked
# whole): name, title, titleOriginal, clauseForm, deadline, deadlineText, dueBy, sectionTitle
_TASK_TEXTS = operator.itemgetter(3, 4, 5, 9, 18, 19, 20, 22)
_PART_OF_KEYS = ["type", "docSha256", "start", "end", "quote", "label"]
_UNIT_EDGE_KEYS = ["type", "written", "rule", "flagged", "taskPath", "docSha256", "start", "end", "quote", "label"]
_MENTIONS_KEYS = ["type", "written", "docSha256", "start", "end", "quote", "label"]
_TARGET_KEYS = ["type", "value", "unit", "qualifier", "source", "written", "taskPath", "recurrence", "docSha256",
                "start", "end", "quote", "label"]

# the keys each kind of shared-node mention carries (a mention merged into a node first seen as
# another kind adds the keys the node lacks)
_UNIT_MENTION = ("name", "kind", "jurisdiction", "jurisdictionCode", "aliases", "docs", "docSha256", "start", "end",
                 "quote")
_MENTION_KEYS = {
    "unit": frozenset(_UNIT_MENTION),
    "category": frozenset(("name", "kind", "subtype", "aliases", "docs", "docSha256", "start", "end", "quote")),
    "department": frozenset(("name", "kind", "jurisdiction", "aliases", "docs", "docSha256", "start", "end",
                             "quote")),
    "entity": frozenset(("name", "subtype", "jurisdiction", "aliases", "docs", "docSha256", "start", "end",
                         "quote")),
    "indicator": frozenset(("name", "unit", "aliases", "docs", "docSha256", "start", "end", "quote")),
}
_META_TEXTS = ("title", "issuer", "jurisdiction", "province", "status", "doc_number", "date")


def encode_record(doc: PolicyDocument, sheet: SheetRows | None = None,
                  views: list[Any] | None = None) -> tuple[dict[str, Any], bytes] | None:
    """The document's summary (without its report) and fragment file, as encode_document writes
    them; None when the document is not plain (see the module's docstring). `sheet`: the rows of
    its 任务分工表 sheet are rendered into it on the way (those of sheet_tasks), for a plain document.
    `views` (a build with views): for a plain document, [its graph.json nodes (the dicts their
    lines encode), its edges (dicts of the fields the views read, visualize/document_parts.py),
    its edge lines] appended, so that the worker makes its part of the views without parsing the
    fragment back."""
    try:
        encoded = _encode_record(doc, sheet, [] if views is not None else None)
        if encoded is None:
            return None
        summary, fragment, parts = encoded
        if views is not None:
            views += parts
        return summary, fragment
    except (TypeError, AttributeError, UnicodeEncodeError):
        # a value of another type than the templates write (None for a text, an integer beyond 64
        # bits, which orjson refuses), a lone surrogate (which neither orjson nor UTF-8 takes): such
        # a document is not plain, and the general way writes it
        return None


def _encode_record(doc: PolicyDocument, sheet: SheetRows | None,
                   views: list[Any] | None) -> tuple[dict[str, Any], bytes, list[Any]] | None:
    meta = doc.meta
    paths = {task.path for task in doc.tasks}
    if len(paths) < len(doc.tasks) or doc.extras or not all(type(getattr(meta, n)) is str for n in _META_TEXTS) \
            or not (meta.period is None or all(type(year) is int for year in meta.period)):
        # two tasks with one path (merged the general way); a document rebuilt from a graph (its
        # task content and section titles given); metadata of other types
        return None
    original, text = doc.original, doc.text
    # a text with & < or > (R&D): the GraphML texts escaped (checked at the end: an id has none)
    escape = "&" in original or "<" in original or ">" in original or "&" in text or "<" in text or ">" in text
    sha, doc_id, name = doc.sha256, doc.doc_id, doc.name
    if not (sha.isascii() and sha.isalnum()):
        return None  # (not a digest: it is written into the templates as it is)
    task_prefix = f"task:{sha[:16]}:"
    tasks = doc.tasks
    # the quotes of the PART_OF and unit edges, of the MENTIONS and TARGETS edges, each kind encoded at once
    encoded = [_texts_encoded(quotes, escape) for quotes in (
        [task.span.quote for task in tasks],
        [unit.span.quote for task in tasks for unit in task.clause.units if unit.resolved is not None],
        [entity.span.quote for entity in doc.entities],
        [target.span.quote for target in doc.targets])]
    if None in encoded:
        return None
    (part_of_json, part_of_graphml, _), (unit_json, unit_graphml, _), (mentions_json, mentions_graphml, mentions_csv), \
        (targets_json, targets_graphml, targets_csv) = encoded  # type: ignore[misc]
    doc_json = orjson.dumps(doc_id).replace(b"%", b"%%")
    sha_template = sha.encode()
    part_of_template = _PART_OF_JSON.replace(b"@S", sha_template).replace(b"@D", doc_json)
    mentions_template = _MENTIONS_JSON.replace(b"@S", sha_template)
    targets_template = _TARGETS_JSON.replace(b"@S", sha_template)
    doc_slot = doc_id.encode().replace(b"%", b"%%")  # (its UTF-8 written into templates)
    part_of_graphml_template = _PART_OF_BYTES.replace(b"@S", sha_template).replace(b"@D", doc_slot)
    lead_graphml_template, part_graphml_template = [_UNIT_BYTES[rel].replace(b"@S", sha_template)
                                                    for rel in ("LEADS", "PARTICIPATES_IN")]
    lead_json_template, part_json_template = [_UNIT_JSON[rel].replace(b"@S", sha_template)
                                              for rel in (b"LEADS", b"PARTICIPATES_IN")]
    mentions_graphml_template = _MENTIONS_BYTES.replace(b"@S", sha_template)
    task_graphml_template = _TASK_BYTES.replace(b"@S", sha_template).replace(b"@D", doc_slot)
    targets_graphml_template = _TARGETS_BYTES.replace(b"@S", sha_template)
    next_unit_json, next_unit_graphml = iter(unit_json).__next__, iter(unit_graphml).__next__
    document = {"id": doc_id, "label": "Document", "labels": ["Document"], **document_properties(doc)}
    node_keys: set[str] = set()
    document_graphml = graphml_node(doc_id, document, node_keys, False).encode("utf-8")
    json_nodes = [orjson.dumps(document) + b",\n"]
    # (views: the nodes as dicts and the edges' fields the views read, as their lines give them)
    view_nodes: list[dict[str, Any]] | None = [document] if views is not None else None
    view_edges: list[dict[str, Any]] = []
    graphml_nodes = [document_graphml]
    graphml_edges: list[bytes] = []
    edge_lines: list[bytes] = []  # the graph.json lines of the edges, in order
    dumps = orjson.dumps
    doc_utf8 = doc_id.encode()
    # every text written, to be checked at the end: the long ones (for what XML cannot carry), the
    # names (also for what CSV quotes: they are written as they are) and the ids (also for what an
    # XML attribute quotes)
    long_texts = [original, text]
    texts = [name, doc.encoding, *(getattr(meta, n) for n in _META_TEXTS), *meta.inferred.values(),
             *meta.inferred.keys(), *(section.title for section in doc.sections)]
    if doc.display != text:
        texts.append(doc.display)
    names: list[str] = []
    ids = list(paths)
    shared: dict[str, list[Any]] = {}  # id -> [own nodes before it, id, label, all labels, props]
    kinds: dict[str, set[str]] = {}  # id -> the kinds of mention merged into it
    mentioned: set[tuple[Any, ...]] = set()  # (id, kind of mention, label, alias) of the mentions merged

    def mention(node_id: str, label: str, extra: tuple[str, ...], kind: str, alias: str, before: int,
                props: Any) -> None:
        """A shared node's mention, merged as fragments._merged_mentions merges it (props: the
        mention's properties, or a function giving them: needed only for a new node or kind)."""
        mentioned.add((node_id, kind, label, alias))
        found = shared.get(node_id)
        if found is None:
            data = props() if callable(props) else props
            labels = [label, *extra] if label not in extra else [label, *[x for x in extra if x != label]]
            shared[node_id] = [before, node_id, label, labels, data]
            kinds[node_id] = {kind}
            return
        labels, data = found[3], found[4]
        add_labels(labels, label, extra)
        aliases = data["aliases"]
        if alias not in aliases:
            aliases.append(alias)
        seen = kinds[node_id]
        if kind not in seen:
            seen.add(kind)
            if not _MENTION_KEYS[kind] <= data.keys():
                add_missing_properties(data, props() if callable(props) else props)

    # the CSV fields every row of the document starts with
    doc_field, sha_field = csv_field(name), csv_field(sha)
    title_field, jurisdiction_field = csv_field(meta.title), csv_field(meta.jurisdiction)
    # responsibilities.csv: each task's rows, the task's fields (long: its quote and text) encoded once
    responsibilities: list[bytes] = []
    responsibility_count = 0
    resolution: dict[str, list[Any]] = {}  # written -> [row fields before the count, count]
    with_text, unit_edges = True, False
    task_values = _task_values(doc) if doc.tasks else None
    for index, task in enumerate(tasks):
        path = task.path
        tid = task_prefix + path
        values = task_values(task, tid)  # type: ignore[misc]
        node = dict(zip(_TASK_NODE_KEYS, values))
        json_nodes.append(dumps(node) + b",\n")
        if view_nodes is not None:
            view_nodes.append(node)
        tid_utf8, path_utf8 = tid.encode(), path.encode()
        texts += _TASK_TEXTS(values)  # (a value that is not a str: a TypeError at the end)
        label = f"{path} {task.title}".strip()
        if escape:
            values = [xml_escape(v) if type(v) is str and ("&" in v or "<" in v or ">" in v) else v for v in values]
            shown = _escaped(label)
        else:
            shown = label
        # (a value of another type than the template's: an AttributeError or TypeError, for encode_record)
        _, _, _, _, title_value, title_original, path_value, _, _, form, clause_start, clause_end, clause_quote, \
            paragraph_start, paragraph_end, text_value, text_start, text_end, deadline_value, deadline_text, due, \
            content, section_title, _ = values
        title_utf8 = title_value.encode()
        graphml_nodes.append(task_graphml_template % (
            tid_utf8, tid_utf8, title_utf8, title_utf8, title_original.encode(), path_value.encode(), form.encode(),
            clause_start, clause_end, clause_quote.encode(), paragraph_start, paragraph_end, text_value.encode(),
            text_start, text_end, deadline_value.encode(), deadline_text.encode(), due.encode(), content.encode(),
            section_title.encode(), shown.encode()))
        span = task.span
        edge_lines.append(part_of_template % (span.start, span.end, part_of_json[index], tid_utf8))
        if view_nodes is not None:
            view_edges.append({"type": "PART_OF", "docSha256": sha, "quote": span.quote, "from": tid, "to": doc_id,
                               "key": "PART_OF"})
        graphml_edges.append(part_of_graphml_template % (tid_utf8, span.start, span.end, part_of_graphml[index]))
        units = task.clause.units
        if not units:
            continue
        clause = task.clause.span
        task_text = node["text"]
        lead, part, from_order = [], [], False  # (the 任务分工表's units of the task)
        with_text = with_text and bool(task_text)
        task_head = f"{doc_field},{sha_field},{title_field},{jurisdiction_field},{tid},{path}," \
                    f"{csv_field(task.title)},".encode()
        # (bytes from the texts' UTF-8 orjson cached: the task's quote and text are long)
        task_tail = b"%s,%d,%d,%s,%s,%s\r\n" % (
            csv_field(clause.quote).encode(), clause.start, clause.end, csv_field(task_text).encode(),
            csv_field(task.deadline).encode(), csv_field(task.deadline_text).encode())
        unit_fields: list[bytes] = []
        before = index + 2  # the Document and the tasks so far
        for i, unit in enumerate(units):
            res, written, role, read_from_order = unit.resolved, unit.written, unit.role, unit.lead_from_order
            leads = role == "lead"
            if leads:
                lead.append(written)
                from_order = from_order or read_from_order
            else:
                part.append(written)
            lead_from_order = "yes" if read_from_order else ""
            if res is None:
                names += (written, role)
                unit_fields.append(f"{role},{written},,,,,,{lead_from_order},".encode())
                continue
            unit_id, unit_name, kind, rule, flagged = res.unit_id, res.name, res.kind, res.rule, res.flagged
            names += (written, role, unit_name, kind, rule, res.note)
            ids.append(unit_id)
            unit_span = unit.span
            start, end, quote = unit_span.start, unit_span.end, unit_span.quote
            if flagged is True:
                yes, flag = "yes", b"true"
            elif flagged is False:
                yes, flag = "", b"false"
            else:
                return None  # (a flag that is not a bool)
            unit_fields.append(f"{role},{written},{unit_id},{unit_name},{kind},{rule},{yes},{lead_from_order},"
                               .encode())
            row = resolution.get(written)
            if row is None:
                resolution[written] = [f"{doc_field},{sha_field},{jurisdiction_field},{written},{unit_id},"
                                       f"{unit_name},{kind},{rule},{yes},{res.note},", 1]
            else:
                row[1] += 1
            seen_key = (unit_id, "unit", kind, written)
            if seen_key not in mentioned:  # (the same mention again changes nothing)
                found = shared.get(unit_id)
                if found is None or "unit" not in kinds[unit_id]:
                    mention(unit_id, kind, ("Unit",), "unit", written, before, {
                        "name": unit_name, "kind": kind, "jurisdiction": res.jurisdiction,
                        "jurisdictionCode": res.jurisdiction_code, "aliases": [written], "docs": THIS_DOCUMENT,
                        "docSha256": THIS_DOCUMENT, "start": start, "end": end, "quote": quote})
                else:  # mention's merge of a unit named again, written out (its props not needed)
                    mentioned.add(seen_key)
                    labels = found[3]
                    if kind not in labels:
                        labels.append(kind)
                    if "Unit" not in labels:
                        labels.append("Unit")
                    aliases = found[4]["aliases"]
                    if written not in aliases:
                        aliases.append(written)
            unit_edges = True
            written_utf8, rule_utf8, unit_utf8 = written.encode(), rule.encode(), unit_id.encode()
            edge_lines.append((lead_json_template if leads else part_json_template) % (
                written_utf8, rule_utf8, flag, path_utf8, start, end, next_unit_json(), unit_utf8, tid_utf8, i))
            if view_nodes is not None:
                unit_rel = "LEADS" if leads else "PARTICIPATES_IN"
                view_edges.append({"type": unit_rel, "written": written, "taskPath": path, "docSha256": sha,
                                   "quote": quote, "from": unit_id, "to": tid, "key": f"{unit_rel}:{i}"})
            if escape:
                written_utf8, rule_utf8 = _escaped(written).encode(), _escaped(rule).encode()
            graphml_edges.append((lead_graphml_template if leads else part_graphml_template) % (
                i, unit_utf8, tid_utf8, written_utf8, rule_utf8, flag, path_utf8, start, end, next_unit_graphml()))
        responsibility_count += len(unit_fields)
        responsibilities.append(task_head + (task_tail + task_head).join(unit_fields) + task_tail)
        if sheet is not None:
            sheet.add(label, task_text or span.quote or "", "、".join(lead), "、".join(part),
                      task.deadline_text or task.deadline or "", clause.quote or "", bool(from_order))
    edge_keys: set[str] = set()
    if doc.tasks:
        node_keys.update(_TASK_KEYS)
        edge_keys.update(_PART_OF_KEYS)
    if unit_edges:
        edge_keys.update(_UNIT_EDGE_KEYS)
    before = len(doc.tasks) + 1
    ends: set[tuple[str, str, str]] = set()  # (source, target, key) of the MENTIONS and TARGETS edges
    # what an entity or target is linked from: the task of its path, else (none, or "") the document
    # (its id, the id's UTF-8 and JSON)
    doc_source = (doc_id, doc_utf8, orjson.dumps(doc_id))
    task_ids = {path: (tid, tid.encode(), b'"%s"' % tid.encode()) for path in paths if path
                for tid in (task_prefix + path,)}
    entity_rows = []
    row_head = f"{doc_field},{sha_field},".encode()  # (what every row of the document starts with)
    # the rows of entities.csv and targets.csv by templates that start with it (a % in a file name is text)
    entity_row = row_head.replace(b"%", b"%%") + b"%s,%s,%s,%s,%s,%s,%s,%d,%d\r\n"
    target_row = row_head.replace(b"%", b"%%") + b"%s,%s,%s,%s,%s,%s,%g,%s,%s,%s,%s,%d,%d,%s\r\n"
    jurisdiction = meta.jurisdiction
    for index, entity in enumerate(doc.entities):
        span, written, entity_id, task_path, kind, subtype, entity_name, generic = \
            entity.span, entity.text, entity.entity_id, entity.task_path, entity.kind, entity.subtype, \
            entity.name, entity.generic
        start, end, quote = span.start, span.end, span.quote
        names += (task_path, kind, subtype, written, entity_name)
        written_utf8, entity_utf8 = written.encode(), entity_id.encode()
        entity_rows.append(entity_row % (
            task_path.encode(), kind.encode(), subtype.encode(), written_utf8,
            b"" if generic else entity_utf8, entity_name.encode(), mentions_csv[index], start, end))
        if not entity_id:
            continue
        ids.append(entity_id)
        # (a mention's properties are made only for a node, or a kind of mention, new to the document)
        if generic:
            if (entity_id, "category", "Category", written) not in mentioned:
                if entity_id not in shared:  # mention()'s new node, written out (the most common case)
                    mentioned.add((entity_id, "category", "Category", written))
                    shared[entity_id] = [before, entity_id, "Category", ["Category"], {
                        "name": entity_name or written, "kind": kind, "subtype": subtype, "aliases": [written],
                        "docs": THIS_DOCUMENT, "docSha256": THIS_DOCUMENT, "start": start, "end": end,
                        "quote": quote}]
                    kinds[entity_id] = {"category"}
                else:
                    mention(entity_id, "Category", (), "category", written, before, lambda n=entity_name or written,
                            k=kind, t=subtype, a=written, s=start, e=end, q=quote: {
                                "name": n, "kind": k, "subtype": t, "aliases": [a], "docs": THIS_DOCUMENT,
                                "docSha256": THIS_DOCUMENT, "start": s, "end": e, "quote": q})
        elif kind == "Department":
            if (entity_id, "department", "Department", written) not in mentioned:
                mention(entity_id, "Department", ("Unit",), "department", written, before,
                        lambda e=entity, s=span: _department(e, s, jurisdiction, meta.province))
        elif (entity_id, "entity", kind, written) not in mentioned:
            if entity_id not in shared and kind != "Entity":  # mention()'s new node, written out
                mentioned.add((entity_id, "entity", kind, written))
                shared[entity_id] = [before, entity_id, kind, [kind, "Entity"], {
                    "name": entity_name or written, "subtype": subtype, "jurisdiction": jurisdiction,
                    "aliases": [written], "docs": THIS_DOCUMENT, "docSha256": THIS_DOCUMENT, "start": start,
                    "end": end, "quote": quote}]
                kinds[entity_id] = {"entity"}
            else:
                mention(entity_id, kind, ("Entity",), "entity", written, before, lambda n=entity_name or written,
                        t=subtype, a=written, s=start, e=end, q=quote: {
                            "name": n, "subtype": t, "jurisdiction": jurisdiction, "aliases": [a],
                            "docs": THIS_DOCUMENT, "docSha256": THIS_DOCUMENT, "start": s, "end": e, "quote": q})
        source, source_utf8, source_json = task_ids.get(task_path, doc_source)
        ends.add((source, entity_id, start))  # (a MENTIONS key is its start: unique with its ends)
        edge_lines.append(mentions_template % (written_utf8, start, end, mentions_json[index], source_json,
                                               entity_utf8, start))
        if view_nodes is not None:
            view_edges.append({"type": "MENTIONS", "written": written, "docSha256": sha, "quote": quote,
                               "from": source, "to": entity_id, "key": f"MENTIONS:{start}"})
        if escape and ("&" in written or "<" in written or ">" in written):
            written_utf8 = xml_escape(written).encode()
        graphml_edges.append(mentions_graphml_template % (start, source_utf8, entity_utf8, written_utf8, start, end,
                                                          mentions_graphml[index]))

    if ends:
        edge_keys.update(_MENTIONS_KEYS)
    target_rows = []
    floats: list[float] = []
    for index, target in enumerate(doc.targets):
        span, indicator_id, year, value, value_max = target.span, target.indicator_id, target.year, \
            target.value, target.value_max
        start, end, quote, task_path = span.start, span.end, span.quote, target.task_path
        indicator, unit, qualifier, recurrence = target.indicator, target.unit, target.qualifier, target.recurrence
        indicator_name, source_of = target.indicator_name, target.source
        if type(value) is not float or not (value_max is None or type(value_max) is float) or \
                not (year is None or type(year) is int):
            return None  # (numbers of other types)
        floats.append(value)
        names += (task_path, indicator, indicator_name, unit, qualifier, source_of, recurrence)
        ids.append(indicator_id)
        path_utf8, indicator_utf8, indicator_id_utf8, unit_utf8, qualifier_utf8, source_of_utf8, recurrence_utf8 = \
            task_path.encode(), indicator.encode(), indicator_id.encode(), unit.encode(), qualifier.encode(), \
            source_of.encode(), recurrence.encode()
        year_field = b"" if year is None else b"%d" % year
        target_rows.append(target_row % (
            path_utf8, indicator_utf8, indicator_id_utf8, indicator_name.encode(), unit_utf8, year_field,
            value, b"" if value_max is None else b"%g" % value_max, qualifier_utf8, source_of_utf8,
            targets_csv[index], start, end, recurrence_utf8))
        if (indicator_id, "indicator", "Indicator", indicator) not in mentioned:
            if indicator_id not in shared:  # mention()'s new node, written out
                mentioned.add((indicator_id, "indicator", "Indicator", indicator))
                shared[indicator_id] = [before, indicator_id, "Indicator", ["Indicator"], {
                    "name": indicator_name or indicator, "unit": unit, "aliases": [indicator], "docs": THIS_DOCUMENT,
                    "docSha256": THIS_DOCUMENT, "start": start, "end": end, "quote": quote}]
                kinds[indicator_id] = {"indicator"}
            else:
                mention(indicator_id, "Indicator", (), "indicator", indicator, before,
                        lambda n=indicator_name or indicator, u=unit, a=indicator, s=start, e=end, q=quote: {
                            "name": n, "unit": u, "aliases": [a], "docs": THIS_DOCUMENT, "docSha256": THIS_DOCUMENT,
                            "start": s, "end": e, "quote": q})
        source, source_utf8, source_json = task_ids.get(task_path, doc_source)
        # (str of a float is its repr: the key's, the JSON's and the GraphML's value alike; checked at the end)
        written_value = repr(value).encode()
        key = b"TARGETS:%s:%d:%s" % (b"None" if year is None else year_field, start, written_value)
        ends.add((source, indicator_id, key))
        if year is None:
            graphml_year = b""
        else:
            graphml_year = _TARGET_YEAR_BYTES % year
            edge_keys.add("year")
        if value_max is None:
            graphml_max, json_max = b"", b"null"
        else:
            json_max = repr(value_max).encode()
            graphml_max = _TARGET_MAX_BYTES % json_max
            floats.append(value_max)
            edge_keys.add("valueMax")
        edge_lines.append(targets_template % (
            year_field or b"null", written_value, json_max, unit_utf8, qualifier_utf8, source_of_utf8, indicator_utf8,
            path_utf8, recurrence_utf8, start, end, targets_json[index], source_json, indicator_id_utf8, key))
        if view_nodes is not None:
            view_edges.append({"type": "TARGETS", "year": year, "value": value, "valueMax": value_max, "unit": unit,
                               "qualifier": qualifier, "written": indicator, "taskPath": task_path,
                               "docSha256": sha, "quote": quote, "from": source, "to": indicator_id,
                               "key": key.decode()})
        if escape:
            unit_utf8, qualifier_utf8, source_of_utf8, indicator_utf8, path_utf8, recurrence_utf8 = [
                xml_escape(v).encode() if "&" in v or "<" in v or ">" in v else u for v, u in (
                    (unit, unit_utf8), (qualifier, qualifier_utf8), (source_of, source_of_utf8),
                    (indicator, indicator_utf8), (task_path, path_utf8), (recurrence, recurrence_utf8))]
        graphml_edges.append(targets_graphml_template % (
            key, source_utf8, indicator_id_utf8, graphml_year, written_value, graphml_max, unit_utf8, qualifier_utf8,
            source_of_utf8, indicator_utf8, path_utf8, recurrence_utf8, start, end, targets_graphml[index]))
    if doc.targets:
        edge_keys.update(_TARGET_KEYS)
    if len(ends) < sum(1 for e in doc.entities if e.entity_id) + len(doc.targets):
        return None  # an edge repeated: merged the general way
    if not _plain_texts(long_texts, texts, names, ids, escape, floats):
        return None
    json_node_bytes, graphml_node_bytes = b"".join(json_nodes), b"".join(graphml_nodes)
    json_edges = b",\n".join(edge_lines) + b",\n" if edge_lines else b""
    sections = [json_node_bytes, json_edges, graphml_node_bytes, b"".join(graphml_edges)]
    resolution_rows = [f"{head}{count}\r\n" for head, count in resolution.values()]
    sections.append(b"".join(responsibilities))
    sections.append("".join(resolution_rows).encode("utf-8"))
    sections += (b"".join(target_rows), b"".join(entity_rows))
    # the 任务分工表 reads the responsibilities.csv rows back from that section, unless a task has no
    # text (the sheet then shows the paragraph, which the CSV has not): see encode_document
    sections.append(b"" if with_text else json.dumps(list(responsibility_rows([doc])), ensure_ascii=False)
                    .encode("utf-8", "surrogatepass"))
    mentions = list(shared.values())
    for found in mentions:
        found[3] = found[3][1:]  # the extra labels (the first is its label)
    summary = {
        "doc_id": doc_id, "sha256": sha, "head": document_head(document), "shared": mentions,
        "citations": document_citations(doc), "json_ends": list(itertools.accumulate(map(len, json_nodes))),
        "graphml_ends": list(itertools.accumulate(map(len, graphml_nodes))),
        "sections": [len(s) for s in sections], "edges": len(edge_lines),
        "node_keys": sorted(node_keys), "edge_keys": sorted(edge_keys),
        "rows": dict(zip(TABLES, (responsibility_count, len(resolution_rows), len(target_rows),
                                  len(entity_rows)))),
    }
    return summary, b"".join(sections), [view_nodes, view_edges, edge_lines] if view_nodes is not None else []


def sheet_tasks(doc: PolicyDocument) -> list[dict[str, Any]]:
    """The document's tasks as its 任务分工表 sheet shows them: what task_sheet.xlsx_tasks makes
    of the responsibilities rows encode_record wrote for it (its keys the sheet reads), straight
    from the model instead of the rows parsed back (for a document encode_record took)."""
    tasks = []
    for task in doc.tasks:
        units = task.clause.units
        if not units:
            continue  # (no row: no line on the sheet)
        lead, part, from_order = [], [], False
        for unit in units:
            if unit.role == "lead":
                lead.append(unit.written)
                from_order = from_order or unit.lead_from_order
            else:
                part.append(unit.written)
        # the row's task_text, else (a task without one: the rows as JSON) its paragraph
        tasks.append({"path": task.path, "title": task.title, "text": task.text or task.span.quote or "",
                      "deadline": task.deadline_text or task.deadline or "", "lead": lead, "part": part,
                      "quote": task.clause.span.quote or "", "lead_from_order": bool(from_order)})
    return tasks


def _task_values(doc: PolicyDocument) -> Callable[[Task, str], list[Any]]:
    """The values of a Task node ({"id", "label", "labels", **build.task_properties, "current"}), in
    its order, as a function of the task and its id: the document's lookups (the offset map, the
    outline by path) made once, not once per task (a document without extras: see encode_record)."""
    from policykg.extract.deadlines import due_by
    from policykg.graph.compare import sections_by_path

    sha, doc_id, text, original, offsets = doc.sha256, doc.doc_id, doc.text, doc.original, doc.offsets
    mapped, size = bool(text and offsets), len(text)
    by_path = sections_by_path(doc)  # (once per document: the uncached builder)
    no_sections: tuple[Any, Any] = ((), ())

    def before(path: str | None, position: int) -> Any:
        # compare.section_heading's lookup: the last section of the path at or before the position
        starts, sections = by_path.get(path, no_sections)
        if isinstance(starts, list):
            i = bisect_right(starts, position)
            return sections[i - 1] if i else None
        found = [s for s in sections if s.span.start <= position]
        return found[-1] if found else None

    def values(task: Task, tid: str) -> list[Any]:
        clause_of, span, text_span, title = task.clause, task.span, task.text_span, task.title
        clause = clause_of.span
        # compare.task_content: the paragraph in the normalised text without the clause
        if mapped:
            first = bisect_left(offsets, span.start, 0, size)
            last = bisect_left(offsets, span.end, first, size)
            paragraph = text[first:last]
            if span.start <= clause.start <= clause.end <= span.end:
                # the clause inside its paragraph (as always): its offsets are searched for there only
                # (offsets[first - 1] < span.start and offsets[last] >= span.end bound the answers)
                start = bisect_left(offsets, clause.start, first, last)
                clause_text = text[start:bisect_left(offsets, clause.end, start, last)]
            else:
                start = bisect_left(offsets, clause.start, 0, size)
                clause_text = text[start:bisect_left(offsets, clause.end, start, size)]
        else:
            paragraph = original[span.start:span.end] if original else ""
            clause_text = clause.quote
        content = paragraph.replace(clause_text, "") if clause_text else paragraph
        own = before(task.section_path or task.path, span.start)
        parent = before(own.parent, own.span.start) if own is not None and own.parent else None
        deadline = task.deadline
        return [tid, "Task", ["Task"], title, title, task.title_original or title, task.path, doc_id, sha,
                clause_of.form, clause.start, clause.end, clause.quote, span.start, span.end,
                text_span.quote if text_span else "", text_span.start if text_span else span.start,
                text_span.end if text_span else span.end, deadline, task.deadline_text, due_by(deadline),
                content, parent.title if parent is not None else "", True]

    return values


def _provenance(alias: str, span: Any) -> dict[str, Any]:
    return {"aliases": [alias], "docs": THIS_DOCUMENT, "docSha256": THIS_DOCUMENT, "start": span.start,
            "end": span.end, "quote": span.quote}


def _department(entity: Any, span: Any, jurisdiction: str, province: str) -> dict[str, Any]:
    """A department named in running text: the unit node its clauses lead from (build.add_entity)."""
    from policykg.extract.resolve import resolve_unit

    unit = resolve_unit(entity.text, jurisdiction, province=province)
    return {"name": entity.name or unit.name, "kind": "Department", "jurisdiction": unit.jurisdiction,
            **_provenance(entity.text, span)}


def _texts_encoded(texts: list[Any], escape: bool) -> tuple[list[bytes], list[bytes], list[bytes]] | None:
    """Texts (the quotes of one kind of element) as JSON strings (without their quotes), as
    GraphML writes them (escaped if `escape`) and as CSV fields, from one orjson call over them
    all: where JSON escapes nothing (no quote, backslash or control character in any: most
    documents), its UTF-8 is the other two's as well (a CSV field is quoted then only for a comma).
    None when not all are str (a document that is not plain)."""
    if not texts:
        return [], [], []
    if not _STR.issuperset(map(type, texts)):
        return None
    data = orjson.dumps(texts)  # (a lone surrogate: orjson's TypeError, for encode_record)
    json_texts = data[2:-2].split(b'","')  # (a `"` inside a JSON string is always escaped)
    if b"\\" in data:
        utf8 = [t.encode() for t in texts]
        csv = [csv_field(t).encode() for t in texts]
    else:
        utf8 = json_texts
        # (each comma of the list's JSON is then a separator, but those inside texts)
        csv = json_texts if data.count(b",") == len(texts) - 1 else \
            [csv_field(t).encode() if b"," in u else u for t, u in zip(texts, utf8)]
    graphml = [xml_escape(t).encode() if b"&" in u or b"<" in u or b">" in u else u for t, u in zip(texts, utf8)] \
        if escape else utf8
    return json_texts, graphml, csv


_STR = frozenset({str})


def _escaped(text: str) -> str:
    """A text in XML, as export._graphml_data writes it."""
    return xml_escape(text) if "&" in text or "<" in text or ">" in text else text


def _escaped_all(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple([xml_escape(v) if type(v) is str and ("&" in v or "<" in v or ">" in v) else v for v in values])


def _unwritable(text: str) -> bool:
    """Whether the text holds a character XML 1.0 cannot carry (_UNWRITABLE), searched only in
    its lines that str.isprintable does not pass (it passes none of those characters — control
    characters, surrogates, U+FFFE/U+FFFF are not printable — and most lines of a plan: the
    search tests every character against a set, isprintable a table)."""
    search = _UNWRITABLE.search
    return any(not line.isprintable() and search(line) for line in text.split("\n"))


def _plain_texts(long_texts: list[str], texts: list[Any], names: list[Any], ids: list[Any], escape: bool,
                 floats: list[float]) -> bool:
    """Whether the texts, names and ids of a document are written as encode_record wrote them:
    texts without a character XML cannot carry (nor & < > unless `escape`), names without one
    CSV quotes either, ids without one an XML attribute quotes; and the floats are written by
    orjson as json writes them (as repr does: not so 1e-05, 1e+16, nan). `long_texts`: the
    document's original and normalised texts, checked as they are;
    the other texts, the names and ids are checked once each (most recur: a unit named in many
    clauses, the kinds, the rules, a task's title as its name and title)."""
    try:
        joined_texts, joined_names, joined_ids = "\n".join(set(texts)), " ".join(set(names)), " ".join(set(ids))
    except TypeError:  # not all strings (or a value that is not even hashable)
        return False
    if not escape and ("&" in joined_texts or "<" in joined_texts or ">" in joined_texts):
        return False  # (the long texts have none: see encode_record's `escape`)
    if _unwritable(joined_texts) or any(map(_unwritable, long_texts)):
        return False
    if (_NAME_SPECIAL if escape else _NAME_OR_XML_SPECIAL).search(joined_names) or _ID_SPECIAL.search(joined_ids):
        return False
    return not floats or orjson.dumps(floats) == f"[{','.join(map(repr, floats))}]".encode()
