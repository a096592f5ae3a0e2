"""Say what a YAML syntax error means for a hand-edited file, where it is, and how to fix it.

libyaml reports what its parser met, in its own words and often a line late: a tab is
"found character that cannot start any token", a key indented one space too little is
"did not find expected '-' indicator", ``title:x`` is reported on the line after it. The
common mistakes are recognised here from the error and the lines around it, and told as
``FILE:LINE:COL: what is wrong; how to fix it`` at the place to edit. Anything not
recognised keeps libyaml's words, with its position.
"""

from __future__ import annotations

import re

import yaml

from .errors import Problem

_TAB = "a tab indents this line, and YAML indents with spaces only; replace the tab with spaces"
#: ``key:value`` with no space after the colon (a URL's ``https://`` is not one).
_NO_SPACE = re.compile(r"^(\s*(?:-\s+)?)([A-Za-z_][\w.-]*):(?!//)([^\s:].*)$")
#: ``key: value`` (or ``- key: value``): where a mapping value starts on a line.
_KEY = re.compile(r"^(\s*(?:-\s+)?)([^\s#'\"\[{][^:#]*?):(?:\s+|$)")


def syntax_problem(text: str, err: yaml.MarkedYAMLError) -> Problem:
    """Turn a YAML syntax error into one located problem a person can act on.

    Args:
        text: The YAML text that failed to parse.
        err: The error libyaml (or PyYAML) raised for it.

    Returns:
        The problem, at the line and column to edit, with what to do there.
    """
    lines = text.splitlines()
    mark = err.problem_mark or err.context_mark
    if mark is None:
        return Problem("", f"YAML syntax error: {err.problem or err}", 1, 1)
    found = _explain(lines, err, mark.line, mark.column)
    if found is not None:
        line, column, message = found
        return Problem("", message, line + 1, column + 1)
    reason = err.problem or "unreadable YAML"
    if err.context and err.context_mark:
        reason += f" ({err.context} that began at line {err.context_mark.line + 1}, column {err.context_mark.column + 1})"
    return Problem("", f"YAML syntax error: {reason}", mark.line + 1, mark.column + 1)


def _explain(lines: list[str], err: yaml.MarkedYAMLError, line: int, column: int) -> tuple[int, int, str] | None:
    """(0-based line, 0-based column, message) for a mistake recognised, else None."""
    problem = err.problem or ""
    context = err.context or ""
    start = err.context_mark
    here = lines[line] if line < len(lines) else ""
    tab = _indent_tab(lines, line)
    if tab is not None:
        return line, tab, _TAB
    if "tab character" in problem or here[column:column + 1] == "\t":
        return line, column, _TAB
    if problem.startswith("found unexpected end of stream") and "quoted scalar" in context and start:
        quote = lines[start.line][start.column]
        return start.line, start.column, f"this {quote} is never closed; add the closing {quote} where the text ends"
    if problem.startswith("did not find expected ',' or") and start:
        return _never_closed(start.line, start.column, "[" if "sequence" in context else "{")
    if problem == "did not find expected node content" and "flow" in context:  # '[' or '{' open at the end
        opened = _unclosed(lines, line)
        if opened is not None:
            return _never_closed(*opened, lines[opened[0]][opened[1]])
    if problem == "found character that cannot start any token" and here[column:column + 1] in ("@", "`"):
        return line, column, (
            f"YAML reserves {here[column]!r}, so a value cannot start with it; put the value in quotes: "
            f"{_quote(here[column:])}"
        )
    if problem == "found undefined alias":
        name = re.match(r"\*[^\s,\]}]*", here[column:])
        alias = name.group(0) if name else "*"
        return line, column, (
            f"{alias} refers to a YAML anchor that is not defined; to write text that starts with '*', "
            f"put it in quotes: {_quote(here[column:])}"
        )
    if problem in ("found unknown escape character", "did not find expected hexdecimal number"):
        slash = max(here.rfind("\\", 0, column + 1), 0)
        return line, slash, (
            f"a backslash starts an escape inside double quotes, and '{here[slash:slash + 2]}' is not a valid one; "
            "write '\\\\' for a backslash, or use single quotes"
        )
    if problem == "but found another document" or context == "expected a single document in the stream":
        return line, column, "a second YAML document starts here; an events file holds one: remove this '---' line"
    if problem.startswith("could not find expected ':'") and start:
        return _no_colon(lines, start.line)
    if problem.startswith("mapping values are not allowed"):
        return _colon_in_value(lines, line, column)
    if problem == "did not find expected key":
        found = _after_value(lines, line, column)
        if found is not None:
            return found
    if problem in ("did not find expected key", "did not find expected '-' indicator",
                   "did not find expected <document start>") or problem.startswith("expected <block end>"):
        if here[:column].strip() == "":  # the first thing on its line: an indentation mistake
            return _indentation(lines, line)
    return None


def _never_closed(line: int, column: int, opener: str) -> tuple[int, int, str]:
    closer, what = ("]", "list") if opener == "[" else ("}", "mapping")
    return line, column, (
        f"this '{opener}' starts a {what} that is never closed; close it with '{closer}' "
        f"(text that starts with '{opener}' must be in quotes)"
    )


def _unclosed(lines: list[str], end: int) -> tuple[int, int] | None:
    """(line, column) of the last '[' or '{' left open before line ``end`` (quotes and comments skipped)."""
    stack: list[tuple[int, int]] = []
    for number, text in enumerate(lines[:end + 1]):
        quote = ""
        for column, char in enumerate(text):
            if quote:
                quote = "" if char == quote else quote
            elif char in "\"'" and (column == 0 or text[column - 1] in " [{,:"):
                quote = char
            elif char == "#" and (column == 0 or text[column - 1] in " \t"):
                break
            elif char in "[{":
                stack.append((number, column))
            elif char in "]}" and stack:
                stack.pop()
    return stack[-1] if stack else None


def _indent_tab(lines: list[str], line: int) -> int | None:
    """The column of a tab in the indentation of the line (or the line before), if any."""
    for number in (line, line - 1):
        if 0 <= number < len(lines):
            text = lines[number]
            indent = text[: len(text) - len(text.lstrip(" \t"))]
            if "\t" in indent and text.strip():
                return indent.index("\t") if number == line else None
    return None


def _quote(value: str) -> str:
    value = value.strip()
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _previous(lines: list[str], line: int) -> int | None:
    """The nearest line above ``line`` with content (not blank, not only a comment)."""
    for number in range(line - 1, -1, -1):
        stripped = lines[number].strip()
        if stripped and not stripped.startswith("#"):
            return number
    return None


def _missing_space(lines: list[str], number: int) -> tuple[int, int, str] | None:
    match = _NO_SPACE.match(lines[number])
    if match is None or ": " in lines[number]:
        return None
    colon = len(match.group(1)) + len(match.group(2))
    return number, colon, (
        f"a colon needs a space after it: write '{match.group(2)}: {match.group(3).rstrip()}'"
    )


def _no_colon(lines: list[str], number: int) -> tuple[int, int, str]:
    """Where a key was expected, a line that is not ``key: value`` (libyaml notices one line late)."""
    found = _missing_space(lines, number)
    if found is not None:
        return found
    text = lines[number]
    indent = len(text) - len(text.lstrip(" "))
    above = _previous(lines, number)
    if above is not None and lines[above].rstrip().endswith(("|", ">", "|-", ">-", "|+", ">+")):
        key = _KEY.match(lines[above])
        deeper = (len(key.group(1)) if key else indent) + 2
        return number, indent, (
            f"the text of a block value ('{lines[above].rstrip()[-2:].strip()}' on line {above + 1}) must be "
            f"indented more than its key; indent it {deeper} spaces"
        )
    return number, indent, (
        "this line is neither 'key: value' nor a '- ' list item; add the key and a colon, "
        "or, if it continues the text above, put that text in quotes"
    )


def _colon_in_value(lines: list[str], line: int, column: int) -> tuple[int, int, str]:
    """A ': ' where YAML cannot start a mapping: in a value, after a bad indent, or a line late."""
    text = lines[line]
    key = _KEY.match(text)
    if key is not None and key.end() <= column:
        value = text[key.end():]
        return line, key.end(), (
            f"this value contains ': ', which YAML reads as the start of another key; put the whole value "
            f"in quotes: {_quote(value)}"
        )
    above = _previous(lines, line)
    if above is not None:
        previous = lines[above]
        dash = re.match(r"^(\s*)-([^\s-].*)$", previous)
        if dash:
            return above, len(dash.group(1)), (
                f"a list item needs a space after '-': write '- {dash.group(2).strip()}'"
            )
        missing = _missing_space(lines, above)
        if missing is not None:
            return missing
        indent = len(text) - len(text.lstrip(" "))
        previous_key = _KEY.match(previous)
        if previous_key is not None:
            level = len(previous_key.group(1))
            if indent > level and previous[previous_key.end():].strip():
                sibling = f"'{previous_key.group(2).strip()}'"
                return line, indent, (
                    f"{_name(text)} is indented {_spaces(indent)}, more than {sibling} on line {above + 1}, "
                    f"which already has a value; indent it {_spaces(level)} like {sibling}"
                )
    return line, column, (
        "YAML reads ': ' here as the start of a key, which cannot go here; if it is part of a value, "
        "put the value in quotes"
    )


def _after_value(lines: list[str], line: int, column: int) -> tuple[int, int, str] | None:
    """Text after a closed quote or bracket: an unclosed quote from above, or a value only partly quoted."""
    before = lines[line][:column].rstrip()
    if not before:
        return None
    last = before[-1]
    if last in "\"'":
        if _count(before, last) % 2:  # this quote closes one opened on an earlier line
            for number in range(line - 1, -1, -1):
                if _count(lines[number], last) % 2:
                    opened = _open_quote(lines[number], last)
                    return number, opened, (
                        f"this {last} is not closed on its line, so the value runs on to the next {last} "
                        f"(line {line + 1}); add the closing {last} (text over several lines takes '>-')"
                    )
            return None
        key = _KEY.match(lines[line])
        begin = key.end() if key else len(before) - len(before.lstrip())
        return line, begin, (
            f"text follows the quoted part of this value; put the whole value in quotes: "
            f"{_quote(lines[line][begin:]) if last == chr(39) else _single(lines[line][begin:])}"
        )
    if last in "]}":
        key = _KEY.match(lines[line])
        begin = key.end() if key else len(before) - len(before.lstrip())
        opener = "[" if last == "]" else "{"
        return line, begin, (
            f"a value that starts with '{opener}' is a {'list' if opener == '[' else 'mapping'} in YAML, and "
            f"text follows it; put the whole value in quotes: {_quote(lines[line][begin:])}"
        )
    return None


def _single(value: str) -> str:
    return "'" + value.strip().replace("'", "''") + "'"


def _count(text: str, quote: str) -> int:
    """Quote characters in ``text`` that open or close (escaped ones are not counted)."""
    if quote == '"':
        return len(re.findall(r'(?<!\\)"', text))
    return text.count("'") - 2 * text.count("''")


def _open_quote(text: str, quote: str) -> int:
    """The column of the last unpaired quote on the line."""
    positions = [index for index, char in enumerate(text) if char == quote and (quote != '"' or text[index - 1:index] != "\\")]
    return positions[-1] if positions else 0


def _name(text: str) -> str:
    stripped = text.strip()
    key = _KEY.match(text)
    if key is not None:
        return f"'{'- ' if stripped.startswith('-') else ''}{key.group(2).strip()}'"
    return f"'{stripped[:20]}'"


def _indentation(lines: list[str], line: int) -> tuple[int, int, str]:
    """A line indented to a column that lines up with nothing open above it."""
    text = lines[line]
    indent = len(text) - len(text.lstrip(" "))
    name = _name(text)
    levels: list[tuple[int, int, str]] = []  # (indent, line, what), innermost first
    deepest = None
    number: int | None = line
    while number is not None and (number := _previous(lines, number)) is not None:
        above = lines[number]
        level = len(above) - len(above.lstrip(" "))
        if deepest is not None and level >= deepest:
            continue
        dash = re.match(r"^(\s*)-\s+", above)
        if dash and (deepest is None or dash.end() < deepest) and _KEY.match(above):
            levels.append((dash.end(), number, _name(above[dash.end():])))
        levels.append((level, number, _name(above)))
        deepest = level
        if level == 0:
            break
    item = text.lstrip().startswith("-")
    # an item lines up with the '- ' of a list above, a key with the keys of a mapping: offer those first
    levels.sort(key=lambda level: level[2].startswith("'- ") != item)
    choices = [f"{_spaces(level)} like {what} on line {number + 1}" for level, number, what in levels]
    shown = choices[0] if len(choices) == 1 else f"{choices[0]} (or {', '.join(choices[1:4])})"
    for level, number, what in levels:
        if level != indent:
            continue
        if what.startswith("'- ") and not item:
            return line, indent, (
                f"{name} is indented {_spaces(indent)}, where the '- ' items of the list on line {number + 1} start, "
                f"but it is not an item; indent it {shown}, or start a new item with '- '"
            )
        if item and not what.startswith("'- "):
            lists = [(other, where, name) for other, where, name in levels if name.startswith("'- ")]
            another = (f"to make it another item of the list on line {lists[0][1] + 1} ({lists[0][2]}), indent it "
                       f"{_spaces(lists[0][0])} like that item; " if lists else "")
            return line, indent, (
                f"a '- ' list item cannot stand among the keys of a mapping ({what} on line {number + 1}); "
                f"{another}to give a key a list, put 'key:' on a line above it and indent the items below"
            )
    return line, indent, (
        f"{name} is indented {_spaces(indent)}, which lines up with no line above it; YAML nests by "
        f"indentation: indent it {shown}"
    )


def _spaces(count: int) -> str:
    return f"{count} space" if count == 1 else f"{count} spaces"


__all__ = ["syntax_problem"]
