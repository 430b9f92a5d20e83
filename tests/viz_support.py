"""Small networks shaped like kg.network.project's output, for the viz tests.

They follow /work/wt/NETWORK-CONTRACT.md (the shape `project` returns): actor IRIs as node keys,
relation local names as edge keys, evidence as a list of dicts.
"""

from __future__ import annotations

import networkx as nx

ACTOR = "https://w3id.org/kgia/id/actor/"
DOC = "https://w3id.org/kgia/id/doc/"
SCRIPT_PAYLOAD = "<script>window.__pwned=1</script>"
IMG_PAYLOAD = '<img src=x onerror="window.__pwned=1">'


def _edge(g, u, v, relation, label, *, weight=1, modality="asserted", polarity="cooperative",
          plover="", cameo="", symmetric=False, evidence=(), dates=("", "")):
    counts = {"asserted": 0, "speculative": 0, "negated": 0}
    for ev in evidence:
        counts[ev["modality"]] += 1
    g.add_edge(u, v, key=relation, relation=relation, label=label, weight=weight,
               documents=len({ev["document"] for ev in evidence}) or 1,
               first_seen=dates[0], last_seen=dates[1], modality=modality,
               plover=plover, cameo=cameo, polarity=polarity, symmetric=symmetric,
               evidence=list(evidence), **counts)


def _ev(text, n, *, title=None, date="2024-06-19", modality="asserted", url=None):
    return {"text": text, "document": f"{DOC}{n:04d}", "title": title or f"Report {n}",
            "url": url if url is not None else f"https://example.org/report-{n}", "date": date,
            "modality": modality}


def contract_graph(*, hostile: bool = True) -> nx.MultiDiGraph:
    """Six actors of every type, directed and symmetric relations, parallel edges, all four
    modalities; with ``hostile`` the article text carries script and onerror payloads."""
    g = nx.MultiDiGraph(name="kg", relations=0)
    rus, prk, ukr, chn, nato, hamas = (ACTOR + k for k in ("RUS", "PRK", "UKR", "CHN", "nato", "hamas"))
    weird = ACTOR + "weird"
    g.add_node(rus, label="Russia", type="State", iso="RUS", qid="Q159")
    g.add_node(prk, label="North Korea", type="State", iso="PRK", qid="Q423")
    g.add_node(ukr, label="Ukraine", type="State", iso="UKR", qid="Q212")
    g.add_node(chn, label="China", type="State", iso="CHN", qid="Q148")
    g.add_node(nato, label="NATO", type="IntergovernmentalOrganization", iso="", qid="Q7184")
    g.add_node(hamas, label="Hamas", type="NonStateGroup", iso="", qid="Q38799")
    g.add_node(weird, label=(IMG_PAYLOAD if hostile else "Weird Actor"), type="Actor", iso="", qid="")
    title = (SCRIPT_PAYLOAD + " Troops & shells") if hostile else "Troops and shells"
    _edge(g, prk, rus, "suppliesMunitionsTo", "supplies munitions to", weight=3, plover="AID",
          cameo="072", dates=("2024-06-19", "2024-10-30"),
          evidence=[_ev("Pyongyang has shipped millions of artillery shells to Moscow.", 1,
                        title=title),
                    _ev("North Korea sent more shells to Russia in October.", 2, date="2024-10-30"),
                    _ev(("Analysts said " + SCRIPT_PAYLOAD + " and " + IMG_PAYLOAD) if hostile
                        else "Analysts said the shipments grew.", 3, date="2024-10-30")])
    _edge(g, prk, rus, "deploysTroopsTo", "deploys troops to", weight=1, plover="AID", cameo="074",
          evidence=[_ev("About 11,000 North Korean troops have been sent to Russia.", 2)])
    _edge(g, rus, prk, "visits", "visits", weight=1, plover="CONSULT", cameo="042",
          evidence=[_ev("Putin visited Pyongyang in June.", 1)])
    _edge(g, rus, ukr, "attacks", "attacks", weight=7, polarity="conflictual", plover="ASSAULT",
          cameo="190", dates=("2024-02-01", "2024-11-20"),
          evidence=[_ev(f"Russian strikes hit Kharkiv again ({i}).", 10 + i) for i in range(7)])
    _edge(g, chn, rus, "cooperatesWith", "cooperates with", weight=2, plover="COOPERATE",
          cameo="060", symmetric=True, modality="mixed",
          evidence=[_ev("China and Russia deepened their cooperation.", 20),
                    _ev("China and Russia may expand joint drills.", 21, modality="speculative")])
    _edge(g, nato, prk, "condemns", "condemns", weight=1, polarity="conflictual", plover="ACCUSE",
          cameo="111", evidence=[_ev("NATO condemned the deployment.", 2)])
    _edge(g, chn, ukr, "suppliesWeaponsTo", "supplies weapons to", weight=1, plover="AID",
          cameo="072", modality="negated",
          evidence=[_ev("China has not supplied weapons to Ukraine.", 22, modality="negated",
                        url="javascript:window.__pwned=1")])
    _edge(g, hamas, weird, "hedgesAgainst", "hedges against", weight=1, polarity="conflictual",
          modality="speculative",
          evidence=[_ev(IMG_PAYLOAD if hostile else "Hamas may hedge.", 30, modality="speculative",
                        title=IMG_PAYLOAD if hostile else "Hedging", date="")])
    for node in g.nodes:
        g.nodes[node]["degree"] = g.degree(node)
    g.graph["relations"] = g.number_of_edges()
    return g
