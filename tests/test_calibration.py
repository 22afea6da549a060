"""Threshold fitting and out-of-fold decisions on hand-made numbers whose right answers are known."""

from qabot.calibration import count, fit_threshold, folds_of, out_of_fold


def test_counts_give_precision_and_recall():
    counts = count([True, True, False, False], [True, False, True, False])
    assert (counts.true_positive, counts.false_positive, counts.false_negative) == (1, 1, 1)
    assert counts.precision == 0.5 and counts.recall == 0.5


def test_threshold_separating_the_labels_is_found_midway():
    assert fit_threshold([0.1, 0.2, 0.8, 0.9], [False, False, True, True], 0.9) == 0.5


def test_threshold_keeps_precision_before_recall():
    # a positive at 0.3 could only be reached by also taking the negative at 0.5
    scores, labels = [0.3, 0.5, 0.8, 0.9], [True, False, True, True]
    assert fit_threshold(scores, labels, 0.9) == 0.65
    assert 0.29 < fit_threshold(scores, labels, 0.7) < 0.3  # everything: precision 0.75, recall 1


def test_items_of_one_group_share_a_fold():
    folds = folds_of(["q1", "q1", "q2", "q3", "q2"], 2)
    assert folds[0] == folds[1] and folds[2] == folds[4] and folds[2] != folds[0]


def test_out_of_fold_never_judges_an_item_with_a_model_that_saw_it():
    items = [1, 2, 3, 4]
    seen = []

    def fit(train, labels):
        seen.append(set(train))
        return set(train)

    decided, models = out_of_fold(items, [True] * 4, ["a", "b", "c", "d"], 4, fit, lambda model, item: item in model)
    assert decided == [False] * 4 and len(models) == 4
