"""The scoring functions of benchmarks/variant_claims.py on hand-made confusion matrices with known answers."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))

import variant_claims as vc  # noqa: E402


def test_confusion_counts_pairs():
    matrix = vc.confusion(np.array([0, 0, 1, 2, 2, 2]), np.array([3, 3, 1, 0, 0, 2]), num_codes=3, num_classes=4)
    assert matrix.tolist() == [[0, 0, 0, 2], [0, 1, 0, 0], [2, 0, 1, 0]]


def test_perfect_permutation_is_pure_and_matched():
    # code i always draws digit (i + 3) mod 10: a relabelling, so no error after matching.
    matrix = np.zeros((10, 10), int)
    matrix[np.arange(10), (np.arange(10) + 3) % 10] = 50
    got = vc.code_purity(matrix)
    assert got["purity"] == 1.0 and got["distinct"] == 10 and got["matched_error"] == pytest.approx(0.0)


def test_two_codes_on_one_digit_cost_a_whole_row_after_matching():
    # 3 codes × 3 digits, 10 samples each; codes 0 and 1 both draw mostly digit 0, code 2 draws digit 2.
    matrix = np.array([[8, 1, 1],
                       [7, 3, 0],
                       [0, 1, 9]])
    got = vc.code_purity(matrix)
    assert got["purity"] == pytest.approx((0.8 + 0.7 + 0.9) / 3)
    assert got["distinct"] == 2
    # Best one-to-one assignment: 0→0 (8), 1→1 (3), 2→2 (9) = 20 of 30 (0→1, 1→0 gives 1 + 7 + 9 = 17).
    assert got["matched_accuracy"] == pytest.approx(20 / 30)
    assert got["matched_error"] == pytest.approx(10 / 30)


def test_matching_prefers_the_global_optimum_over_greedy():
    # Greedy on the largest cell (code 0 → digit 0, 9) forces code 1 → digit 1 (0): 9 of 20.
    # The optimum swaps them: code 0 → digit 1 (8) + code 1 → digit 0 (8) = 16 of 20.
    matrix = np.array([[9, 8],
                       [8, 0]])
    got = vc.code_purity(matrix)
    assert got["matched_accuracy"] == pytest.approx(16 / 25)


def test_codes_without_samples_are_left_out_of_purity():
    matrix = np.array([[5, 0], [0, 0], [1, 4]])
    got = vc.code_purity(matrix)
    assert got["purity"] == pytest.approx((1.0 + 0.8) / 2)
    with pytest.raises(ValueError, match="no samples"):
        vc.code_purity(np.zeros((2, 2)))


def test_class_accuracy_and_mean_std():
    assert vc.class_accuracy(np.array([0, 1, 2, 3]), np.array([0, 1, 2, 0])) == 0.75
    with pytest.raises(ValueError):
        vc.class_accuracy(np.array([0, 1]), np.array([0]))
    assert vc.mean_std([1.0, 3.0]) == (2.0, 1.0)


def test_markdown_groups_seeds_and_reports_the_sgan_gap():
    def row(seed: int, acc: float, base: float) -> dict:
        return {"recipe": "sgan_digits", "model": "sgan", "seed": seed, "set": [], "steps": 10,
                "claim": {"heldout_accuracy": acc, "labels_only_accuracy": base, "labelled": 100, "heldout": 297},
                "quality": {"fcd": 50.0, "cs": 8.0}, "real": {"fcd": 10.0, "cs": 9.7},
                "cpu_seconds": 1.0, "train_seconds": 2.0, "load_start": "0.1, 0, 0", "load_end": "0.2, 0, 0"}

    text = vc.markdown({"a": row(0, 0.97, 0.93), "b": row(1, 0.95, 0.93)}, ["- header"])
    assert "| sgan_digits | (defaults) | - | 10 | 0,1 |" in text
    assert "gap 3.0 ± 1.0 points, min 2.0" in text


def test_runs_with_equal_settings_pool_whether_set_by_defaults_or_overrides():
    base = {"recipe": "infogan_digits", "model": "infogan", "steps": 10, "config_digest": "abc",
            "claim": {"purity": 0.5, "distinct": 5.0, "matched_error": 0.5}, "quality": {"fcd": 1.0, "cs": 2.0},
            "cpu_seconds": 1.0, "train_seconds": 1.0, "load_start": "1, 1, 1", "load_end": "1, 1, 1"}
    rows = {"a": {**base, "seed": 0, "set": ["train.g_lr=1e-3"]}, "b": {**base, "seed": 1, "set": []},
            "c": {**base, "seed": 0, "set": ["train.g_lr=2e-4"], "config_digest": "def"}}
    text = vc.markdown(rows, [])
    assert "| infogan_digits | (defaults) = train.g_lr=1e-3 at the time | abc | 10 | 0,1 |" in text
    assert "| infogan_digits | train.g_lr=2e-4 | def | 10 | 0 |" in text
