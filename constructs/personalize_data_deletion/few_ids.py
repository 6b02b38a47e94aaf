"""The synth warning for local lists of few ids, one per construct, said once the app
synthesizes.

A list's SHA-256 is in the template (``ContentSha256``) and the receipt, and a digest of it in
the job's name (events, outputs). A hash hides nothing from a reader who guesses the ids of a
list of one or a few (an email address, a customer number): hashing the guess confirms it.
Among ten ids or more, confirming one needs every other id guessed too.

One warning per construct, naming its requests, rather than one per request: a warning is two
jsii round trips and a line of ``cdk synth`` output, which a stack of a hundred single-user
erasures would pay a hundred times. It is added when the construct is validated, after every
request was declared, so the warning can count them all.
"""

from __future__ import annotations

import jsii
from aws_cdk import Annotations

from constructs import Construct, IValidation

FEW_IDS = 10
"""A local list with fewer distinct ids than this is named in the construct's warning."""
FEW_IDS_WARNING = "@personalize-data-deletion/few-ids-in-local-list"
SHOWN = 5
"""Requests the warning names; it counts the others (the message stays one line)."""


@jsii.implements(IValidation)
class FewIdsWarning:
    """The requests of one ``PersonalizeDataDeletion`` whose local list holds fewer than
    :data:`FEW_IDS` ids, and the one warning that names them.

    :param scope: the construct the warning is on (acknowledge it there or on the stack).
    """

    def __init__(self, scope: Construct) -> None:
        self._scope = scope
        self._requests: dict[str, int] = {}

    def add(self, request_name: str, count: int) -> None:
        """Note a request whose local list holds ``count`` (< :data:`FEW_IDS`) distinct ids.

        A request fanned out to several dataset groups is one job per group, each adding it
        with the same list: it is named and counted once, as the request the user declared."""
        if not self._requests:  # one validation per construct, and none without a short list
            self._scope.node.add_validation(self)
        self._requests.setdefault(request_name, count)

    def validate(self) -> list[str]:
        """Warn (an app synthesized twice validates twice: CDK keeps one of equal messages);
        never an error."""
        requests = list(self._requests.items())
        Annotations.of(self._scope).add_warning_v2(FEW_IDS_WARNING, message(requests))
        return []


def message(requests: list[tuple[str, int]]) -> str:
    """What the warning says: which requests (never which ids), the risk, and the fix."""
    shown = ", ".join(
        f"{label!r} ({count} {'id' if count == 1 else 'ids'})" for label, count in requests[:SHOWN]
    )
    if len(requests) > SHOWN:
        shown += f" and {len(requests) - SHOWN} more"
    subject = "request" if len(requests) == 1 else f"{len(requests)} requests"
    return (
        f"{subject} {shown}: a local list of fewer than {FEW_IDS} distinct ids; the template "
        "(ContentSha256) and the receipt carry a list's SHA-256, and the job's name (in events "
        "and outputs) a digest of it, with which anyone who guesses those ids can confirm them; "
        f"batch erasures into lists of at least {FEW_IDS} ids, or acknowledge this warning if "
        "only people who may know who asked to be erased read them"
    )
