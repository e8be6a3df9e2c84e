"""A small stand-in for the Bicep compiler's symbol checks: names used but never declared, and
parameters or variables declared but never used.

pycep-parser accepts any identifier anywhere, so a typo such as ``identity.outputs.principalId``
written ``identty.outputs.principalId`` would parse. This module blanks out comments and string
literals (keeping ``${...}`` interpolations, which are code), then looks at every identifier in
context: after ``.`` it is a property, before ``(`` a function, at the start of a line or after
``{`` or ``,`` and before ``:`` an object key; anything else must be declared in the file.
Scoping is file-wide (loop and lambda variables count as declared everywhere), which is looser
than Bicep but enough to catch misspellings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORDS = frozenset(
    {
        "targetScope",
        "metadata",
        "param",
        "var",
        "output",
        "resource",
        "module",
        "type",
        "func",
        "import",
        "extension",
        "existing",
        "if",
        "for",
        "in",
        "true",
        "false",
        "null",
        "string",
        "int",
        "bool",
        "object",
        "array",
        "any",
        "with",
        "as",
    }
)

_DECLARATION = re.compile(r"^\s*(param|var|output|resource|module|type|func)\s+(\w+)", re.M)
_LOOP_PAIR = re.compile(r"\bfor\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)\s*in\b")
_LOOP_ONE = re.compile(r"\bfor\s+(\w+)\s+in\b")
_LAMBDA_PAIR = re.compile(r"\(\s*(\w+)\s*,\s*(\w+)\s*\)\s*=>")
_LAMBDA_ONE = re.compile(r"\b(\w+)\s*=>")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def code_only(source: str) -> str:
    """``source`` with comments and string contents blanked (same length, same line breaks)."""
    out: list[str] = []
    # Each entry is a nesting level: "code", "string", or an interpolation's brace depth (int).
    stack: list[str | int] = ["code"]
    i = 0
    n = len(source)

    def blank(text: str) -> str:
        return "".join("\n" if c == "\n" else " " for c in text)

    while i < n:
        state = stack[-1]
        c = source[i]
        if state == "string":
            if c == "\\" and i + 1 < n:
                out.append("  ")
                i += 2
            elif source.startswith("${", i):
                out.append("  ")
                stack.append(0)
                i += 2
            elif c == "'":
                out.append("'")
                stack.pop()
                i += 1
            else:
                out.append(blank(c))
                i += 1
            continue
        # code, or code inside an interpolation
        if source.startswith("'''", i):
            end = source.find("'''", i + 3)
            end = n if end < 0 else end + 3
            out.append("'" + blank(source[i + 1 : end - 1]) + "'")
            i = end
        elif c == "'":
            out.append("'")
            stack.append("string")
            i += 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            end = n if end < 0 else end
            out.append(blank(source[i:end]))
            i = end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(blank(source[i:end]))
            i = end
        elif isinstance(state, int) and c == "{":
            stack[-1] = state + 1
            out.append(c)
            i += 1
        elif isinstance(state, int) and c == "}":
            if state == 0:
                stack.pop()
                out.append(" ")
            else:
                stack[-1] = state - 1
                out.append(c)
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class Symbols:
    declared: frozenset[str]
    """Names a file may refer to (outputs are declared too, but nothing can refer to them)."""
    parameters: frozenset[str]
    variables: frozenset[str]
    used: frozenset[str]
    """Every identifier used as a value: not a property, function, object key or keyword."""


def _previous(code: str, index: int) -> str:
    """The nearest character before ``index`` that is not a space or tab ("\\n" counts)."""
    j = index - 1
    while j >= 0 and code[j] in " \t":
        j -= 1
    return code[j] if j >= 0 else "\n"


def _next(code: str, index: int) -> str:
    j = index
    while j < len(code) and code[j] in " \t":
        j += 1
    return code[j] if j < len(code) else "\n"


def symbols(source: str) -> Symbols:
    code = code_only(source)
    declarations = _DECLARATION.findall(code)
    by_kind: dict[str, set[str]] = {}
    for kind, name in declarations:
        by_kind.setdefault(kind, set()).add(name)
    declaration_names = {m.start(2) for m in _DECLARATION.finditer(code)}
    local: set[str] = set()
    for pattern in (_LOOP_PAIR, _LAMBDA_PAIR):
        for match in pattern.finditer(code):
            local.update(match.groups())
    for pattern in (_LOOP_ONE, _LAMBDA_ONE):
        for match in pattern.finditer(code):
            local.add(match.group(1))

    used: set[str] = set()
    for match in _IDENTIFIER.finditer(code):
        name, start, end = match.group(), match.start(), match.end()
        before, after = _previous(code, start), _next(code, end)
        if name in KEYWORDS or start in declaration_names:
            continue
        if before in ".@" or code[max(0, start - 2) : start] == "::":
            continue  # property, decorator or nested-resource accessor
        if after == "(":
            continue  # function call
        if after == ":" and before in "\n{,":
            continue  # object key
        used.add(name)

    referable = [names for kind, names in by_kind.items() if kind != "output"]
    declared = frozenset(set().union(local, *referable))
    return Symbols(
        declared=declared,
        parameters=frozenset(by_kind.get("param", set())),
        variables=frozenset(by_kind.get("var", set())),
        used=frozenset(used),
    )
