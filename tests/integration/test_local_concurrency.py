"""Many clients at once: every execution started is found, finished and listed; nothing lost."""
from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.integration.sfn_helpers import create_machine, wait_done

CLIENTS = 8
PER_CLIENT = 6


def test_concurrent_starts_and_describes(fresh_local_server: Any) -> None:
    machine = create_machine(fresh_local_server.client("stepfunctions"))

    def client_work(index: int) -> list[tuple[str, str]]:
        rng = random.Random(index)
        sfn = fresh_local_server.client("stepfunctions")
        started = []
        for n in range(PER_CLIENT):
            name = f"c{index}-{n}"
            payload = f'{{"client": {index}, "n": {n}}}'
            arn = sfn.start_execution(stateMachineArn=machine, name=name, input=payload)[
                "executionArn"]
            if rng.random() < 0.5:
                # A retried start returns the same execution while it runs; once it has
                # closed, the name is taken (ExecutionAlreadyExists), as on AWS.
                try:
                    again = sfn.start_execution(stateMachineArn=machine, name=name, input=payload)
                    assert again["executionArn"] == arn
                except sfn.exceptions.ExecutionAlreadyExists:
                    assert sfn.describe_execution(executionArn=arn)["status"] != "RUNNING"
            sfn.describe_execution(executionArn=arn)
            started.append((arn, payload))
        return started

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [item for batch in pool.map(client_work, range(CLIENTS)) for item in batch]

    sfn = fresh_local_server.client("stepfunctions")
    assert len({arn for arn, _ in results}) == CLIENTS * PER_CLIENT
    for arn, payload in results:
        done = wait_done(sfn, arn)
        assert done["status"] == "SUCCEEDED"
        assert done["input"] == payload
        events = sfn.get_execution_history(executionArn=arn)["events"]
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        assert events[-1]["type"] == "ExecutionSucceeded"
    listed = []
    kwargs: dict[str, Any] = {"stateMachineArn": machine, "maxResults": 7}
    while True:
        page = sfn.list_executions(**kwargs)
        listed += [e["executionArn"] for e in page["executions"]]
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert sorted(listed) == sorted(arn for arn, _ in results)
