// name: entities_with_tasks
// description: Platforms, parks and firms mentioned, with the task (or document) mentioning them and the task's units.
// param: kind (str, optional): only this kind of entity: Platform, Park or Firm; e.g. Platform
// param: name (str, optional): only entities whose name contains this; e.g. 高新区
// returns: kind, subtype, entity, entityId, document, taskPath, task, leads, participants
MATCH (s)-[:MENTIONS]->(e:Entity)
WHERE ($kind IS NULL OR $kind IN labels(e)) AND ($name IS NULL OR e.name CONTAINS $name)
OPTIONAL MATCH (s)-[:PART_OF]->(taskDoc:Document)
OPTIONAL MATCH (l:Unit)-[:LEADS]->(s)
WITH e, s, taskDoc, collect(DISTINCT l.name) AS leads
OPTIONAL MATCH (p:Unit)-[:PARTICIPATES_IN]->(s)
WITH e, s, taskDoc, leads, collect(DISTINCT p.name) AS participants
RETURN e.label AS kind, e.subtype AS subtype, e.name AS entity, e.id AS entityId,
       coalesce(taskDoc.name, s.name) AS document, s.path AS taskPath, s.title AS task, leads, participants
ORDER BY kind, entity, document, taskPath
