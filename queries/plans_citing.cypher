// name: plans_citing
// description: The plans that cite (implement) a given plan: its 《title》 in their text, whether one of its editions is in the corpus (a Plan) or not (a CitedDocument).
// param: cited (str, required): the cited plan: its title or part of it, a plan id, or the file name or id of one of its editions; e.g. 国家创新驱动发展战略纲要
// param: limit (int, optional, default 100): at most this many documents (the total is counted); e.g. 20
// param: skip (int, optional, default 0): leave out this many documents first (the next page)
// returns: document, docId, jurisdiction, periodStart, periodEnd, cited, citedId, inCorpus, written, quote
// paged: true
MATCH (d:Document)-[c:CITES]->(x)
OPTIONAL MATCH (e:Document)-[:EDITION_OF]->(x)
WITH d, c, x, collect(e.id) + collect(e.file) AS editions
WHERE x.id = $cited OR x.name = $cited OR x.name CONTAINS $cited OR $cited IN editions
WITH d.name AS document, d.id AS docId, d.jurisdiction AS jurisdiction, d.periodStart AS periodStart, d.periodEnd AS periodEnd, x.name AS cited, x.id AS citedId, 'Plan' IN labels(x) AS inCorpus, c.written AS written, c.quote AS quote
ORDER BY cited, jurisdiction, periodStart, document
WITH collect([document, docId, jurisdiction, periodStart, periodEnd, cited, citedId, inCorpus, written, quote]) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS rows
