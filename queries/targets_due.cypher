// name: targets_due
// description: Quantitative targets due in a given year, across documents.
// param: year (int, required): the target year; e.g. 2022
// param: doc (doc, optional): only this document (id, sha256, file name or title words); e.g. qingyuan_innovation_action_plan_2020-2022_draft.txt
// param: limit (int, optional, default 100): at most this many targets (the total is counted); e.g. 20
// param: skip (int, optional, default 0): leave out this many targets first (the next page)
// returns: document, indicator, year, value, valueMax, unit, qualifier, taskPath, source, written
// paged: true
MATCH (s)-[g:TARGETS]->(i:Indicator)
WHERE g.year = $year
MATCH (d:Document)
WHERE d.sha256 = g.docSha256 AND ($doc IS NULL OR d.id IN $doc)
WITH d.name AS document, i.name AS indicator, g.year AS year, g.value AS value, g.valueMax AS valueMax, g.unit AS unit, g.qualifier AS qualifier, g.taskPath AS taskPath, g.source AS source, g.written AS written
ORDER BY document, indicator, value
WITH collect([document, indicator, year, value, valueMax, unit, qualifier, taskPath, source, written]) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS rows
