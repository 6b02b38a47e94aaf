"""Personal data at synth: inline ids are written to an asset file in cdk.out, never elsewhere."""

from __future__ import annotations

import glob
import json
import os
import tempfile
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match
from personalize_data_deletion import PersonalizeDataDeletion, UserList
from personalize_data_deletion.few_ids import FEW_IDS, FEW_IDS_WARNING
from synth import DATASET_GROUP_ARN, new_stack, synth_template

pytestmark = pytest.mark.synth


def test_inline_ids_leave_no_temporary_file(tmp_path: Path) -> None:
    # GIVEN the temporary folders from_ids writes into
    pattern = os.path.join(tempfile.gettempdir(), "pdd-inline-*")
    before = set(glob.glob(pattern))

    # WHEN a stack with inline ids is synthesized
    def build(stack: cdk.Stack) -> None:
        PersonalizeDataDeletion(stack, "UserDeletion").delete_users(
            "inline", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(["u-1", "u-2"])
        )

    synth_template(build, tmp_path)

    # THEN none is left behind (the asset's copy is in the cloud assembly)
    assert set(glob.glob(pattern)) == before
    assert [p.name for p in tmp_path.glob("asset.*.csv")] != []


def _few_ids_warnings(stack: cdk.Stack) -> list[tuple[str, str]]:
    """(path, message) of the stack's few-ids warnings."""
    return [
        (message.id, str(message.entry.data))
        for message in Annotations.from_stack(stack).find_warning("*", Match.any_value())
        if FEW_IDS_WARNING in str(message.entry.data)
    ]


def _request(ids: list[str]) -> cdk.Stack:
    stack = new_stack()
    PersonalizeDataDeletion(stack, "UserDeletion").delete_users(
        "gdpr-ticket-42", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(ids)
    )
    return stack


def test_a_local_list_of_one_id_gets_a_warning_that_its_hash_confirms_a_guess() -> None:
    """GIVEN a GDPR erasure of one user, as from_ids (or a one-line CSV) declares it
    WHEN the stack is synthesized
    THEN a warning on its construct says that the list's SHA-256 (template, receipt) and its
    digest in the job name let anyone who guesses the id confirm it, and how to avoid it;
    never the id.
    (A keyed digest would need a secret the template cannot hold: the hash stays.)"""
    stack = _request(["alice@example.com"])

    assert _few_ids_warnings(stack) == [
        (
            "/S/UserDeletion",
            "request 'gdpr-ticket-42' (1 id): a local list of fewer than "
            f"{FEW_IDS} distinct ids; the template (ContentSha256) and the receipt carry a list's "
            "SHA-256, and the job's name (in events and outputs) a digest of it, with which anyone "
            "who guesses those ids can confirm them; batch erasures into lists of at least "
            f"{FEW_IDS} ids, or acknowledge this warning if only people who may know who asked "
            f"to be erased read them [ack: {FEW_IDS_WARNING}]",
        )
    ]
    assert "alice" not in json.dumps(_few_ids_warnings(stack))


def test_a_local_list_of_enough_ids_gets_no_warning() -> None:
    """GIVEN a local list of FEW_IDS distinct ids (one given twice is counted once)
    WHEN the stack is synthesized
    THEN no few-ids warning; with one id fewer, there is one."""
    ids = [f"u-{n}" for n in range(FEW_IDS)]
    assert _few_ids_warnings(_request([*ids, "u-0"])) == []
    assert len(_few_ids_warnings(_request(ids[1:]))) == 1


def test_one_warning_per_construct_names_its_first_requests_and_counts_the_rest() -> None:
    """GIVEN a construct with seven one- or two-id requests and one of FEW_IDS ids
    WHEN the stack is synthesized
    THEN one warning, on the construct, names the first five short lists with their counts and
    counts the other two; the long list is not among them. (A warning per request cost two
    jsii round trips and a line of `cdk synth` output each.)"""
    stack = new_stack()
    deletion = PersonalizeDataDeletion(stack, "UserDeletion")
    for n in range(7):
        ids = [f"u-{n}-{i}" for i in range(1 + n % 2)]
        deletion.delete_users(
            f"erasure-{n}", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(ids)
        )
    deletion.delete_users(
        "batch",
        dataset_group_arn=DATASET_GROUP_ARN,
        users=UserList.from_ids([f"b-{i}" for i in range(FEW_IDS)]),
    )

    warnings = _few_ids_warnings(stack)

    assert [path for path, _ in warnings] == ["/S/UserDeletion"]
    assert warnings[0][1].startswith(
        "7 requests 'erasure-0' (1 id), 'erasure-1' (2 ids), 'erasure-2' (1 id), 'erasure-3' "
        "(2 ids), 'erasure-4' (1 id) and 2 more: a local list of fewer than "
    )


def test_a_request_fanned_out_to_several_groups_is_named_and_counted_once() -> None:
    """GIVEN a one-id request fanned out to three dataset groups (three jobs) and a two-id
    request in one group
    WHEN the stack is synthesized
    THEN the warning counts and names the two requests the user declared, each once, by its
    name: not "3 requests" for three jobs of one."""
    stack = new_stack()
    deletion = PersonalizeDataDeletion(stack, "UserDeletion")
    deletion.delete_users_from_groups(
        "erasure-everywhere",
        dataset_groups=[f"{DATASET_GROUP_ARN}-{n}" for n in range(3)],
        users=UserList.from_ids(["u-1"]),
    )
    deletion.delete_users(
        "erasure-here", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(["a", "b"])
    )

    warnings = _few_ids_warnings(stack)

    assert [path for path, _ in warnings] == ["/S/UserDeletion"]
    assert warnings[0][1].startswith(
        "2 requests 'erasure-everywhere' (1 id), 'erasure-here' (2 ids): a local list of fewer "
        f"than {FEW_IDS} distinct ids; "
    )


def test_the_few_ids_warning_can_be_acknowledged() -> None:
    """GIVEN a one-id request whose stack acknowledges the few-ids warning
    WHEN the stack is synthesized
    THEN the warning is gone."""
    stack = _request(["u-1"])
    cdk.Annotations.of(stack).acknowledge_warning(FEW_IDS_WARNING, "reviewed: template is private")
    assert _few_ids_warnings(stack) == []
