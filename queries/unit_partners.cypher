// name: unit_partners
// description: A unit's partners: the units named on the same tasks (lead or participant), with counts.
// param: unit (unit, required): the unit, as an id, canonical name or alias; e.g. 市科技局
// param: doc (doc, optional): only tasks of this document (id, sha256, file name or title words); e.g. qingyuan_innovation_action_plan_2020-2022_draft.txt
// param: allEditions (bool, optional, default false): every edition of a plan, not only the newest (older editions are left out unless a doc is named); e.g. true
// param: limit (int, optional, default 100): at most this many partners (the total is counted); e.g. 20
// param: skip (int, optional, default 0): leave out this many partners first (the next page)
// returns: partner, partnerId, jurisdiction, sharedTasks, documents
// paged: true
MATCH (u:Unit)-[:LEADS|PARTICIPATES_IN]->(t:Task)<-[:LEADS|PARTICIPATES_IN]-(p:Unit)
WHERE u.id IN $unit AND NOT p.id IN $unit AND ($doc IS NULL OR t.docId IN $doc)
  AND (($allEditions OR coalesce(t.current, true)) OR $doc IS NOT NULL)
WITH p, count(DISTINCT t) AS sharedTasks, count(DISTINCT t.docId) AS documents
WITH p.name AS partner, p.id AS partnerId, p.jurisdiction AS jurisdiction, sharedTasks, documents
ORDER BY sharedTasks DESC, partner
WITH collect([partner, partnerId, jurisdiction, sharedTasks, documents]) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS rows
