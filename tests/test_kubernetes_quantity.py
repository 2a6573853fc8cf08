from fractions import Fraction

import pytest

from config_models.kubernetes_quantity import cpu_millicores, memory_bytes, parse_quantity


@pytest.mark.parametrize("text, value", [
    ("1Gi", 2**30), ("512Mi", 512 * 2**20), ("100m", Fraction(1, 10)), ("0.5", Fraction(1, 2)),
    ("1e3", 1000), ("2k", 2000), ("1.5Gi", 3 * 2**29),
])
def test_parses_canonical_quantities(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["1GB", "1 Gi", "", "Gi", "1gi", "1.2.3", " 1Gi"])
def test_rejects_what_the_api_server_rejects(text):
    with pytest.raises(ValueError, match="is not a Kubernetes quantity"):
        parse_quantity(text)


def test_units():
    assert cpu_millicores("250m") == 250 and cpu_millicores("2") == 2000
    assert memory_bytes("256Mi") == 256 * 2**20
