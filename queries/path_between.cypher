// name: path_between
// description: The shortest chain of shared tasks linking two units (at most 3 tasks apart).
// param: unit (unit, required): the first unit (id, canonical name or alias); e.g. 市科技局
// param: other (unit, required): the second unit (id, canonical name or alias); e.g. 市财政局
// returns: hops, units, path
// Portable form of shortestPath: FalkorDB has no shortestPath on undirected patterns, so the
// shortest of a bounded pattern is taken (unit-task-unit steps: 2 hops each, 3 steps at most).
MATCH p = (a:Unit)-[:LEADS|PARTICIPATES_IN*1..6]-(b:Unit)
WHERE a.id IN $unit AND b.id IN $other AND a.id <> b.id
WITH p, length(p) AS hops
ORDER BY hops
LIMIT 1
RETURN hops, hops / 2 - 1 AS units,
       [n IN nodes(p) | CASE WHEN n.path IS NULL THEN n.name ELSE n.path + ' ' + coalesce(n.title, '') END] AS path
