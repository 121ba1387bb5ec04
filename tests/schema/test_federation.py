"""The subgraph's own federation surface: `_service { sdl }` and `_entities` over the emulator."""

from __future__ import annotations

from gateway.graph.ids import global_id
from tests.conftest import HO_SOURCE, Gateway

ENTITIES = """
query Entities($reps: [_Any!]!) {
  _entities(representations: $reps) {
    __typename
    ... on HealthOmicsBatch { id nativeId name status totalRuns }
    ... on HealthOmicsRun { id nativeId name status workflowId }
    ... on HealthOmicsTask { id nativeId name status runId }
  }
}
"""


def _rep(type_name: str, key: str, source: str = HO_SOURCE) -> dict[str, str]:
    return {"__typename": type_name, "id": global_id(type_name, source, key)}


async def test_service_sdl_declares_the_entities(gateway: Gateway) -> None:
    sdl = (await gateway.data("{ _service { sdl } }"))["_service"]["sdl"]
    assert '@link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])' in sdl
    for type_name in ("HealthOmicsBatch", "HealthOmicsRun", "HealthOmicsTask"):
        assert f"type {type_name} implements" in sdl
        line = next(line for line in sdl.splitlines() if line.startswith(f"type {type_name} "))
        assert '@key(fields: "id"' in line


async def test_entities_resolve_through_the_loaders(gateway: Gateway) -> None:
    ho = gateway.emulator.healthomics
    batches = ho.batch_ids()[:2]
    runs = [r["id"] for r in ho.all_runs() if r["status"] != "DELETED"][:5]
    with_tasks = next(r["id"] for r in ho.all_runs() if len(ho.tasks(r["id"])) >= 2)
    tasks = [(with_tasks, t["taskId"]) for t in ho.tasks(with_tasks)[:2]]
    reps = (
        [_rep("HealthOmicsBatch", b) for b in batches]
        + [_rep("HealthOmicsRun", r) for r in [*runs, runs[0], runs[1]]]
        + [_rep("HealthOmicsTask", f"{r}/{t}") for r, t in tasks]
    )
    gateway.reset_calls()
    got = (await gateway.data(ENTITIES, reps=reps))["_entities"]

    assert [e["id"] for e in got] == [r["id"] for r in reps]
    for entity, batch_id in zip(got[:2], batches, strict=True):
        truth = ho.batch(batch_id)
        assert (entity["nativeId"], entity["name"], entity["totalRuns"]) == (
            batch_id,
            truth["name"],
            truth["totalRuns"],
        )
    for entity in got[2:9]:
        truth = ho.run(entity["nativeId"])
        assert (entity["name"], entity["status"], entity["workflowId"]) == (
            truth["name"],
            truth["status"],
            truth["workflowId"],
        )
    for entity, (run_id, task_id) in zip(got[9:], tasks, strict=True):
        truth = ho.task(run_id, task_id)
        assert (entity["nativeId"], entity["runId"], entity["name"]) == (
            task_id,
            run_id,
            truth["name"],
        )
    # Seven run references, five distinct: one GetRun per distinct run.
    assert gateway.calls() == {"omics:GetBatch": 2, "omics:GetRun": 5, "omics:GetRunTask": 2}


async def test_entity_of_another_type_or_source_is_not_found_without_a_call(
    gateway: Gateway,
) -> None:
    ho = gateway.emulator.healthomics
    batch_id = ho.batch_ids()[0]
    run_id = ho.all_runs()[0]["id"]
    reps = [
        {"__typename": "HealthOmicsRun", "id": global_id("HealthOmicsBatch", HO_SOURCE, batch_id)},
        _rep("HealthOmicsRun", run_id, source="elsewhere"),
    ]
    gateway.reset_calls()
    body = await gateway.query(ENTITIES, reps=reps)
    assert body["data"]["_entities"] == [None, None]
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND", "NOT_FOUND"]
    assert [e["path"] for e in body["errors"]] == [["_entities", 0], ["_entities", 1]]
    assert gateway.calls() == {}


async def test_malformed_entity_id_is_bad_input(gateway: Gateway) -> None:
    body = await gateway.query(ENTITIES, reps=[{"__typename": "HealthOmicsRun", "id": "nope"}])
    assert body["data"]["_entities"] == [None]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert gateway.calls() == {}
