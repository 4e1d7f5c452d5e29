// name: indicator_targets
// description: The targets set for one indicator, across documents and years.
// param: indicator (str, required): indicator id, name, alias, or part of its name; e.g. 高新技术企业
// returns: indicator, document, jurisdiction, year, value, valueMax, unit, qualifier, taskPath, source, written
MATCH (s)-[g:TARGETS]->(i:Indicator)
WHERE i.id = $indicator OR i.name = $indicator OR $indicator IN coalesce(i.aliases, []) OR i.name CONTAINS $indicator
MATCH (d:Document)
WHERE d.sha256 = g.docSha256
RETURN i.name AS indicator, d.name AS document, d.jurisdiction AS jurisdiction, g.year AS year, g.value AS value,
       g.valueMax AS valueMax, g.unit AS unit, g.qualifier AS qualifier, g.taskPath AS taskPath,
       g.source AS source, g.written AS written
ORDER BY indicator, year, jurisdiction, document, value
