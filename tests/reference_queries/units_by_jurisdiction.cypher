// name: units_by_jurisdiction
// description: Responsible units grouped by jurisdiction and kind, with how many tasks name them.
// param: jurisdiction (str, optional): only this jurisdiction (exact, or part of its name); e.g. 清远市
// param: allEditions (bool, optional, default false): every edition of a plan, not only the newest (older editions are left out unless a doc is named); e.g. true
// returns: jurisdiction, kind, unit, unitId, tasks
MATCH (u:Unit)
WHERE $jurisdiction IS NULL OR u.jurisdiction = $jurisdiction OR u.jurisdiction CONTAINS $jurisdiction
OPTIONAL MATCH (u)-[:LEADS|PARTICIPATES_IN]->(t:Task)
WHERE $allEditions OR coalesce(t.current, true)
WITH u, count(DISTINCT t) AS tasks
RETURN coalesce(u.jurisdiction, '') AS jurisdiction, u.kind AS kind, u.name AS unit, u.id AS unitId, tasks
ORDER BY jurisdiction, kind, unit
