"""Querying a built policy graph from Python (a notebook, cell by cell; `# %%` marks the cells).

    policykg build data --out out          # once
    python examples/notebook_queries.py out

Runs on the embedded engine: the first query loads OUT/graph.json into OUT/falkordb/. For Neo4j,
replace `policykg.open(OUT)` with `policykg.connect()` (NEO4J_URI, NEO4J_USERNAME,
NEO4J_PASSWORD) after `policykg load OUT --neo4j`; everything else stays the same.
"""

# %%
from __future__ import annotations

import sys

import pandas as pd

import policykg

OUT = sys.argv[1] if len(sys.argv) > 1 else "out"
pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 40)

# %% Open the graph; `with` saves and stops the embedded server at the end.
with policykg.open(OUT) as kg:
    # %% The canned queries (queries/*.cypher)
    for query in kg.queries():
        print(f"{query.name:24} {query.description}")

    # %% Documents in the graph
    documents = kg.query("documents").to_dataframe()
    print(documents[["document", "jurisdiction", "periodStart", "periodEnd", "tasks", "units", "targets"]])

    # %% What does 市科技局 lead? Aliases resolve to the graph's canonical unit first.
    print(kg.resolve_unit("市科技局"))
    led = kg.query("tasks_led_by", unit="市科技局").to_dataframe()
    print(led.groupby("document").size().rename("tasks led"))
    print(led[["path", "title"]].head(10))

    # %% Who works with it most?
    print(kg.query("unit_partners", unit="市科技局").to_dataframe().head(10))

    # %% Workload per unit, and the most central units of the co-operation network
    workload = kg.query("unit_workload", jurisdiction="清远市").to_dataframe()
    print(workload.head(10))
    print(kg.query("central_units", limit=10).to_dataframe())

    # %% Targets due in 2022, and one indicator across documents and years
    print(kg.query("targets_due", year=2022).to_dataframe()[["document", "indicator", "value", "unit"]].head(10))
    print(kg.query("indicator_targets", indicator="高新技术企业").to_dataframe()[["document", "year", "value"]])

    # %% Ad-hoc Cypher (read-only; values as parameters, never pasted into the text)
    rows = kg.cypher(
        "MATCH (u:Unit)-[:LEADS]->(t:Task)-[:PART_OF]->(d:Document) WHERE d.jurisdiction = $city "
        "RETURN u.name AS unit, count(t) AS led ORDER BY led DESC, unit LIMIT 5",
        city="清远市",
    )
    print(rows.to_dataframe())
