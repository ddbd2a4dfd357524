"""GetMetricData, GetMetricStatistics and ListMetrics over the AWS/SageMaker endpoint metrics.

Any other namespace or metric holds no data here, and answers as CloudWatch does for
a metric nobody published: empty results, not an error.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from workflow.local.backend import Backend
from workflow.local.cloudwatch import statistics as st
from workflow.local.cloudwatch.errors import (
    InvalidNextToken,
    InvalidParameterCombination,
    InvalidParameterValue,
)
from workflow.local.cloudwatch.sagemaker_metrics import (
    DIMENSIONS,
    METRICS,
    NAMESPACE,
    SageMakerMetrics,
    dimension_values,
)

#: CloudWatch's limit on the datapoints one GetMetricStatistics call may ask for.
MAX_STATISTICS_DATAPOINTS = 1440
_QUERY_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")


class CloudWatchBackend(Backend):
    service = "cloudwatch"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.source = SageMakerMetrics(ctx)

    # -- GetMetricStatistics ----------------------------------------------
    def get_metric_statistics(self, params: dict[str, Any]) -> dict[str, Any]:
        start, end = _window(params)
        period = params["Period"]
        st.check_period(period)
        standard = params.get("Statistics") or []
        extended = params.get("ExtendedStatistics") or []
        if bool(standard) == bool(extended):
            raise InvalidParameterCombination(
                "Must specify either Statistics or ExtendedStatistics, but not both.")
        for stat in standard:
            st.check_stat(stat, "Statistics")
        for stat in extended:
            if st.percentile_rank(stat) is None:
                raise InvalidParameterValue(
                    f"The value {stat} for parameter ExtendedStatistics is not a percentile "
                    "(pNN.NN).")
        starts = st.period_starts(start, end, period)
        if len(starts) > MAX_STATISTICS_DATAPOINTS:
            raise InvalidParameterCombination(
                f"You have requested up to {len(starts)} datapoints, which exceeds the limit "
                f"of {MAX_STATISTICS_DATAPOINTS}. Use a longer Period or a shorter time range.")
        name = params["MetricName"]
        buckets = self._buckets(params["Namespace"], name, params.get("Dimensions"),
                                params.get("Unit"), start, end, period)
        datapoints = []
        for begin, values in sorted(buckets.items()):
            point: dict[str, Any] = {"Timestamp": _utc(begin), "Unit": METRICS[name].unit}
            for stat in standard:
                point[stat] = st.compute(stat, values)
            if extended:
                point["ExtendedStatistics"] = {s: st.compute(s, values) for s in extended}
            datapoints.append(point)
        return {"Label": name, "Datapoints": datapoints}

    # -- GetMetricData ------------------------------------------------------
    def get_metric_data(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("NextToken"):
            raise InvalidNextToken("The service returned an invalid NextToken: this server "
                                   "answers every query in one page.")
        start, end = _window(params)
        queries = params["MetricDataQueries"]
        ids = [q["Id"] for q in queries]
        for query_id in ids:
            if not _QUERY_ID.match(query_id):
                raise InvalidParameterValue(
                    f"The value {query_id} for parameter MetricDataQueries.member.Id is not "
                    "valid: it must start with a lowercase letter, then letters, digits or _.")
        if len(set(ids)) != len(ids):
            raise InvalidParameterValue("The values of MetricDataQueries.member.Id must be unique.")
        ascending = params.get("ScanBy") == "TimestampAscending"
        limit = params.get("MaxDatapoints")
        results = []
        for index, query in enumerate(queries, start=1):
            field = f"MetricDataQueries.member.{index}"
            if "Expression" in query:
                raise InvalidParameterValue(
                    f"{field}.Expression: metric math is not supported by the local "
                    "CloudWatch; query each metric with MetricStat.")
            if "MetricStat" not in query:
                raise InvalidParameterCombination(
                    f"{field} must have either MetricStat or Expression.")
            result = self._metric_stat(query, field, start, end, ascending, limit)
            if query.get("ReturnData", True):
                results.append(result)
        return {"MetricDataResults": results, "Messages": []}

    def _metric_stat(self, query: dict[str, Any], field: str, start: float, end: float,
                     ascending: bool, limit: int | None) -> dict[str, Any]:
        stat_spec = query["MetricStat"]
        metric = stat_spec["Metric"]
        period = stat_spec["Period"]
        st.check_period(period, f"{field}.MetricStat.Period")
        st.check_stat(stat_spec["Stat"], f"{field}.MetricStat.Stat")
        buckets = self._buckets(metric.get("Namespace"), metric.get("MetricName"),
                                metric.get("Dimensions"), stat_spec.get("Unit"),
                                start, end, period)
        points = sorted(buckets.items(), reverse=not ascending)
        if limit is not None:
            points = points[:limit]
        return {
            "Id": query["Id"],
            "Label": query.get("Label") or metric.get("MetricName") or query["Id"],
            "Timestamps": [_utc(begin) for begin, _ in points],
            "Values": [st.compute(stat_spec["Stat"], values) for _, values in points],
            "StatusCode": "Complete",
        }

    def _buckets(self, namespace: str | None, name: str | None, dimensions: Any,
                 unit: str | None, start: float, end: float, period: int
                 ) -> dict[float, list[float]]:
        """Period start -> the raw values in it; empty for a metric that holds no data."""
        spec = METRICS.get(name or "")
        key = dimension_values(dimensions)
        if namespace != NAMESPACE or name is None or spec is None or key is None:
            return {}
        if unit is not None and unit != spec.unit:
            return {}
        buckets: dict[float, list[float]] = {}
        for when, value in self.source.values(name, key[0], key[1], start, end):
            begin = float(int(when // period) * period)
            buckets.setdefault(begin, []).append(value)
        return buckets

    # -- ListMetrics ----------------------------------------------------------
    def list_metrics(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("NextToken"):
            raise InvalidParameterValue("The NextToken is not valid: this server lists every "
                                        "metric in one page.")
        namespace = params.get("Namespace")
        name = params.get("MetricName")
        filters = params.get("Dimensions") or []
        if namespace not in (None, NAMESPACE):
            return {"Metrics": []}
        metrics = []
        for endpoint, variant in self.source.series():
            values = {"EndpointName": endpoint, "VariantName": variant}
            if any(f["Name"] not in values or f.get("Value") not in (None, values[f["Name"]])
                   for f in filters):
                continue
            for metric in METRICS:
                if name in (None, metric):
                    metrics.append({
                        "Namespace": NAMESPACE, "MetricName": metric,
                        "Dimensions": [{"Name": d, "Value": values[d]} for d in DIMENSIONS],
                    })
        return {"Metrics": metrics}


def _window(params: dict[str, Any]) -> tuple[float, float]:
    start = params["StartTime"].timestamp()
    end = params["EndTime"].timestamp()
    if start >= end:
        raise InvalidParameterValue(
            "The parameter StartTime must be less than the parameter EndTime.")
    return start, end


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)
