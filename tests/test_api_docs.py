"""Every prop of the public API is documented where users read it: in the docstring.

The public API is what ``personalize_data_deletion`` exports (its ``__all__``) and the
ready-made stacks of ``personalize_data_deletion.stack``; for each public class, its
constructor and every public method defined in this library, and each public function, every
parameter needs a ``:param <name>:`` line, and one with a default must say ``Default:``.
"""

from __future__ import annotations

import inspect
import re
import typing
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


def unpacked(function: Callable[..., object], parameter: inspect.Parameter) -> type | None:
    """The ``TypedDict`` of a ``**options: Unpack[...]`` parameter, else ``None``."""
    if parameter.kind is not inspect.Parameter.VAR_KEYWORD:
        return None
    # Only this annotation is resolved: others may name types imported for type checkers only.
    hint = parameter.annotation
    if isinstance(hint, str):
        hint = eval(hint, vars(inspect.getmodule(function)))
    if typing.get_origin(hint) is not typing.Unpack:
        return None
    return typing.get_args(hint)[0]


def undocumented_keys(options: typing.Any) -> list[str]:
    """The keys of a ``TypedDict`` of options its own docstring does not document (an
    optional one also needs a ``Default:``)."""
    documented = documented_params(_own_doc(options))
    problems = []
    for key in sorted(options.__required_keys__ | options.__optional_keys__):
        description = documented.get(key)
        if description is None:
            problems.append(f"{options.__name__}.{key}: no ':param {key}:' line")
        elif key in options.__optional_keys__ and "Default:" not in description:
            problems.append(f"{options.__name__}.{key}: optional, but no Default:")
    return problems


def undocumented(function: Callable[..., object], doc: str) -> list[str]:
    """What is missing from ``doc`` for ``function``'s parameters, one line each; for
    ``**options: Unpack[SomeOptions]``, what ``SomeOptions`` does not document of its keys."""
    documented = documented_params(doc)
    problems = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name in ("self", "cls"):
            continue
        options = unpacked(function, parameter)
        if options is not None:
            problems += undocumented_keys(options)
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


class _Options(typing.TypedDict, total=False):
    """Options.

    :param tags: its tags.
    """

    tags: dict
    completion: str


def _declare(name: str, **options: typing.Unpack[_Options]) -> None:
    """Declare.

    :param name: the request.
    :param options: see _Options. Default: none.
    """


def test_options_unpacked_into_keywords_are_documented_on_their_type() -> None:
    # GIVEN a function taking **options of a TypedDict that documents one key of two
    # WHEN it is checked THEN both gaps of the TypedDict are named
    assert undocumented(_declare, _own_doc(_declare)) == [
        "_Options.completion: no ':param completion:' line",
        "_Options.tags: optional, but no Default:",
    ]
