"""A tuning job survives a crash of the server: its running child is watched again and the
search goes on with what the study had learnt."""
from __future__ import annotations

import time
from pathlib import Path

from tests.integration.conftest import start_local_server
from tests.integration.s3_helpers import Staging
from tests.integration.test_tuning_jobs import tuning_request, wait_tuning


def test_a_tuning_job_goes_on_after_a_crash_of_the_server(tmp_path: Path) -> None:
    data = tmp_path / "server"
    server = start_local_server(data)
    try:
        sm = server.client("sagemaker")
        staging = Staging(server.endpoint_url, tmp_path)
        sm.create_hyper_parameter_tuning_job(**tuning_request("survivor", staging, max_jobs=2, parallel=1,
                                                              seconds="1.5"))
        deadline = time.monotonic() + 60
        while not [j for j in sm.list_training_jobs()["TrainingJobSummaries"] if j["SecondaryStatus"] == "Training"]:
            assert time.monotonic() < deadline, "the first child never started its script"
            time.sleep(0.1)
        first = sm.list_training_jobs()["TrainingJobSummaries"][0]["TrainingJobName"]
    finally:
        server.kill()
    server = start_local_server(data)
    try:
        sm = server.client("sagemaker")
        job = wait_tuning(sm, "survivor")
        assert job["HyperParameterTuningJobStatus"] == "Completed", job.get("FailureReason")
        children = sm.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName="survivor")["TrainingJobSummaries"]
        assert len(children) == 2 and {c["TrainingJobStatus"] for c in children} == {"Completed"}
        # The child running at the crash is the one that completed: it was not started again.
        assert first in {c["TrainingJobName"] for c in children}
        assert job["TrainingJobStatusCounters"]["Completed"] == 2
        assert job["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["MetricName"] == "valid:loss"
    finally:
        server.stop()
