// name: unit_workload
// description: Workload per unit: how many tasks each unit leads and takes part in.
// param: doc (doc, optional): only tasks of this document (id, sha256, file name or title words); e.g. qingyuan_innovation_action_plan_2020-2022_draft.txt
// param: jurisdiction (str, optional): only units of this jurisdiction; e.g. 清远市
// param: limit (int, optional, default 1000): at most this many units; e.g. 20
// param: allEditions (bool, optional, default false): every edition of a plan, not only the newest (older editions are left out unless a doc is named); e.g. true
// returns: unit, unitId, kind, jurisdiction, leads, participates, tasks
MATCH (u:Unit)-[r:LEADS|PARTICIPATES_IN]->(t:Task)
WHERE ($doc IS NULL OR t.docId IN $doc) AND ($jurisdiction IS NULL OR u.jurisdiction = $jurisdiction)
  AND (($allEditions OR coalesce(t.current, true)) OR $doc IS NOT NULL)
WITH u, t, collect(DISTINCT type(r)) AS roles
WITH u,
     count(CASE WHEN 'LEADS' IN roles THEN t END) AS leads,
     count(CASE WHEN 'PARTICIPATES_IN' IN roles THEN t END) AS participates,
     count(t) AS tasks
RETURN u.name AS unit, u.id AS unitId, u.kind AS kind, u.jurisdiction AS jurisdiction, leads, participates, tasks
ORDER BY tasks DESC, leads DESC, unit
LIMIT $limit
