// name: tasks_lead_issues
// description: Tasks with no lead unit or with several lead units (to check 分工 is clear).
// param: doc (doc, optional): only tasks of this document (id, sha256, file name or title words); e.g. qingyuan_innovation_action_plan_2020-2022_draft.txt
// param: allEditions (bool, optional, default false): every edition of a plan, not only the newest (older editions are left out unless a doc is named); e.g. true
// returns: document, path, title, issue, leadCount, leads, participants
MATCH (t:Task)-[:PART_OF]->(d:Document)
WHERE ($doc IS NULL OR d.id IN $doc) AND (($allEditions OR coalesce(t.current, true)) OR $doc IS NOT NULL)
OPTIONAL MATCH (l:Unit)-[:LEADS]->(t)
WITH d, t, collect(DISTINCT l.name) AS leads
WHERE size(leads) <> 1
OPTIONAL MATCH (p:Unit)-[:PARTICIPATES_IN]->(t)
WITH d, t, leads, collect(DISTINCT p.name) AS participants
RETURN d.name AS document, t.path AS path, t.title AS title,
       CASE WHEN size(leads) = 0 THEN 'no lead' ELSE 'several leads' END AS issue,
       size(leads) AS leadCount, leads, participants
ORDER BY document, t.paragraphStart, t.start, path
