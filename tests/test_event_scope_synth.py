"""Constructs of one stack, told apart: each one's rules match its own requests' events, and no
two of them may compose the same job name through nested prefixes.

Synth tier: the rules are synthesized (Node), and one is registered in moto's EventBridge.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import lifecycle_support as support
import pytest
from lifecycle_support import STACK_ID, World, job_event_rule
from personalize_data_deletion import DeletionConfigError, PersonalizeDataDeletion, UserList
from personalize_deletion_runtime.notifications import EVENT_DETAIL_TYPE, MODELS_DETAIL_TYPE
from personalize_deletion_runtime.request_rules import compose_job_name
from synth import DATASET_GROUP_ARN, cfn_lint, new_stack, synth_template

from constructs import Construct

pytestmark = pytest.mark.synth

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

SHA = "0" * 64


def _patterns(template: dict) -> dict[str, dict]:
    return {
        logical_id: resource["Properties"]["EventPattern"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Events::Rule"
    }


def _pattern(patterns: dict[str, dict], fragment: str) -> dict:
    [pattern] = [pattern for logical_id, pattern in patterns.items() if fragment in logical_id]
    return pattern


def _two_teams(stack: cdk.Stack) -> None:
    """Constructs TeamA and TeamB, both with the default prefix pdd, one rule each."""
    team_a = PersonalizeDataDeletion(stack, "TeamA")
    team_b = PersonalizeDataDeletion(stack, "TeamB")
    team_a.on_job_state_change("AFailures", statuses=["FAILED"])
    team_a.on_models_retrained("AModels")
    team_b.on_job_state_change("BFailures", statuses=["FAILED"])


def test_each_constructs_rules_match_its_scope_and_events_without_one_by_prefix(
    tmp_path: Path,
) -> None:
    """GIVEN constructs TeamA and TeamB sharing the job name prefix pdd in one stack
    WHEN each asks for a rule
    THEN each rule matches this stack's events whose scope is its construct's path, or that
    carry no scope and a job name with its prefix (events of older requests), and nothing else;
    the template passes cfn-lint."""
    template = synth_template(_two_teams, tmp_path)
    patterns = _patterns(template)

    def expected(detail_type: str, scope: str, **more: object) -> dict:
        return {
            "source": ["personalize-data-deletion"],
            "detail-type": [detail_type],
            "detail": {
                "stackId": [{"Ref": "AWS::StackId"}],
                "$or": [
                    {"scope": [scope]},
                    {"scope": [{"exists": False}], "jobName": [{"prefix": "pdd-"}]},
                ],
                **more,
            },
        }

    assert _pattern(patterns, "AFailures") == expected(
        EVENT_DETAIL_TYPE, "TeamA", status=["FAILED"]
    )
    assert _pattern(patterns, "AModels") == expected(MODELS_DETAIL_TYPE, "TeamA")
    assert _pattern(patterns, "BFailures") == expected(
        EVENT_DETAIL_TYPE, "TeamB", status=["FAILED"]
    )
    assert cfn_lint(template) == []


def test_a_constructs_rule_does_not_receive_another_constructs_events(
    world: World, tmp_path: Path
) -> None:
    """GIVEN TeamA's synthesized failure rule, registered in moto's EventBridge with the stack
    id the tests' events carry; TeamB shares TeamA's prefix
    WHEN a FAILED event is published for a job of each team, for a job of a request that
    names no construct, for one of those of another prefix, and for TeamA's job of another stack
    THEN the rule delivers exactly TeamA's job and the unnamed request's job of prefix pdd."""
    pattern = _pattern(_patterns(synth_template(_two_teams, tmp_path)), "AFailures")
    pattern["detail"]["stackId"] = [STACK_ID]
    delivered = job_event_rule(world, "team-a", pattern)
    job_a, job_b, job_old, job_other = (
        compose_job_name(prefix, request, DATASET_GROUP_ARN, SHA)
        for prefix, request in (("pdd", "a"), ("pdd", "b"), ("pdd", "old"), ("other", "c"))
    )

    publish = world.services.notifier.publish
    publish({"stackId": STACK_ID, "jobName": job_a, "status": "FAILED", "scope": "TeamA"})
    publish({"stackId": STACK_ID, "jobName": job_b, "status": "FAILED", "scope": "TeamB"})
    publish({"stackId": STACK_ID, "jobName": job_old, "status": "FAILED"})
    publish({"stackId": STACK_ID, "jobName": job_other, "status": "FAILED"})
    publish({"stackId": "another-stack", "jobName": job_a, "status": "FAILED", "scope": "TeamA"})

    assert sorted(event["detail"]["jobName"] for event in delivered()) == sorted([job_a, job_old])


@pytest.mark.parametrize("first", ["Main", "Europe"])
def test_constructs_whose_prefixes_nest_are_refused_naming_both(first: str) -> None:
    """GIVEN construct Main (prefix pdd) and construct Europe (prefix pdd-eu), either first
    WHEN both are added to one stack (request eu-x of Main and request x of Europe would
    compose the same job name for the same group and list)
    THEN the second one is refused, naming both constructs, their prefixes and the fix."""
    assert compose_job_name("pdd", "eu-x", DATASET_GROUP_ARN, SHA) == compose_job_name(
        "pdd-eu", "x", DATASET_GROUP_ARN, SHA
    )
    prefixes = {"Main": "pdd", "Europe": "pdd-eu"}
    second = "Europe" if first == "Main" else "Main"
    stack = new_stack()
    PersonalizeDataDeletion(stack, first, job_name_prefix=prefixes[first])

    with pytest.raises(DeletionConfigError) as refused:
        PersonalizeDataDeletion(stack, second, job_name_prefix=prefixes[second])

    assert str(refused.value) == (
        "job_name_prefix 'pdd-eu' of construct 'Europe' starts with job_name_prefix 'pdd' of "
        "construct 'Main' and '-': request 'eu-<name>' of 'Main' and request '<name>' of "
        "'Europe' would compose the same job name; give one construct a prefix that does not "
        "start with the other's and '-' (e.g. 'pddeu')"
    )


@pytest.mark.parametrize("other", ["pdd", "pddeu", "pdd--eu", "pd-eu"])
def test_prefixes_that_compose_no_common_job_name_may_share_a_stack(other: str) -> None:
    """GIVEN construct Main with prefix pdd
    WHEN a second construct's prefix is the same, or starts with pdd but not with 'pdd-' and a
    letter or digit (a request name starts with one), or only shares letters
    THEN both are accepted."""
    stack = new_stack()
    PersonalizeDataDeletion(stack, "Main")
    second = PersonalizeDataDeletion(stack, "Other", job_name_prefix=other)
    assert second.job_name_prefix == other


SAMPLE_CSV = Path(__file__).resolve().parents[1] / "requests" / "sample-users.csv"


def test_two_constructs_sharing_a_prefix_cannot_declare_the_same_request_name() -> None:
    """GIVEN two constructs of one stack with the default prefix, A declaring request x
    WHEN B declares request x on the same group with the same list (the same job name:
    Personalize keeps one job per name, so one resource would adopt the other's job while each
    construct stages, declares, cancels and purges it in its own bucket)
    THEN B's declaration is refused at synth, naming the request, both constructs (by their
    paths in the stack), the rule and the fix."""
    stack = new_stack()
    first = PersonalizeDataDeletion(stack, "A")
    second = PersonalizeDataDeletion(Construct(stack, "Team"), "B")
    users = UserList.from_csv(SAMPLE_CSV)
    first.delete_users("x", dataset_group_arn=DATASET_GROUP_ARN, users=users)

    with pytest.raises(DeletionConfigError) as refused:
        second.delete_users("x", dataset_group_arn=DATASET_GROUP_ARN, users=users)

    assert str(refused.value) == (
        "request 'x' of construct 'Team/B' and request 'x' of construct 'A' share job_name_prefix "
        "'pdd': they would compose the same job name (<prefix>-<request>-<digest of group and "
        "list>), and Personalize keeps one job per name, so one request would adopt the "
        "other's job; rename one request, or give one construct another job_name_prefix"
    )


@pytest.mark.parametrize(
    ("request_b", "prefix_b"), [("y", "pdd"), ("x", "pddeu")], ids=["other-name", "other-prefix"]
)
def test_constructs_may_share_a_request_name_or_a_prefix_but_not_both(
    request_b: str, prefix_b: str
) -> None:
    """GIVEN construct A (prefix pdd) declaring request x
    WHEN construct B declares another request name with the same prefix, or the same name
    with another prefix
    THEN both are accepted: their job names differ."""
    stack = new_stack()
    users = UserList.from_csv(SAMPLE_CSV)
    PersonalizeDataDeletion(stack, "A").delete_users(
        "x", dataset_group_arn=DATASET_GROUP_ARN, users=users
    )
    second = PersonalizeDataDeletion(stack, "B", job_name_prefix=prefix_b)
    job = second.delete_users(request_b, dataset_group_arn=DATASET_GROUP_ARN, users=users)
    assert job.user_count > 0


def test_a_request_moved_to_another_construct_in_a_later_synth_is_accepted() -> None:
    """GIVEN an app whose construct A declares request x
    WHEN a later version of the app declares x in construct B instead (A keeps none)
    THEN it synthesizes: only two declarations in one synth clash, not one across deploys."""
    users = UserList.from_csv(SAMPLE_CSV)
    for holder in ("A", "B"):
        stack = new_stack()
        deletions = {name: PersonalizeDataDeletion(stack, name) for name in ("A", "B")}
        deletions[holder].delete_users("x", dataset_group_arn=DATASET_GROUP_ARN, users=users)
        assert cdk.assertions.Template.from_stack(stack).to_json()["Resources"]
