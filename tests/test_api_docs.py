"""Every prop of the public API is documented where users read it: in the docstring.

The public API is what ``personalize_data_deletion`` exports (its ``__all__``) and the
ready-made stacks of ``personalize_data_deletion.stack``; for each public class, its
constructor and every public method defined in this library, and each public function, every
parameter needs a ``:param <name>:`` line, and one with a default must say ``Default:``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator

import personalize_data_deletion
import pytest
from personalize_data_deletion import stack

pytestmark = pytest.mark.synth

PACKAGE = personalize_data_deletion.__name__
STACK_API = ("DeletionRequestsStack", "DeletionRequestsStage", "resolve_request_file")
PARAM = re.compile(r"^\s*:param (\w+):(.*)$")
FIELD = re.compile(r"^\s*:\w+")


def _ours(obj: object) -> bool:
    return getattr(obj, "__module__", "").startswith(PACKAGE)


def _own_doc(obj: object) -> str:
    """The object's own docstring, never one inherited from a jsii base class."""
    return inspect.cleandoc(obj.__doc__ or "")


def public_callables() -> Iterator[tuple[str, Callable[..., object], str]]:
    """(qualified name, function, where its params are documented) of the public API."""
    api = {
        name: getattr(personalize_data_deletion, name) for name in personalize_data_deletion.__all__
    }
    api |= {name: getattr(stack, name) for name in STACK_API}
    for name, obj in sorted(api.items()):
        if inspect.isfunction(obj):
            yield name, obj, _own_doc(obj)
            continue
        if not inspect.isclass(obj):
            continue
        for klass in obj.__mro__:
            if not _ours(klass):
                continue
            for attribute, member in vars(klass).items():
                if attribute.startswith("_") and attribute != "__init__":
                    continue
                function = getattr(member, "__func__", member)
                if not inspect.isfunction(function):
                    continue
                doc = _own_doc(function)
                if attribute == "__init__":
                    # A constructor's props are documented on its class (or on __init__).
                    doc = f"{_own_doc(klass)}\n{doc}"
                yield f"{name}.{attribute}", function, doc


def documented_params(doc: str) -> dict[str, str]:
    """Each ``:param name:`` of a docstring, with its description (continuation lines too)."""
    params: dict[str, str] = {}
    current: str | None = None
    for line in doc.splitlines():
        match = PARAM.match(line)
        if match:
            current = match.group(1)
            params[current] = match.group(2).strip()
        elif current is not None and line.strip() and not FIELD.match(line):
            params[current] += " " + line.strip()
        else:
            current = None
    return params


def undocumented(function: Callable[..., object], doc: str) -> list[str]:
    """What is missing from ``doc`` for ``function``'s parameters, one line each."""
    documented = documented_params(doc)
    problems = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name in ("self", "cls"):
            continue
        description = documented.get(parameter.name)
        if description is None:
            problems.append(f"{parameter.name}: no ':param {parameter.name}:' line")
        elif parameter.default is not inspect.Parameter.empty and "Default:" not in description:
            problems.append(f"{parameter.name}: has a default, but its description has no Default:")
    return problems


CALLABLES = list(public_callables())


def test_the_public_api_is_found() -> None:
    # GIVEN the package's exports WHEN its callables are listed THEN the main ones are there
    names = {name for name, _, _ in CALLABLES}
    assert {
        "PersonalizeDataDeletion.__init__",
        "PersonalizeDataDeletion.delete_users",
        "PersonalizeDataDeletion.delete_users_from_groups",
        "PersonalizeDataDeletion.on_job_state_change",
        "UserList.from_s3",
        "Completion.hand_off",
        "Retrain.solutions",
        "DeletionRequestsStage.__init__",
    } <= names


@pytest.mark.parametrize(("name", "function", "doc"), CALLABLES, ids=[c[0] for c in CALLABLES])
def test_every_parameter_of_the_public_api_is_documented(
    name: str, function: Callable[..., object], doc: str
) -> None:
    # GIVEN a public constructor, method or function WHEN its docstring is read
    # THEN every parameter has a :param line, and one with a default says what it is
    assert undocumented(function, doc) == []


def test_a_missing_param_line_or_default_is_reported() -> None:
    # GIVEN a function whose docstring lacks one parameter and one default
    def declare(name: str, *, users: list[str], tags: dict | None = None) -> None:
        """Declare.

        :param name: the request.
        :param tags: its tags.
        """

    # WHEN it is checked THEN both gaps are named
    assert undocumented(declare, _own_doc(declare)) == [
        "users: no ':param users:' line",
        "tags: has a default, but its description has no Default:",
    ]
