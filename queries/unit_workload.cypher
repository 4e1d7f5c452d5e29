// name: unit_workload
// description: Workload per unit: how many tasks each unit leads and takes part in.
// param: doc (doc, optional): only tasks of this document (id, sha256, file name or title words); e.g. qingyuan_innovation_action_plan_2020-2022_draft.txt
// param: jurisdiction (str, optional): only units of this jurisdiction; e.g. 清远市
// param: limit (int, optional, default 100): at most this many units (the total is counted); e.g. 20
// param: skip (int, optional, default 0): leave out this many units first (the next page)
// param: allEditions (bool, optional, default false): every edition of a plan, not only the newest (older editions are left out unless a doc is named); e.g. true
// returns: unit, unitId, kind, jurisdiction, leads, participates, tasks
// paged: true
// Without a document: the counts computed at load (tasksLed, tasksParticipating, tasks and their
// All forms over every edition; docs/graph-schema.md). With one: counted over its tasks.
MATCH (u:Unit)
WHERE $doc IS NULL AND ($jurisdiction IS NULL OR u.jurisdiction = $jurisdiction)
WITH u, CASE WHEN $allEditions THEN [u.tasksLedAll, u.tasksParticipatingAll, u.tasksAll]
             ELSE [u.tasksLed, u.tasksParticipating, u.tasks] END AS counts
WHERE counts[2] > 0
WITH u, counts[0] AS leads, counts[1] AS participates, counts[2] AS tasks
ORDER BY tasks DESC, leads DESC, u.name
WITH collect([u.name, u.id, u.kind, u.jurisdiction, leads, participates, tasks]) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS rows
UNION ALL
MATCH (t:Task)
WHERE $doc IS NOT NULL AND t.docId IN $doc
// the document's tasks first (without a document: none), then their units
WITH t
MATCH (u:Unit)-[r:LEADS|PARTICIPATES_IN]->(t)
WHERE $jurisdiction IS NULL OR u.jurisdiction = $jurisdiction
WITH u, t, collect(DISTINCT type(r)) AS roles
WITH u,
     count(CASE WHEN 'LEADS' IN roles THEN t END) AS leads,
     count(CASE WHEN 'PARTICIPATES_IN' IN roles THEN t END) AS participates,
     count(t) AS tasks
ORDER BY tasks DESC, leads DESC, u.name
WITH collect([u.name, u.id, u.kind, u.jurisdiction, leads, participates, tasks]) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS rows
