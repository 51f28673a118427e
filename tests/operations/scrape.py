"""Reading Prometheus' text format the way Prometheus does (prometheus_client's own parser)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def sample(body: str, name: str, **labels: str) -> float:
    """The value of the series `name{labels}` (a subset match summed), 0 when absent."""
    total = 0.0
    for family in text_string_to_metric_families(body):
        for series in family.samples:
            if series.name == name and all(series.labels.get(k) == v for k, v in labels.items()):
                total += series.value
    return total


def label_values(body: str, name: str, label: str) -> set[str]:
    return {
        series.labels[label]
        for family in text_string_to_metric_families(body)
        for series in family.samples
        if series.name == name and label in series.labels
    }
