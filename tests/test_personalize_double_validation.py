"""The double's request validation against botocore's model, in process (no server)."""

from __future__ import annotations

import pytest
from personalize_deletion_local.personalize_double import validate_against_shape

pytestmark = pytest.mark.fast
CREATE = "CreateDataDeletionJob"


def test_validator_handles_unicode_tag_patterns():
    # GIVEN the model's Tag shape (uses \p{L}\p{Z}\p{N} which Python re lacks)
    import botocore.session

    shape = (
        botocore.session.get_session()
        .get_service_model("personalize")
        .operation_model(CREATE)
        .input_shape.members["tags"]
        .member
    )
    # WHEN validating unicode letters/digits/spaces vs. a forbidden character
    ok = validate_against_shape(shape, {"tagKey": "Équipe 数据 ٣", "tagValue": ""})
    bad = validate_against_shape(shape, {"tagKey": "a!b", "tagValue": "x"})
    # THEN only the forbidden character fails
    assert ok == []
    assert len(bad) == 1
    assert "tagKey" in bad[0]


def _member(operation: str, member: str):  # type: ignore[no-untyped-def]
    import botocore.session

    model = botocore.session.get_session().get_service_model("personalize")
    return model.operation_model(operation).input_shape.members[member]


@pytest.mark.parametrize(
    ("operation", "member", "value", "violation"),
    [
        (
            CREATE,
            "jobName",
            5,
            "Value '5' at '' failed to satisfy constraint: Member must be a string",
        ),
        (CREATE, "tags", {}, "Value at '' failed to satisfy constraint: Member must be a list"),
        (
            CREATE,
            "dataSource",
            "s3://b/k",
            "Value 's3://b/k' at '' failed to satisfy constraint: Member must be a structure "
            "(DataSource)",
        ),
        (
            "ListDataDeletionJobs",
            "maxResults",
            True,
            "Value at '' failed to satisfy constraint: Member must be an integer",
        ),
        (
            "CreateDatasetImportJob",
            "publishAttributionMetricsToS3",
            "yes",
            "Value 'yes' at '' failed to satisfy constraint: Member must be a boolean",
        ),
    ],
)
def test_a_value_of_the_wrong_json_type_is_refused_naming_the_type(
    operation: str, member: str, value: object, violation: str
) -> None:
    # GIVEN a member of the model's input shapes
    shape = _member(operation, member)
    # WHEN a value of another JSON type is validated against it (bool is no integer)
    violations = validate_against_shape(shape, value)
    # THEN the one violation names the type the model wants
    assert violations == [violation]
