"""Synthetic policy graphs that follow docs/graph-schema.md, for the large-graph tests and the
benchmark of the views (the five sample plans give a graph of a few hundred nodes; the views must
also hold at 1k-10k nodes). Deterministic for a given seed.

The shape imitates a corpus of municipal plans: each document has chapters of tasks, each task
one to three lead units and a few participants drawn from a shared pool of bureaus with
long-tailed popularity (a few bureaus appear in most plans), some tasks mention platforms or parks
of the plan's city, and some carry quantitative targets.
"""

from __future__ import annotations

import hashlib
import random

import networkx as nx

_CHAPTERS = "一二三四五六七八九十"
_CITIES = ("清远市", "韶关市", "广州市", "梅州市", "河源市", "肇庆市", "江门市", "湛江市")
_BUREAUS = (
    "科学技术局", "发展和改革局", "财政局", "工业和信息化局", "教育局", "人力资源和社会保障局",
    "商务局", "自然资源局", "农业农村局", "市场监督管理局", "卫生健康局", "生态环境局",
    "住房和城乡建设局", "交通运输局", "文化广电旅游体育局", "统计局", "税务局", "金融工作局",
    "政务服务数据管理局", "科学技术协会", "知识产权局", "水务局", "应急管理局", "司法局",
)
_UNIT_KINDS = (
    ("Department", "dept"), ("Government", "gov"), ("ParkCommittee", "parkc"), ("Institute", "inst"),
)
_PLATFORM_TYPES = ("重点实验室", "工程技术研究中心", "孵化器", "众创空间", "新型研发机构")
_PARK_TYPES = ("高新区", "产业园", "产业转移工业园")
_INDICATORS = (
    ("研究与试验发展经费支出占地区生产总值比重", "%"), ("高新技术企业数量", "家"),
    ("每万人口发明专利拥有量", "件"), ("技术合同成交额", "亿元"), ("省级以上创新平台数量", "个"),
    ("科技企业孵化器数量", "家"), ("高新技术产品产值", "亿元"),
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def synthetic_policy_graph(
    n_documents: int, tasks_per_document: int = 40, seed: int = 0
) -> nx.MultiDiGraph:
    """A graph of `n_documents` plans; about 1.5 nodes per task, so nodes ≈ 1.5 × tasks."""
    rng = random.Random(seed)
    graph = nx.MultiDiGraph()
    # Unit pool: every city's bureaus plus district governments; popularity is Zipf-like.
    units: list[tuple[str, str, str, str]] = []  # (id, name, kind, city)
    for city in _CITIES:
        for bureau in _BUREAUS:
            units.append((f"dept:{city}{bureau}", f"{city}{bureau}", "Department", city))
        for district in range(6):
            units.append((f"gov:{city}第{district + 1}区人民政府", f"{city}第{district + 1}区人民政府",
                          "Government", city))
        units.append((f"parkc:{city}高新区管委会", f"{city}高新区管委会", "ParkCommittee", city))
        units.append((f"inst:{city}科学院", f"{city}科学院", "Institute", city))
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(_BUREAUS) + 8)]

    def unit_node(unit: tuple[str, str, str, str], doc_sha: str) -> str:
        unit_id, name, kind, city = unit
        if unit_id not in graph:
            short = name.removeprefix(city)
            graph.add_node(unit_id, id=unit_id, label=kind, labels=[kind, "Unit"], name=name, kind=kind,
                           jurisdiction=city, aliases=sorted({name, short, "市" + short}),
                           docs=[], docSha256=doc_sha, start=0, end=len(name), quote=name)
        docs = graph.nodes[unit_id]["docs"]
        if doc_sha not in docs:
            docs.append(doc_sha)
        return unit_id

    def shared_node(node_id: str, label: str, labels: list[str], name: str, doc_sha: str, **extra: object) -> str:
        if node_id not in graph:
            graph.add_node(node_id, id=node_id, label=label, labels=labels, name=name, aliases=[name],
                           docs=[], docSha256=doc_sha, start=0, end=len(name), quote=name, **extra)
        docs = graph.nodes[node_id]["docs"]
        if doc_sha not in docs:
            docs.append(doc_sha)
        return node_id

    for doc_index in range(n_documents):
        city = _CITIES[doc_index % len(_CITIES)]
        year = 2016 + doc_index % 8
        title = f"{city}科技创新行动计划（{year}—{year + 3}年）第{doc_index + 1}号"
        sha = _sha(title)
        doc_id = f"doc:{sha[:16]}"
        graph.add_node(doc_id, id=doc_id, label="Document", labels=["Document"], name=title,
                       file=f"plan_{doc_index:04d}.txt", sha256=sha, jurisdiction=city, province="广东省",
                       issuer=f"{city}人民政府", periodStart=year, periodEnd=year + 3, status="",
                       docSha256=sha, start=0, end=len(title), quote=title)
        city_units = [u for u in units if u[3] == city]
        edge_counter = [0]

        def add_edge(from_id: str, to_id: str, rel: str, quote: str, /, doc_sha: str = sha,
                     counter: list[int] = edge_counter, **extra: object) -> None:
            counter[0] += 1
            graph.add_edge(from_id, to_id, key=f"{rel.lower()}:{counter[0]}", type=rel, docSha256=doc_sha,
                           start=counter[0], end=counter[0] + 4, quote=quote, **extra)

        for task_index in range(tasks_per_document):
            chapter = _CHAPTERS[task_index // 12 % len(_CHAPTERS)]
            path = f"{chapter}.({_CHAPTERS[task_index // 4 % 3]}).{task_index % 4 + 1}"
            task_id = f"task:{sha[:16]}:{path}:{task_index}"
            task_title = f"推进第{task_index + 1}项科技创新重点工作"
            clause = f"（牵头单位：市科技局；参与单位：市发展改革局等。任务{task_index + 1}）"
            graph.add_node(task_id, id=task_id, label="Task", labels=["Task"], name=task_title,
                           path=path, title=task_title, docId=doc_id, docSha256=sha,
                           start=task_index * 100, end=task_index * 100 + 40, quote=clause,
                           paragraphStart=task_index * 100, paragraphEnd=task_index * 100 + 90)
            add_edge(task_id, doc_id, "PART_OF", task_title)
            pool = city_units[: len(weights)]
            chosen = rng.choices(range(len(pool)), weights=weights[: len(pool)], k=rng.randint(1, 5))
            seen: set[int] = set()
            for position, unit_index in enumerate(chosen):
                if unit_index in seen:
                    continue
                seen.add(unit_index)
                unit_id = unit_node(pool[unit_index], sha)
                rel = "LEADS" if position == 0 or (position == 1 and rng.random() < 0.2) else "PARTICIPATES_IN"
                add_edge(unit_id, task_id, rel, pool[unit_index][1], written=pool[unit_index][1],
                         rule="exact", flagged=False, taskPath=path)
            roll = rng.random()
            if roll < 0.35:
                kind = rng.choice(_PLATFORM_TYPES)
                name = f"{city}{rng.randint(1, 60)}号{kind}"
                node_id = shared_node(f"platform:{city}:{name}", "Platform", ["Platform", "Entity"], name,
                                      sha, subtype=kind)
                add_edge(task_id, node_id, "MENTIONS", name, written=name)
            elif roll < 0.5:
                kind = rng.choice(_PARK_TYPES)
                name = f"{city}{rng.randint(1, 8)}号{kind}"
                node_id = shared_node(f"park:{city}:{name}", "Park", ["Park", "Entity"], name, sha,
                                      subtype=kind)
                add_edge(task_id, node_id, "MENTIONS", name, written=name)
            if rng.random() < 0.25:
                ind_name, ind_unit = rng.choice(_INDICATORS)
                node_id = shared_node(f"ind:{ind_name}", "Indicator", ["Indicator"], ind_name, sha,
                                      unit=ind_unit)
                value = round(rng.uniform(1, 500), 1)
                add_edge(task_id, node_id, "TARGETS", f"{ind_name}达到{value}{ind_unit}", year=year + 3,
                         value=value, valueMax=None, unit=ind_unit, qualifier="达到", source="text",
                         written=ind_name, taskPath=path)
    return graph


def synthetic_graph_of_size(n_nodes: int, seed: int = 0) -> nx.MultiDiGraph:
    """A synthetic graph with about `n_nodes` nodes (within a few percent): shared nodes saturate
    as documents are added, so the number of documents is refined from a first estimate."""
    tasks_per_document = 40
    n_documents = max(1, round(n_nodes / (tasks_per_document * 1.4)))
    graph = synthetic_policy_graph(n_documents, tasks_per_document, seed)
    for _ in range(3):
        if abs(graph.number_of_nodes() - n_nodes) <= 0.02 * n_nodes or n_documents == 1:
            break
        n_documents = max(1, round(n_documents * n_nodes / graph.number_of_nodes()))
        graph = synthetic_policy_graph(n_documents, tasks_per_document, seed)
    return graph
