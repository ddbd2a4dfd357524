"""CloudWatch statistics and the period grid of the local CloudWatch service."""
from __future__ import annotations

import pytest

from workflow.local.cloudwatch import statistics as st
from workflow.local.cloudwatch.errors import InvalidParameterValue
from workflow.local.cloudwatch.sagemaker_metrics import dimension_values


def test_standard_statistics() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert st.compute("Sum", values) == 10.0
    assert st.compute("SampleCount", values) == 4.0
    assert st.compute("Average", values) == 2.5
    assert (st.compute("Minimum", values), st.compute("Maximum", values)) == (1.0, 4.0)
    assert st.compute("Sum", []) is None


def test_percentiles_use_the_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, unordered
    assert st.compute("p50", values) == 50.0
    assert st.compute("p99", values) == 99.0
    assert st.compute("p99.5", values) == 100.0
    assert st.compute("p100", values) == 100.0
    assert st.compute("p0", values) == 1.0
    assert st.percentile_rank("p101") is None and st.percentile_rank("Median") is None


@pytest.mark.parametrize("period", [1, 5, 10, 30, 60, 300, 3600])
def test_accepted_periods(period: int) -> None:
    st.check_period(period)


@pytest.mark.parametrize("period", [0, 2, 45, 90])
def test_rejected_periods(period: int) -> None:
    with pytest.raises(InvalidParameterValue, match="Period"):
        st.check_period(period)


def test_period_grid_is_aligned_to_the_epoch() -> None:
    assert st.period_starts(130.0, 250.0, 60) == [120.0, 180.0, 240.0]
    assert st.period_starts(120.0, 240.0, 60) == [120.0, 180.0]


def test_dimensions_must_match_exactly() -> None:
    both = [{"Name": "VariantName", "Value": "v"}, {"Name": "EndpointName", "Value": "e"}]
    assert dimension_values(both) == ("e", "v")
    assert dimension_values(both[1:]) is None
    assert dimension_values(both + [{"Name": "Host", "Value": "h"}]) is None
    assert dimension_values(None) is None
