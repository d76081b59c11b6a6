"""budget.py: the memory a request needs against what is available, and the largest request that fits."""

import re

import pytest

from circles_hinge.errors import ConfigError
from circles_hinge.loading import load_config
from circles_hinge.studies.budget import (
    available_bytes,
    check_run_fits,
    check_study_fits,
    estimate_run,
    estimate_study,
    long_notice,
)


def test_available_memory_is_read_from_proc_meminfo():
    available = available_bytes()
    assert available is not None and 0 < available < 2**50


@pytest.mark.parametrize("samples", [1000, 100_000])
def test_the_largest_seeds_named_fits_and_one_more_does_not(samples):
    config = load_config(None, [f"data.n_samples={samples}"])
    available = 8 * 2**30
    with pytest.raises(ConfigError) as err:
        check_study_fits(config, 100_000, 2, available=available)
    message = str(err.value)
    assert message.startswith("this request needs about ") and "8.0 GiB is available" in message
    largest = int(re.search(r"the largest --seeds that fits is ([\d,]+)", message)[1].replace(",", ""))
    check_study_fits(config, largest, 2, available=available)  # fits: no error
    with pytest.raises(ConfigError):
        check_study_fits(config, largest + 1, 2, available=available)


def test_a_run_too_big_names_the_restarts_or_samples_that_fit():
    config = load_config(None, ["data.n_samples=10000000"])
    need = estimate_run(config)
    alone = estimate_run(config, restarts=0)
    with pytest.raises(
        ConfigError, match=r"it fits with --set training.restarts=\d+; the largest data.n_samples"
    ):
        check_run_fits(config, available=(need.bytes + alone.bytes) // 2)
    with pytest.raises(ConfigError, match=r"the largest data.n_samples that fits is [\d,]+$"):
        check_run_fits(config, available=alone.bytes // 2)
    assert check_run_fits(config, available=need.bytes) == need


def test_memory_grows_with_seeds_and_samples_and_time_is_said_only_when_long():
    small = load_config(None, [])
    big = load_config(None, ["data.n_samples=1000000"])
    assert estimate_study(small, 2000, 1).bytes > estimate_study(small, 1000, 1).bytes
    assert estimate_run(big).bytes > estimate_run(small).bytes
    assert long_notice(estimate_run(small), 30) is None  # the tutorial: seconds
    notice = long_notice(estimate_run(big), 30)
    assert notice.startswith("estimated training time: about ") and "30 epochs of 159,960 batches" in notice


def test_a_batch_larger_than_the_data_is_the_data_in_the_estimate_and_is_said():
    """#23 case 6: batch_size 10,000,000 on 600 training points was refused as needing 33 GiB; fit
    clips the batch to the data, so the estimate does too, and a notice says so."""
    from circles_hinge.studies.door import Ask, plan_train

    huge = load_config(None, ["data.n_samples=1000", "training.batch_size=10000000"])
    whole = load_config(
        None, ["data.n_samples=1000", "training.batch_size=600"]
    )  # 600 = 1000 - 250 test, x 0.8
    assert estimate_run(huge).bytes == estimate_run(whole).bytes < 2 * 2**30
    assert estimate_study(huge, 50, 2).bytes == estimate_study(whole, 50, 2).bytes
    check_run_fits(huge, available=4 * 2**30)  # fits: no error
    plan = plan_train(Ask(None, ["data.n_samples=1000", "training.batch_size=10000000"]))
    assert any(
        "training.batch_size 10,000,000 is more than the 600 points an epoch trains on" in n
        for n in plan.notices
    )
    assert not any("batch_size" in n for n in plan_train(Ask(None, ["data.n_samples=1000"])).notices)


def test_a_huge_estimate_groups_its_thousands():
    """#23 case 8: '22710.2 GiB' lacked the separators used everywhere else."""
    config = load_config(None, ["data.n_samples=100000000"])
    with pytest.raises(ConfigError, match=r"needs about 11,177\.2 GiB of memory \(1,000 seeds"):
        check_study_fits(config, 1000, 2, available=2**30)
