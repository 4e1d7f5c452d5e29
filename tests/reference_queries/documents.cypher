// name: documents
// description: The documents loaded, with period, status, whether each is the newest edition of its plan (current), and counts of tasks, units and targets.
// param: jurisdiction (str, optional): only documents of this jurisdiction; e.g. 清远市
// returns: document, docId, file, jurisdiction, periodStart, periodEnd, status, current, tasks, units, targets
MATCH (d:Document)
WHERE $jurisdiction IS NULL OR d.jurisdiction = $jurisdiction
OPTIONAL MATCH (t:Task)-[:PART_OF]->(d)
OPTIONAL MATCH (t)-[g:TARGETS]->(:Indicator)
WITH d, count(DISTINCT t) AS tasks, count(g) AS taskTargets
OPTIONAL MATCH (u:Unit)-[:LEADS|PARTICIPATES_IN]->(:Task)-[:PART_OF]->(d)
WITH d, tasks, taskTargets, count(DISTINCT u) AS units
RETURN d.name AS document, d.id AS docId, d.file AS file, d.jurisdiction AS jurisdiction,
       d.periodStart AS periodStart, d.periodEnd AS periodEnd, d.status AS status, d.current AS current,
       tasks, units, taskTargets + size([(d)-[:TARGETS]->(:Indicator) | 1]) AS targets
ORDER BY jurisdiction, periodStart, document
