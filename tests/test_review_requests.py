"""Review of the paths by which a deletion is declared: wrong input must be refused, by name,
at synth (or by ``pdd-validate`` before review), never reinterpreted into another deletion.

Every test here failed on the code it was written against; each names what a user does, what
the library did, and what it must do instead.
"""

from __future__ import annotations

import pytest
from aws_cdk import Duration
from personalize_data_deletion import (
    Completion,
    DeletionConfigError,
    PersonalizeDataDeletion,
    Retrain,
    UserList,
    UserListError,
)
from synth import ACCOUNT, DATASET_GROUP_ARN, new_stack

pytestmark = pytest.mark.synth

SOLUTION = f"arn:aws:personalize:us-east-1:{ACCOUNT}:solution/shop-recs"


# ------------------------------------------------------------------- from_ids: one id, one user


@pytest.mark.parametrize(
    "ids",
    [
        ["alice\nbob"],  # one id with a line feed: was two users, alice and bob
        ["alice\r\nbob"],  # the same with CRLF
        ["alice\r"],  # an id ending with a control character: was user "alice"
        ["alice", ""],  # an empty id: silently dropped
    ],
    ids=["embedded-lf", "embedded-crlf", "trailing-cr", "empty-id"],
)
def test_from_ids_refuses_an_id_that_is_not_one_valid_id_rather_than_splitting_or_trimming_it(
    ids: list[str],
) -> None:
    """GIVEN inline ids, one of which holds a line break, a CR or nothing
    WHEN a request declares them with UserList.from_ids
    THEN the synth refuses that id (the README: "an id with a ... control character ... fails"),
    instead of joining the ids into CSV text and deleting whatever users its lines name."""
    deletion = PersonalizeDataDeletion(new_stack(), "A")
    with pytest.raises(UserListError) as caught:
        job = deletion.delete_users(
            "r", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(ids)
        )
        pytest.fail(
            f"from_ids({ids!r}) was accepted as a list of {job.user_count} user(s) "
            f"to delete (declared: {len(ids)} id(s))"
        )
    assert "from_ids" in str(caught.value) or "inline ids" in str(caught.value)


# ---------------------------------------------------------------------------- construct options


def test_retrain_solutions_naming_a_solution_twice_is_refused() -> None:
    """GIVEN Retrain.solutions with the same solution ARN twice
    WHEN it is built
    THEN it is refused, as a request file's ``retrain.solutions`` refuses it ("the same value
    twice is an error, not a no-op"), instead of retraining (and recording) it twice."""
    with pytest.raises((ValueError, TypeError)):
        retrain = Retrain.solutions([SOLUTION, SOLUTION])
        pytest.fail(f"accepted: {retrain.solution_arns}")


@pytest.mark.parametrize(
    "bound",
    [lambda: Duration.millis(1500), lambda: Duration.seconds(0.5)],
    ids=["1500-millis", "half-second"],
)
def test_a_completion_bound_of_a_fraction_of_a_second_is_refused_naming_the_setting(
    bound,
) -> None:
    """GIVEN a completion bound that is not whole seconds
    WHEN a request uses it
    THEN the synth refuses it with DeletionConfigError naming the request's completion and the
    rule (whole seconds), as Completion.wait_seconds means to, and as app.py catches; not
    jsii's RuntimeError, which names neither (and which app.py prints as a traceback)."""
    deletion = PersonalizeDataDeletion(new_stack(), "A")
    with pytest.raises(DeletionConfigError) as caught:
        deletion.delete_users(
            "r",
            dataset_group_arn=DATASET_GROUP_ARN,
            users=UserList.from_ids(["u-1"]),
            completion=Completion.wait(bound()),
        )
    assert "completion" in str(caught.value)
    assert "whole seconds" in str(caught.value)
