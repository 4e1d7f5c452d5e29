// name: central_units
// description: The most central units: degree on the unit–unit co-operation network (units sharing a task).
// param: doc (doc, optional): only tasks of this document (id, sha256, file name or title words); e.g. qingyuan_innovation_action_plan_2020-2022_draft.txt
// param: jurisdiction (str, optional): only units of this jurisdiction; e.g. 清远市
// param: limit (int, optional, default 20): how many units; e.g. 10
// param: allEditions (bool, optional, default false): every edition of a plan, not only the newest (older editions are left out unless a doc is named); e.g. true
// returns: unit, unitId, jurisdiction, degree, sharedTasks
MATCH (a:Unit)-[:LEADS|PARTICIPATES_IN]->(t:Task)<-[:LEADS|PARTICIPATES_IN]-(b:Unit)
WHERE a.id <> b.id AND ($doc IS NULL OR t.docId IN $doc) AND (($allEditions OR coalesce(t.current, true)) OR $doc IS NOT NULL)
  AND ($jurisdiction IS NULL OR a.jurisdiction = $jurisdiction)
WITH a, count(DISTINCT b) AS degree, count(DISTINCT t) AS sharedTasks
RETURN a.name AS unit, a.id AS unitId, a.jurisdiction AS jurisdiction, degree, sharedTasks
ORDER BY degree DESC, sharedTasks DESC, unit
LIMIT $limit
