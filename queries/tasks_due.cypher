// name: tasks_due
// description: Tasks due by a date (完成时限 up to that day), for one unit or all, earliest first; ongoing tasks and tasks without a deadline are left out.
// param: date (str, required): the last day, as an ISO date, year-month or year; e.g. 2022-12-31
// param: unit (unit, optional): only tasks this unit leads or takes part in (id, canonical name or alias); e.g. 市科技局
// param: doc (doc, optional): only tasks of this document (id, sha256, file name or title words); e.g. qingyuan_innovation_action_plan_2020-2022_draft.txt
// returns: document, path, title, deadline, deadlineText, dueBy, leads, participants
MATCH (t:Task)-[:PART_OF]->(d:Document)
WHERE t.dueBy IS NOT NULL AND t.dueBy <> "" AND t.dueBy <= $date AND ($doc IS NULL OR d.id IN $doc)
  AND ($unit IS NULL OR EXISTS { MATCH (u:Unit)-[:LEADS|PARTICIPATES_IN]->(t) WHERE u.id IN $unit })
OPTIONAL MATCH (l:Unit)-[:LEADS]->(t)
WITH t, d, collect(DISTINCT l.name) AS leads
OPTIONAL MATCH (p:Unit)-[:PARTICIPATES_IN]->(t)
WITH t, d, leads, collect(DISTINCT p.name) AS participants
RETURN d.name AS document, t.path AS path, t.title AS title, t.deadline AS deadline,
       t.deadlineText AS deadlineText, t.dueBy AS dueBy, leads, participants
ORDER BY dueBy, document, t.paragraphStart, t.start, path
