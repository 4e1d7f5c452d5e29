// name: tasks_due
// description: Tasks due by a date (完成时限 up to that day), for one unit or all, earliest first; ongoing tasks and tasks without a deadline are left out.
// param: date (str, required): the last day, as an ISO date, year-month or year; e.g. 2022-12-31
// param: unit (unit, optional): only tasks this unit leads or takes part in (id, canonical name or alias); e.g. 市科技局
// param: doc (doc, optional): only tasks of this document (id, sha256, file name or title words); e.g. qingyuan_innovation_action_plan_2020-2022_draft.txt
// returns: document, path, title, deadline, deadlineText, dueBy, leads, participants
MATCH (t:Task)-[:PART_OF]->(d:Document)
// dueBy is the last day a deadline allows ("2024" -> "2024-12-31"); "-99" after $date lets a year
// or a year-month given as the date include every day of it
WHERE t.dueBy IS NOT NULL AND t.dueBy <> "" AND t.dueBy <= $date + "-99" AND ($doc IS NULL OR d.id IN $doc)
OPTIONAL MATCH (l:Unit)-[:LEADS]->(t)
WITH t, d, collect(DISTINCT l) AS leadUnits
OPTIONAL MATCH (p:Unit)-[:PARTICIPATES_IN]->(t)
WITH t, d, leadUnits, collect(DISTINCT p) AS partUnits
WHERE $unit IS NULL OR any(u IN leadUnits + partUnits WHERE u.id IN $unit)
WITH t, d, [u IN leadUnits | u.name] AS leads, [u IN partUnits | u.name] AS participants
RETURN d.name AS document, t.path AS path, t.title AS title, t.deadline AS deadline,
       t.deadlineText AS deadlineText, t.dueBy AS dueBy, leads, participants
ORDER BY dueBy, document, t.paragraphStart, t.start, path
