// name: units_by_jurisdiction
// description: Responsible units grouped by jurisdiction and kind, with how many tasks name them.
// param: jurisdiction (str, optional): only this jurisdiction (exact, or part of its name); e.g. 清远市
// param: limit (int, optional, default 100): at most this many units (the total is counted); e.g. 20
// param: skip (int, optional, default 0): leave out this many units first (the next page)
// param: allEditions (bool, optional, default false): every edition of a plan, not only the newest (older editions are left out unless a doc is named); e.g. true
// returns: jurisdiction, kind, unit, unitId, tasks
// paged: true
// tasks: counted at load (tasks, tasksAll over every edition; docs/graph-schema.md)
MATCH (u:Unit)
WHERE $jurisdiction IS NULL OR u.jurisdiction = $jurisdiction OR u.jurisdiction CONTAINS $jurisdiction
WITH coalesce(u.jurisdiction, '') AS jurisdiction, u.kind AS kind, u.name AS unit, u.id AS unitId,
     CASE WHEN $allEditions THEN u.tasksAll ELSE u.tasks END AS tasks
ORDER BY jurisdiction, kind, unit
WITH collect([jurisdiction, kind, unit, unitId, tasks]) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS rows
