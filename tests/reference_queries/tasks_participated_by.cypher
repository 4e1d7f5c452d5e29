// name: tasks_participated_by
// description: Tasks a unit takes part in as a participating unit (参与单位, 配合), by document and path.
// param: unit (unit, required): the unit, as an id, canonical name or alias; e.g. 市发展改革局
// param: doc (doc, optional): only tasks of this document (id, sha256, file name or title words); e.g. qingyuan_innovation_action_plan_2020-2022_draft.txt
// param: allEditions (bool, optional, default false): every edition of a plan, not only the newest (older editions are left out unless a doc is named); e.g. true
// returns: unit, unitId, document, path, title, leads, written
MATCH (u:Unit)-[r:PARTICIPATES_IN]->(t:Task)-[:PART_OF]->(d:Document)
WHERE u.id IN $unit AND ($doc IS NULL OR d.id IN $doc) AND (($allEditions OR coalesce(t.current, true)) OR $doc IS NOT NULL)
WITH u, t, d, collect(DISTINCT r.written) AS written
OPTIONAL MATCH (l:Unit)-[:LEADS]->(t)
WITH u, t, d, written, collect(DISTINCT l.name) AS leads
RETURN u.name AS unit, u.id AS unitId, d.name AS document, t.path AS path, t.title AS title, leads, written
ORDER BY document, t.paragraphStart, t.start, path, unit
