// name: entities_with_tasks
// description: Platforms, parks and firms mentioned, with the task (or document) mentioning them and the task's units.
// param: kind (str, optional): only this kind of entity: Platform, Park or Firm; e.g. Platform
// param: name (str, optional): only entities whose name contains this; e.g. 高新区
// param: limit (int, optional, default 100): at most this many mentions (the total is counted); e.g. 20
// param: skip (int, optional, default 0): leave out this many mentions first (the next page)
// returns: kind, subtype, entity, entityId, document, taskPath, task, leads, participants
// paged: true
// The mentions are sorted and counted first; the units are collected for one page of them.
MATCH (s)-[:MENTIONS]->(e:Entity)
WHERE ($kind IS NULL OR $kind IN labels(e)) AND ($name IS NULL OR e.name CONTAINS $name)
OPTIONAL MATCH (s)-[:PART_OF]->(taskDoc:Document)
WITH DISTINCT e, s, coalesce(taskDoc.name, s.name) AS document
ORDER BY e.label, e.name, document, s.path
WITH collect([e, s, document]) AS found
WITH size(found) AS total, found[$skip..$skip + $limit] AS page
// the units of the page's tasks only; an empty page still returns the total (one null item)
UNWIND CASE WHEN size(page) = 0 THEN [null] ELSE page END AS item
WITH total, item[0] AS e, item[1] AS s, item[2] AS document
OPTIONAL MATCH (l:Unit)-[:LEADS]->(s)
WITH total, e, s, document, collect(DISTINCT l.name) AS leads
OPTIONAL MATCH (p:Unit)-[:PARTICIPATES_IN]->(s)
WITH total, e, s, document, leads, collect(DISTINCT p.name) AS participants
ORDER BY e.label, e.name, document, s.path
WITH total, collect(CASE WHEN e IS NULL THEN NULL
                         ELSE [e.label, e.subtype, e.name, e.id, document, s.path, s.title, leads, participants] END) AS rows
RETURN total, rows
