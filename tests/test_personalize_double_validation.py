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
