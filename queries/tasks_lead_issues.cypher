// name: tasks_lead_issues
// description: Tasks with no lead unit or with several lead units (to check 分工 is clear).
// param: doc (doc, optional): only tasks of this document (id, sha256, file name or title words); e.g. qingyuan_innovation_action_plan_2020-2022_draft.txt
// param: limit (int, optional, default 100): at most this many tasks (the total is counted); e.g. 20
// param: skip (int, optional, default 0): leave out this many tasks first (the next page)
// param: allEditions (bool, optional, default false): every edition of a plan, not only the newest (older editions are left out unless a doc is named); e.g. true
// returns: document, path, title, issue, leadCount, leads, participants
// paged: true
// t.leadCount (lead units, counted at load) leaves out the tasks with one lead before the leads are collected
MATCH (t:Task)
WHERE t.leadCount <> 1 AND (($allEditions OR coalesce(t.current, true)) OR $doc IS NOT NULL)
WITH t
MATCH (t)-[:PART_OF]->(d:Document)
WHERE $doc IS NULL OR d.id IN $doc
OPTIONAL MATCH (l:Unit)-[:LEADS]->(t)
WITH d, t, collect(DISTINCT l.name) AS leads
WHERE size(leads) <> 1
OPTIONAL MATCH (p:Unit)-[:PARTICIPATES_IN]->(t)
WITH d, t, leads, collect(DISTINCT p.name) AS participants
ORDER BY d.name, t.paragraphStart, t.start, t.path
WITH collect([d.name, t.path, t.title, CASE WHEN size(leads) = 0 THEN 'no lead' ELSE 'several leads' END,
              size(leads), leads, participants]) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS rows
