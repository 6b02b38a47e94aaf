"""Retraining and completion choices that synthesized and failed at deploy: refused at synth."""

from __future__ import annotations

import pytest
from aws_cdk import Duration
from aws_cdk import aws_personalize as personalize
from personalize_data_deletion import (
    Completion,
    DeletionConfigError,
    PersonalizeDataDeletion,
    Retrain,
    UserList,
)
from synth import ACCOUNT, DATASET_GROUP_ARN, REGION, new_stack

pytestmark = pytest.mark.synth

OTHER_GROUP = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/other"
FOREIGN_SOLUTION = "arn:aws:personalize:eu-west-1:999999999999:solution/x"
OWN_SOLUTION = f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/shop-recs"
USERS = UserList.from_ids(["u"])
ELSEWHERE = (
    "solution 'arn:aws:personalize:eu-west-1:999999999999:solution/x' is in account "
    "999999999999, region eu-west-1, but the dataset group ({group}) is in account "
    "123456789012, region us-east-1: Retrain.solutions retrains solutions of the request's "
    "dataset group, and the handler refuses any other at deploy; name that group's solutions "
    "or use Retrain.all_solutions()"
)


@pytest.mark.parametrize(
    ("construct_retrain", "request_retrain", "setting"),
    [
        (None, Retrain.solutions([FOREIGN_SOLUTION]), "retrain"),
        (Retrain.solutions([FOREIGN_SOLUTION]), None, "retrain (the construct's)"),
    ],
)
def test_a_solution_outside_the_groups_account_and_region_is_refused_at_synth(
    construct_retrain: Retrain | None, request_retrain: Retrain | None, setting: str
) -> None:
    """GIVEN Retrain.solutions naming a solution of another account and region, on the request
    or on the construct
    WHEN a request on a dataset group ARN declares it
    THEN it is refused at synth, naming the request, the setting, both environments and the
    fix (the handler refused it at deploy, after the list was staged; request files already
    refused it)."""
    deletion = PersonalizeDataDeletion(new_stack(), "A", retrain=construct_retrain)
    with pytest.raises(DeletionConfigError) as refused:
        deletion.delete_users(
            "r", dataset_group_arn=DATASET_GROUP_ARN, users=USERS, retrain=request_retrain
        )
    group = f"'{DATASET_GROUP_ARN}'"
    assert str(refused.value) == f"request 'r' {setting}: " + ELSEWHERE.format(group=group)


def test_a_solution_outside_the_stacks_environment_is_refused_for_a_cfn_dataset_group() -> None:
    """GIVEN a CfnDatasetGroup of the stack (its ARN a token until deploy)
    WHEN a request on it retrains a solution of another account and region
    THEN it is refused at synth, compared with the stack's environment, where the group is."""
    stack = new_stack()
    group = personalize.CfnDatasetGroup(stack, "Group", name="shop")
    deletion = PersonalizeDataDeletion(stack, "A")
    with pytest.raises(DeletionConfigError) as refused:
        deletion.delete_users_from_groups(
            "r",
            dataset_groups=[group],
            users=USERS,
            retrain=Retrain.solutions([FOREIGN_SOLUTION]),
        )
    assert str(refused.value) == "request 'r' retrain: " + ELSEWHERE.format(
        group="a CfnDatasetGroup, in the stack's environment"
    )


def test_a_solution_of_the_groups_account_and_region_is_taken() -> None:
    """GIVEN Retrain.solutions naming a solution beside the dataset group
    WHEN a request declares it THEN it is declared."""
    deletion = PersonalizeDataDeletion(new_stack(), "A")
    deletion.delete_users(
        "r",
        dataset_group_arn=DATASET_GROUP_ARN,
        users=USERS,
        retrain=Retrain.solutions([OWN_SOLUTION]),
    )
    assert len(deletion.requests) == 1


@pytest.mark.parametrize(
    ("construct_retrain", "request_retrain", "setting"),
    [
        (None, Retrain.solutions([OWN_SOLUTION]), "retrain"),
        (Retrain.solutions([OWN_SOLUTION]), None, "retrain (the construct's)"),
    ],
)
def test_a_solution_list_is_refused_for_a_request_in_several_groups(
    construct_retrain: Retrain | None, request_retrain: Retrain | None, setting: str
) -> None:
    """GIVEN Retrain.solutions on the request or, what used to pass, on the construct
    WHEN delete_users_from_groups names several dataset groups
    THEN it is refused (the solutions are one group's), naming where the setting came from
    and the fix, and the construct's own list still serves a single-group request."""
    deletion = PersonalizeDataDeletion(new_stack(), "A", retrain=construct_retrain)
    with pytest.raises(DeletionConfigError) as refused:
        deletion.delete_users_from_groups(
            "r",
            dataset_groups=[DATASET_GROUP_ARN, OTHER_GROUP],
            users=USERS,
            retrain=request_retrain,
        )
    assert str(refused.value) == (
        f"request 'r' {setting}: Retrain.solutions names solutions of one dataset group; with "
        "several groups pass retrain=Retrain.all_solutions() or Retrain.none() to the request, "
        "or declare one request per group"
    )
    deletion.delete_users_from_groups(
        "one", dataset_groups=[DATASET_GROUP_ARN], users=USERS, retrain=request_retrain
    )
    deletion.delete_users_from_groups(
        "all",
        dataset_groups=[DATASET_GROUP_ARN, OTHER_GROUP],
        users=USERS,
        retrain=Retrain.all_solutions(),
    )
    assert len(deletion.requests) == 3


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: Retrain("LIST"),
            "Retrain.solutions needs at least one solution ARN",
        ),
        (
            lambda: Retrain("EVERY"),
            "Retrain policy 'EVERY' is not one of NONE, ALL, LIST: build it with Retrain.none(), "
            "Retrain.all_solutions() or Retrain.solutions([...])",
        ),
        (
            lambda: Retrain("ALL", (OWN_SOLUTION,)),
            "Retrain policy ALL takes no solution_arns: name solutions with "
            "Retrain.solutions([...])",
        ),
        (
            lambda: Retrain("LIST", ("shop-recs",)),
            "'shop-recs' is not a solution ARN "
            "(arn:<partition>:personalize:<region>:<account>:solution/<name>)",
        ),
        (
            lambda: Completion("FOO"),
            "Completion policy 'FOO' is not one of HAND_OFF, WAIT, SUBMIT_ONLY: build it with "
            "Completion.hand_off(), Completion.wait() or Completion.submit_only()",
        ),
    ],
)
def test_a_policy_built_directly_is_checked_like_the_static_methods(build, message: str) -> None:
    """GIVEN a Retrain or Completion constructed directly with a value its handler refuses
    WHEN it is built
    THEN it is refused there (it used to pass every isinstance check and fail at deploy)."""
    with pytest.raises(ValueError) as refused:
        build()
    assert str(refused.value) == message


@pytest.mark.parametrize(
    "build",
    [
        lambda: Retrain.solutions([OWN_SOLUTION, OWN_SOLUTION]),
        lambda: Retrain("LIST", (OWN_SOLUTION, FOREIGN_SOLUTION, OWN_SOLUTION)),
    ],
    ids=["static-method", "built-directly"],
)
def test_retrain_solutions_naming_a_solution_twice_is_refused(build) -> None:
    """GIVEN Retrain.solutions with the same solution ARN twice
    WHEN it is built
    THEN it is refused, as a request file's ``retrain.solutions`` refuses it ("the same value
    twice is an error, not a no-op"), instead of retraining (and recording) it twice; the
    message names the setting, the solution (an ARN is no personal data) and the fix."""
    with pytest.raises(DeletionConfigError) as refused:
        retrain = build()
        pytest.fail(f"accepted: {retrain.solution_arns}")
    assert str(refused.value) == (
        f"Retrain.solutions names solution {OWN_SOLUTION!r} twice: each solution is retrained "
        "once; list it once"
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda: Retrain("ALL", update_campaigns="no"),
        lambda: Completion("WAIT", 60),
    ],
)
def test_a_policy_built_directly_with_a_wrong_type_is_a_type_error(build) -> None:
    """GIVEN a Retrain or Completion constructed directly with a field of the wrong type
    WHEN it is built THEN it is a TypeError naming the field."""
    with pytest.raises(TypeError, match=r"^(update_campaigns|bound) must be "):
        build()


@pytest.mark.parametrize(
    "bound",
    [lambda: Duration.millis(1500), lambda: Duration.seconds(0.5)],
    ids=["1500-millis", "half-second"],
)
@pytest.mark.parametrize("policy", [Completion.wait, Completion.hand_off, Completion.submit_only])
def test_a_completion_bound_of_a_fraction_of_a_second_is_refused_naming_the_setting(
    bound, policy
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
            completion=policy(bound()),
        )
    seconds = "1.5 seconds" if bound().to_milliseconds() == 1500 else "0.5 seconds"
    assert str(caught.value) == (
        f"request 'r' completion: completion bound ({seconds}) must be whole seconds: write it "
        "with Duration.seconds, minutes, hours or days of a whole number"
    )


def test_a_construct_completion_bound_of_a_fraction_of_a_second_is_refused_naming_it() -> None:
    # GIVEN / WHEN the construct's completion is bound by 90.5 seconds
    # THEN the construct is refused naming its completion and the rule
    with pytest.raises(DeletionConfigError) as caught:
        PersonalizeDataDeletion(
            new_stack(), "A", completion=Completion.hand_off(Duration.millis(90_500))
        )
    assert str(caught.value) == (
        "completion: completion bound (1 minute 30.5 seconds) must be whole seconds: write it "
        "with Duration.seconds, minutes, hours or days of a whole number"
    )
