// name: path_between
// description: How two units are linked: a task they share, or two tasks through a unit both work with.
// param: unit (unit, required): the first unit (id, canonical name or alias); e.g. 市科技局
// param: other (unit, required): the second unit (id, canonical name or alias); e.g. 市财政局
// returns: hops, units, path
// Portable shortest path: FalkorDB has no shortestPath on undirected patterns, and a variable-
// length pattern enumerates every path (minutes on 1000 documents). So the neighbourhoods of both
// ends are compared (bounded: at most 4 hops, unit-task-unit-task-unit), then one path of that
// length is spelled out with fixed-length patterns whose ends are both bound.
MATCH (a:Unit) WHERE a.id IN $unit
MATCH (b:Unit) WHERE b.id IN $other AND a.id <> b.id
OPTIONAL MATCH (a)-[:LEADS|PARTICIPATES_IN]->(:Task)<-[:LEADS|PARTICIPATES_IN]-(x:Unit)
WITH a, b, collect(DISTINCT x.id) AS nearA
OPTIONAL MATCH (b)-[:LEADS|PARTICIPATES_IN]->(:Task)<-[:LEADS|PARTICIPATES_IN]-(y:Unit)
WITH a, b, nearA, collect(DISTINCT y.id) AS nearB
WITH a, b, CASE WHEN b.id IN nearA THEN 2 ELSE 4 END AS hops,
     CASE WHEN b.id IN nearA THEN b.id
          ELSE head([u IN nearA WHERE u IN nearB AND u <> a.id AND u <> b.id]) END AS via
WHERE via IS NOT NULL
WITH a, b, hops, via ORDER BY hops, a.id, b.id, via LIMIT 1
MATCH (m:Unit {id: via})
MATCH (a)-[:LEADS|PARTICIPATES_IN]->(t1:Task)<-[:LEADS|PARTICIPATES_IN]-(m)
WITH a, b, hops, m, t1 ORDER BY t1.id LIMIT 1
OPTIONAL MATCH (m)-[:LEADS|PARTICIPATES_IN]->(t2:Task)<-[:LEADS|PARTICIPATES_IN]-(b)
WHERE hops = 4
WITH a, b, hops, m, t1, t2 ORDER BY t2.id LIMIT 1
RETURN hops, hops / 2 - 1 AS units,
       CASE WHEN hops = 2 THEN [a.name, t1.title + ' (' + t1.path + ')', b.name]
            ELSE [a.name, t1.title + ' (' + t1.path + ')', m.name, t2.title + ' (' + t2.path + ')', b.name]
       END AS path
// neo4j: Neo4j has shortestPath, so it runs this instead, with no two-task cap; among shortest paths
// the same one as above (ordered by the units' ids, then the tasks' ids along the path).
MATCH (a:Unit) WHERE a.id IN $unit
MATCH (b:Unit) WHERE b.id IN $other AND a.id <> b.id
MATCH p = allShortestPaths((a)-[:LEADS|PARTICIPATES_IN*]-(b))
WITH a, b, p, length(p) AS hops, nodes(p) AS steps
ORDER BY hops, a.id, b.id, [i IN range(2, hops - 2, 2) | steps[i].id], [i IN range(1, hops - 1, 2) | steps[i].id]
LIMIT 1
RETURN hops, hops / 2 - 1 AS units,
       [i IN range(0, hops) | CASE WHEN i % 2 = 0 THEN steps[i].name
                                   ELSE steps[i].title + ' (' + steps[i].path + ')' END] AS path
