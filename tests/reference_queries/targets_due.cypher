// name: targets_due
// description: Quantitative targets due in a given year, across documents.
// param: year (int, required): the target year; e.g. 2022
// param: doc (doc, optional): only this document (id, sha256, file name or title words); e.g. qingyuan_innovation_action_plan_2020-2022_draft.txt
// returns: document, indicator, year, value, valueMax, unit, qualifier, taskPath, source, written
MATCH (s)-[g:TARGETS]->(i:Indicator)
WHERE g.year = $year
MATCH (d:Document)
WHERE d.sha256 = g.docSha256 AND ($doc IS NULL OR d.id IN $doc)
RETURN d.name AS document, i.name AS indicator, g.year AS year, g.value AS value, g.valueMax AS valueMax,
       g.unit AS unit, g.qualifier AS qualifier, g.taskPath AS taskPath, g.source AS source, g.written AS written
ORDER BY document, indicator, value
