"""The personal-data sweep the lifecycle tests rely on must see what a log record carries."""

from __future__ import annotations

import logging

import pytest
from lifecycle_support import USER_IDS, assert_no_user_ids, debug_logs

pytestmark = pytest.mark.fast


def test_the_personal_data_sweep_sees_log_extras(caplog) -> None:
    # GIVEN a log record carrying a user id only in its ``extra`` fields
    debug_logs(caplog)
    logging.getLogger("sweep-check").debug("counts only", extra={"leak": USER_IDS[0]})

    # WHEN / THEN the sweep used by the tests above reports it
    with pytest.raises(AssertionError):
        assert_no_user_ids(caplog)
