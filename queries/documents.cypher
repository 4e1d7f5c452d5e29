// name: documents
// description: The documents loaded, with period, status, whether each is the newest edition of its plan (current), and counts of tasks, units and targets.
// param: jurisdiction (str, optional): only documents of this jurisdiction; e.g. 清远市
// param: limit (int, optional, default 100): at most this many documents (the total is counted); e.g. 20
// param: skip (int, optional, default 0): leave out this many documents first (the next page)
// returns: document, docId, file, jurisdiction, periodStart, periodEnd, status, current, tasks, units, targets
// paged: true
// tasks, units, targets: taskCount, unitCount, targetCount, counted at load (docs/graph-schema.md)
MATCH (d:Document)
WHERE $jurisdiction IS NULL OR d.jurisdiction = $jurisdiction
WITH d ORDER BY d.jurisdiction, d.periodStart, d.name
WITH collect([d.name, d.id, d.file, d.jurisdiction, d.periodStart, d.periodEnd, d.status, d.current,
              d.taskCount, d.unitCount, d.targetCount]) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS rows
