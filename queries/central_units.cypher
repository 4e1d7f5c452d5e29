// name: central_units
// description: The most central units: degree on the unit–unit co-operation network (units sharing a task).
// param: doc (doc, optional): only tasks of this document (id, sha256, file name or title words); e.g. qingyuan_innovation_action_plan_2020-2022_draft.txt
// param: jurisdiction (str, optional): only units of this jurisdiction; e.g. 清远市
// param: limit (int, optional, default 20): how many units; e.g. 10
// param: skip (int, optional, default 0): leave out this many units first (the next page)
// param: allEditions (bool, optional, default false): every edition of a plan, not only the newest (older editions are left out unless a doc is named); e.g. true
// returns: unit, unitId, jurisdiction, degree, sharedTasks
// paged: true
// Without a document: the degree and shared tasks computed at load (docs/graph-schema.md). With
// one: counted on that document's tasks.
MATCH (a:Unit)
WHERE $doc IS NULL AND ($jurisdiction IS NULL OR a.jurisdiction = $jurisdiction)
WITH a, CASE WHEN $allEditions THEN [a.degreeAll, a.sharedTasksAll] ELSE [a.degree, a.sharedTasks] END AS counts
WHERE counts[0] > 0
WITH a, counts[0] AS degree, counts[1] AS sharedTasks
ORDER BY degree DESC, sharedTasks DESC, a.name
WITH collect([a.name, a.id, a.jurisdiction, degree, sharedTasks]) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS rows
UNION ALL
MATCH (t:Task)
WHERE $doc IS NOT NULL AND t.docId IN $doc
// the document's tasks first (without a document: none), then their units
WITH t
MATCH (a:Unit)-[:LEADS|PARTICIPATES_IN]->(t)<-[:LEADS|PARTICIPATES_IN]-(b:Unit)
WHERE a.id <> b.id AND ($jurisdiction IS NULL OR a.jurisdiction = $jurisdiction)
WITH a, count(DISTINCT b) AS degree, count(DISTINCT t) AS sharedTasks
ORDER BY degree DESC, sharedTasks DESC, a.name
WITH collect([a.name, a.id, a.jurisdiction, degree, sharedTasks]) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS rows
