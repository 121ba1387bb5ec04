"""`@defer`/`@stream` under the same error policy and audit as ordinary answers.

graphql-core 3.3 answers an incremental operation with a container (an initial result and an
async stream of patches) instead of one result. Extensions that read `result.errors` see the
initial result through `initial()`; the patches' errors are shaped one by one as they leave
(`shape_patch`), and a bad `initialCount` is the client's mistake, not an internal error.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ExperimentalIncrementalExecutionResults,
    GraphQLError,
    SubsequentIncrementalExecutionResult,
    ValidationRule,
)
from graphql.language import DirectiveNode, IntValueNode

from gateway.errors import ErrorCode

#: graphql-core raises this ValueError at execution for a negative `initialCount` variable.
INITIAL_COUNT_MESSAGE = "initialCount must be a positive integer"


def initial(result: Any) -> Any:
    """The result the extensions should judge: the initial part of an incremental answer."""
    if isinstance(result, ExperimentalIncrementalExecutionResults):
        return result.initial_result
    return result


def is_incremental(result: Any) -> bool:
    return isinstance(result, ExperimentalIncrementalExecutionResults)


def is_bad_initial_count(error: BaseException | None) -> bool:
    return isinstance(error, ValueError) and str(error) == INITIAL_COUNT_MESSAGE


def patch_errors(frame: SubsequentIncrementalExecutionResult) -> list[list[GraphQLError]]:
    """Every error list a patch carries (per delivered part and per completed one), in place."""
    lists: list[list[GraphQLError]] = []
    for part in frame.incremental or ():
        if part.errors:
            lists.append(part.errors)
    for done in frame.completed or ():
        if done.errors:
            lists.append(done.errors)
    return lists


class StreamArgumentsRule(ValidationRule):
    """A literal `@stream(initialCount: n)` with n < 0 is refused before any upstream call."""

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
        if node.name.value != "stream":
            return
        for arg in node.arguments or ():
            value = arg.value
            if (
                arg.name.value == "initialCount"
                and isinstance(value, IntValueNode)
                and int(value.value) < 0
            ):
                self.report_error(
                    GraphQLError(
                        "@stream(initialCount:) must be 0 or more",
                        arg,
                        extensions={"code": ErrorCode.BAD_USER_INPUT.value},
                    )
                )
