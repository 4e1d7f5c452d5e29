// name: plans_citing
// description: The plans that cite (implement) a given plan: its 《title》 in their text, whether it is in the corpus or not.
// param: cited (str, required): the cited plan: a document id, file name, or its title or part of it; e.g. 国家创新驱动发展战略纲要
// returns: document, docId, jurisdiction, periodStart, periodEnd, cited, citedId, inCorpus, written, quote
MATCH (d:Document)-[c:CITES]->(x)
WHERE x.id = $cited OR x.file = $cited OR x.name = $cited OR x.name CONTAINS $cited
RETURN d.name AS document, d.id AS docId, d.jurisdiction AS jurisdiction, d.periodStart AS periodStart,
       d.periodEnd AS periodEnd, x.name AS cited, x.id AS citedId, 'Document' IN labels(x) AS inCorpus,
       c.written AS written, c.quote AS quote
ORDER BY cited, jurisdiction, periodStart, document
