// name: entities_with_tasks
// description: Platforms, parks and firms mentioned, with the task (or document) mentioning them and the task's units.
// param: kind (str, optional): only this kind of entity: Platform, Park or Firm; e.g. Platform
// param: name (str, optional): only entities whose name contains this; e.g. 高新区
// param: limit (int, optional, default 100): at most this many mentions (the total is counted); e.g. 20
// param: skip (int, optional, default 0): leave out this many mentions first (the next page)
// returns: kind, subtype, entity, entityId, document, taskPath, task, leads, participants
// paged: true
// The page is found on the entities first: each carries mentionedBy (the tasks and documents
// mentioning it, counted at load), so the entities, grouped by kind and name (the sort's first
// keys: a group's mentions are contiguous in the full order), are sorted and their counts summed
// to find the groups the page falls in (window: mentions before, first group, mentions before
// it, last group); only those groups' mentions are matched, sorted and cut.
MATCH (e:Entity)
WHERE ($kind IS NULL OR $kind IN labels(e)) AND ($name IS NULL OR e.name CONTAINS $name) AND e.mentionedBy > 0
WITH e.label AS label, e.name AS name, collect(e) AS group, sum(e.mentionedBy) AS mentions
ORDER BY label, name
WITH collect(toInteger(mentions)) AS counts, collect(group) AS groups
WITH groups, reduce(acc = [0, -1, 0, -1], i IN range(0, size(counts) - 1) |
       [acc[0] + counts[i],
        CASE WHEN acc[1] = -1 AND acc[0] + counts[i] > $skip THEN i ELSE acc[1] END,
        CASE WHEN acc[1] = -1 AND acc[0] + counts[i] > $skip THEN acc[0] ELSE acc[2] END,
        CASE WHEN acc[0] < $skip + $limit THEN i ELSE acc[3] END]) AS window
WITH window[0] AS total, window[2] AS offset,
     CASE WHEN window[1] = -1 THEN [] ELSE groups[window[1]..window[3] + 1] END AS picked
// no group (a page past the end): one null row still returns the total
UNWIND CASE WHEN size(picked) = 0 THEN [null] ELSE picked END AS group
UNWIND CASE WHEN group IS NULL THEN [null] ELSE group END AS e
OPTIONAL MATCH (s)-[:MENTIONS]->(e)
OPTIONAL MATCH (s)-[:PART_OF]->(taskDoc:Document)
WITH DISTINCT total, offset, e, s, coalesce(taskDoc.name, s.name) AS document
ORDER BY e.label, e.name, document, s.path
WITH total, offset, collect(CASE WHEN s IS NULL THEN NULL ELSE [e, s, document] END) AS found
WITH total, found[$skip - offset..$skip - offset + $limit] AS page
// the units of the page's tasks only
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
