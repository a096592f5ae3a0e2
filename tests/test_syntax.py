"""The YAML mistakes a person makes on a first edit, told as what is wrong, where, and what to do (issue 12).

libyaml's own words ("found character that cannot start any token", "did not find expected
'-' indicator") name what its parser met, and a missing space after a colon is reported on
the line after it. Each test writes the mistake into a small file and asserts the whole
message, at the position the test counts itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from calfeed import EventsFileError, load_calendar
from calfeed.cli import cli
from conftest import HEAD
from test_load import at

#: HEAD and one event above the mistake: the event's '- id' is on line 6, its 'title' on line 7
EVENT = HEAD + "  - id: a\n    title: x\n"


def report(path: Path) -> str:
    with pytest.raises(EventsFileError) as info:
        load_calendar(path)
    return info.value.report()


def test_issue_12_tab_indentation(write_events):
    path = write_events(HEAD + "  - id: a\n\ttitle: x\n")
    assert report(path) == (
        at(path, "\t") + ": a tab indents this line, and YAML indents with spaces only; replace the tab with spaces"
    )


def test_issue_12_tab_after_the_dash_of_an_item(write_events):
    path = write_events(HEAD + "  -\tid: a\n    title: x\n")
    assert report(path) == (
        at(path, "\t") + ": a tab indents this line, and YAML indents with spaces only; replace the tab with spaces"
    )


def test_issue_12_key_indented_less_than_its_siblings(write_events):
    path = write_events(EVENT + "   start: '09:00'\n")
    assert report(path) == (
        at(path, "start") + ": 'start' is indented 3 spaces, which lines up with no line above it; "
        "YAML nests by indentation: indent it 4 spaces like 'title' on line 7 "
        "(or 0 spaces like 'events' on line 5, 2 spaces like '- id' on line 6)"
    )


def test_issue_12_key_indented_like_the_dashes_of_the_list(write_events):
    path = write_events(EVENT + "  start: '09:00'\n")
    assert report(path) == (
        at(path, "start") + ": 'start' is indented 2 spaces, where the '- ' items of the list on line 6 start, "
        "but it is not an item; indent it 4 spaces like 'title' on line 7 "
        "(or 0 spaces like 'events' on line 5, 2 spaces like '- id' on line 6), or start a new item with '- '"
    )


def test_issue_12_item_indented_off_its_list(write_events):
    path = write_events(EVENT + " - id: b\n")
    assert report(path) == (
        at(path, "- id: b") + ": '- id' is indented 1 space, which lines up with no line above it; "
        "YAML nests by indentation: indent it 2 spaces like '- id' on line 6 "
        "(or 4 spaces like 'title' on line 7, 0 spaces like 'events' on line 5)"
    )


def test_issue_12_key_indented_more_than_its_siblings(write_events):
    path = write_events(EVENT + "     start: '09:00'\n")
    assert report(path) == (
        at(path, "start") + ": 'start' is indented 5 spaces, more than 'title' on line 7, which already has a value; "
        "indent it 4 spaces like 'title'"
    )


def test_issue_12_list_item_among_keys(write_events):
    path = write_events("name: Test\n- x\n")
    assert report(path) == (
        f"{path}:2:1: a '- ' list item cannot stand among the keys of a mapping ('name' on line 1); "
        "to give a key a list, put 'key:' on a line above it and indent the items below"
    )


def test_issue_12_next_item_indented_like_the_keys_of_the_one_before(write_events):
    path = write_events("name: Test\nevents:\n- id: a\n  title: x\n  - id: b\n")
    assert report(path) == (
        at(path, "- id: b") + ": a '- ' list item cannot stand among the keys of a mapping ('title' on line 4); "
        "to make it another item of the list on line 3 ('- id'), indent it 0 spaces like that item; "
        "to give a key a list, put 'key:' on a line above it and indent the items below"
    )


def test_issue_12_missing_space_after_colon_is_reported_on_its_own_line(write_events):
    path = write_events(HEAD + "  - id: a\n    title:x\n    start: '09:00'\n")
    assert report(path) == at(path, ":x") + ": a colon needs a space after it: write 'title: x'"


def test_issue_12_missing_space_after_colon_at_the_top(write_events):
    path = write_events("name:Test\ntimezone: America/Chicago\n")
    assert report(path) == at(path, ":Test") + ": a colon needs a space after it: write 'name: Test'"


def test_issue_12_missing_space_after_dash(write_events):
    path = write_events(HEAD + "  -id: a\n    title: x\n")
    assert report(path) == at(path, "-id") + ": a list item needs a space after '-': write '- id: a'"


def test_issue_12_colon_space_inside_a_value(write_events):
    path = write_events(HEAD + "  - id: a\n    title: Keynote: the future\n")
    assert report(path) == (
        at(path, "Keynote") + ": this value contains ': ', which YAML reads as the start of another key; "
        'put the whole value in quotes: "Keynote: the future"'
    )


def test_issue_12_quote_closed_on_a_later_line(write_events):
    path = write_events(HEAD + "  - id: a\n    title: \"A talk\n    start: \"09:00\"\n")
    assert report(path) == (
        at(path, '"A talk') + ': this " is not closed on its line, so the value runs on to the next " (line 8); '
        "add the closing \" (text over several lines takes '>-')"
    )


def test_issue_12_quote_never_closed(write_events):
    path = write_events(HEAD + "  - id: a\n    title: 'A talk\n")
    assert report(path) == at(path, "'A talk") + ": this ' is never closed; add the closing ' where the text ends"


def test_issue_12_text_after_a_quoted_part(write_events):
    path = write_events(HEAD + '  - id: a\n    title: "Draft" a talk\n')
    assert report(path) == (
        at(path, '"Draft"') + ": text follows the quoted part of this value; put the whole value in quotes: "
        "'\"Draft\" a talk'"
    )


def test_issue_12_bracket_never_closed(write_events):
    path = write_events(HEAD + "  - id: a\n    speakers: [Ana, Bo\n    start: '09:00'\n")
    assert report(path) == (
        at(path, "[Ana") + ": this '[' starts a list that is never closed; close it with ']' "
        "(text that starts with '[' must be in quotes)"
    )


@pytest.mark.parametrize("rest", ["", "Ana,\n", "Ana, 'Bo, Jr.',\n"], ids=["empty", "one", "quoted-comma"])
def test_issue_12_bracket_open_at_the_end_of_the_file(write_events, rest):
    path = write_events(HEAD + "  - id: a\n    speakers: [" + rest)
    assert report(path) == (
        at(path, "[") + ": this '[' starts a list that is never closed; close it with ']' "
        "(text that starts with '[' must be in quotes)"
    )


def test_issue_12_brace_never_closed(write_events):
    path = write_events(HEAD + "  - {id: a, title: x\n  - id: b\n")
    assert report(path) == (
        at(path, "{id") + ": this '{' starts a mapping that is never closed; close it with '}' "
        "(text that starts with '{' must be in quotes)"
    )


def test_issue_12_text_that_starts_with_a_bracket(write_events):
    path = write_events(HEAD + "  - id: a\n    title: [Draft] a talk\n")
    assert report(path) == (
        at(path, "[Draft]") + ": a value that starts with '[' is a list in YAML, and text follows it; "
        'put the whole value in quotes: "[Draft] a talk"'
    )


def test_issue_12_value_starting_with_a_reserved_character(write_events):
    path = write_events(HEAD + "  - id: a\n    title: '@home'\n    location: @home\n")
    assert report(path) == (
        at(path, "@home", 1) + ": YAML reserves '@', so a value cannot start with it; put the value in quotes: \"@home\""
    )


def test_issue_12_value_starting_with_an_asterisk(write_events):
    path = write_events(HEAD + "  - id: a\n    title: *star\n")
    assert report(path) == (
        at(path, "*star") + ": *star refers to a YAML anchor that is not defined; to write text that starts with '*', "
        'put it in quotes: "*star"'
    )


@pytest.mark.parametrize("value", ["C:\\Users", "C:\\qux"])
def test_issue_12_backslash_in_double_quotes(write_events, value):
    path = write_events(HEAD + f'  - id: a\n    title: "{value}"\n')
    assert report(path) == (
        at(path, "\\") + f": a backslash starts an escape inside double quotes, and '\\{value[3]}' is not a valid one; "
        "write '\\\\' for a backslash, or use single quotes"
    )


def test_issue_12_block_text_not_indented(write_events):
    path = write_events(HEAD + "  - id: a\n    title: x\n    abstract: |\n    Some text\n")
    assert report(path) == (
        at(path, "Some") + ": the text of a block value ('|' on line 8) must be indented more than its key; "
        "indent it 6 spaces"
    )


def test_issue_12_second_document(write_events):
    path = write_events("name: Test\n---\nname: Other\n")
    assert report(path) == (
        at(path, "---") + ": a second YAML document starts here; an events file holds one: remove this '---' line"
    )


def test_issue_12_duplicate_key_names_the_first(write_events):
    path = write_events(HEAD + "  - id: a\n    title: x\n    start: '09:00'\n    end: '10:00'\n    title: y\n")
    assert report(path) == at(path, "title", 1) + ": events[0].title: 'title' is given twice (first on line 7); keep one of them"


def test_issue_12_non_ascii_before_the_mistake_counts_characters(write_events):
    path = write_events("name: Zürich café: 2023\n")
    assert report(path) == (
        f"{path}:1:7: this value contains ': ', which YAML reads as the start of another key; "
        'put the whole value in quotes: "Zürich café: 2023"'
    )


def test_issue_12_check_does_not_say_nothing_was_written(runner, write_events):
    path = write_events(HEAD + "  - id: a\n\ttitle: x\n")
    result = runner.invoke(cli, ["check", str(path)])
    assert (result.exit_code, result.output) == (2, (
        f"{path}:7:1: a tab indents this line, and YAML indents with spaces only; replace the tab with spaces\n"
        f"1 problem; {path} is not valid.\n"
    ))
