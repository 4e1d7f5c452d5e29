// name: task_detail
// description: Everything about one task: document, path, clause, lead and participating units, mentions, targets.
// param: task (str, optional): the task id; e.g. task:fa9c75cfc35b534e:三.(一).1
// param: doc (doc, optional): with path, the task's document (id, sha256, file name or title words); e.g. qingyuan_innovation_action_plan_2020-2022_draft.txt
// param: path (str, optional): with doc, the task's outline path; e.g. 三.(一).1
// needs: task | doc path
// returns: document, file, taskId, path, title, clause, leads, participants, mentions, targets
MATCH (t:Task)-[:PART_OF]->(d:Document)
WHERE t.id = $task OR ($task IS NULL AND d.id IN $doc AND t.path = $path)
OPTIONAL MATCH (l:Unit)-[:LEADS]->(t)
WITH t, d, collect(DISTINCT l.name) AS leads
OPTIONAL MATCH (p:Unit)-[:PARTICIPATES_IN]->(t)
WITH t, d, leads, collect(DISTINCT p.name) AS participants
OPTIONAL MATCH (t)-[:MENTIONS]->(m)
WITH t, d, leads, participants, collect(DISTINCT m.label + ':' + m.name) AS mentions
OPTIONAL MATCH (t)-[g:TARGETS]->(i:Indicator)
// values written out to two decimals by hand: toString(500.0) is '500.000000' on FalkorDB, '500.0' on Neo4j
WITH t, d, leads, participants, mentions, i, g, toInteger(round(abs(toFloat(g.value)) * 100)) AS cents
WITH t, d, leads, participants, mentions, i, g,
     CASE WHEN toFloat(g.value) < 0 THEN '-' ELSE '' END + toString(cents / 100)
     + CASE WHEN cents % 100 = 0 THEN '' WHEN cents % 10 = 0 THEN '.' + toString(cents % 100 / 10)
            WHEN cents % 100 < 10 THEN '.0' + toString(cents % 100) ELSE '.' + toString(cents % 100) END AS value
WITH t, d, leads, participants, mentions,
     collect(CASE WHEN i IS NULL THEN NULL
             ELSE i.name + ' ' + coalesce(toString(g.year), '') + ': ' + coalesce(g.qualifier, '')
                  + coalesce(value, '') + coalesce(g.unit, '') END) AS targets
RETURN d.name AS document, d.file AS file, t.id AS taskId, t.path AS path, t.title AS title, t.quote AS clause,
       leads, participants, mentions, targets
ORDER BY document, path
