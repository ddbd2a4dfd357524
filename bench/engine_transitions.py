"""State transitions per second of the ASL engine against moto's interpreter, same run.

A Pass/Choice counting loop (Init -> [Check -> Inc] x N -> Done) runs in both; the
engine's rate is reported as a ratio to moto's (goal: at least 10x). The same loop
written in JSONata (a Condition, an Output expression and an Assign variable) runs
in the engine too, reported beside the JSONPath figure (goal: at least 0.5x). Also the
peak Python memory of an execution whose history reaches the 25,000-event quota.

    python bench/engine_transitions.py [--loops 5000]
"""
from __future__ import annotations

import argparse
import json
import logging
import time
import tracemalloc

LOOP_DEFINITION = {
    "StartAt": "Init",
    "States": {
        "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.i", "NumericGreaterThanEquals": 0, "Next": "Done"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"},
    },
}


# The same loop in JSONata; the counter also lives in a variable, as Workflow Studio writes it.
JSONATA_LOOP_DEFINITION = {
    "QueryLanguage": "JSONata",
    "StartAt": "Init",
    "States": {
        "Init": {"Type": "Pass", "Output": {"i": 0}, "Assign": {"i": 0}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Condition": "{% $i >= 0 %}", "Next": "Done"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Output": {"i": "{% $states.input.i + 1 %}"}, "Assign": {"i": "{% $i + 1 %}"},
                "Next": "Check"},
        "Done": {"Type": "Succeed"},
    },
}


def jsonata_loop_definition(loops: int) -> dict:
    definition = json.loads(json.dumps(JSONATA_LOOP_DEFINITION))
    definition["States"]["Check"]["Choices"][0]["Condition"] = f"{{% $i >= {loops} %}}"
    return definition


def loop_definition(loops: int) -> dict:
    definition = json.loads(json.dumps(LOOP_DEFINITION))
    definition["States"]["Check"]["Choices"][0]["NumericGreaterThanEquals"] = loops
    return definition


def transitions(loops: int) -> int:
    # Init, then Check+Inc per loop, then the final Check and Done.
    return 1 + 2 * loops + 2


def engine_rate(loops: int, jsonata: bool = False) -> tuple[float, int]:
    from workflow.engine import run_execution

    definition = jsonata_loop_definition(loops) if jsonata else loop_definition(loops)
    events: list[dict] = []
    started = time.perf_counter()
    result = run_execution(definition, {}, sink=events.append)
    elapsed = time.perf_counter() - started
    assert result.status == "SUCCEEDED" and result.output == {"i": loops}, result
    return transitions(loops) / elapsed, len(events)


def moto_rate(loops: int) -> float:
    import boto3
    from moto import mock_aws

    logging.getLogger("moto").setLevel(logging.CRITICAL)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name="us-east-1")
        arn = client.create_state_machine(
            name="bench", definition=json.dumps(loop_definition(loops)),
            roleArn="arn:aws:iam::123456789012:role/bench")["stateMachineArn"]
        started = time.perf_counter()
        execution = client.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
        deadline = time.monotonic() + 600
        while True:
            described = client.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                break
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
    assert described["status"] == "SUCCEEDED", described
    return transitions(loops) / elapsed


def history_peak_memory() -> tuple[int, str, float]:
    """Peak traced memory of an endless loop stopped by the 25,000-event history quota."""
    from workflow.engine import run_execution

    endless = loop_definition(10**9)
    events: list[dict] = []
    tracemalloc.start()
    result = run_execution(endless, {}, sink=events.append)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return len(events), f"{result.status} {result.error}", peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loops", type=int, default=5000, help="loop iterations (2 transitions each)")
    parser.add_argument("--moto-loops", type=int, default=None,
                        help="iterations for moto (default: same as --loops)")
    args = parser.parse_args()
    moto_loops = args.moto_loops or args.loops

    ours, events = engine_rate(args.loops)
    jsonata, jsonata_events = engine_rate(args.loops, jsonata=True)
    theirs = moto_rate(moto_loops)
    count, outcome, peak_mib = history_peak_memory()
    print(f"engine JSONPath: {transitions(args.loops)} transitions, {events} events, {ours:,.0f} transitions/s")
    print(f"engine JSONata:  {transitions(args.loops)} transitions, {jsonata_events} events, "
          f"{jsonata:,.0f} transitions/s")
    print(f"moto (JSONPath): {transitions(moto_loops)} transitions, {theirs:,.0f} transitions/s")
    print(f"ratio engine/moto: {ours / theirs:.1f}x (goal >= 10x)")
    print(f"ratio JSONata/JSONPath: {jsonata / ours:.2f}x (goal >= 0.5x); JSONata/moto: {jsonata / theirs:.1f}x")
    print(f"25,000-event history: {count} events, execution {outcome}, peak memory {peak_mib:.1f} MiB "
          f"({peak_mib * 2**20 / max(count, 1):,.0f} bytes/event)")


if __name__ == "__main__":
    main()
