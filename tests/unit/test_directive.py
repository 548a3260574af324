"""The directive parser and locator: pure, fast, no Pelican."""

import datetime as dt

import pytest
from tlsreport.directive import (
    DirectiveError,
    directive_lines,
    looks_like_directive,
    parse_directive,
)


def test_grades_with_defaults() -> None:
    d = parse_directive("[tlsreport grades list=belgian-banks]")
    assert d.view == "grades"
    assert d.options == {"list": "belgian-banks", "compact": False}


def test_quoted_values_and_line_breaks() -> None:
    d = parse_directive('[tlsreport target list=banks\n  target="Hello Bank!"]')
    assert d.options["target"] == "Hello Bank!"
    assert d.text == '[tlsreport target list=banks target="Hello Bank!"]'


def test_escaped_quote_inside_quoted_value() -> None:
    d = parse_directive(r'[tlsreport target list=b target="say \"hi\""]')
    assert d.options["target"] == 'say "hi"'


def test_compact_and_as_of_are_typed() -> None:
    d = parse_directive("[tlsreport grades list=b compact=yes as_of=2015-03-03]")
    assert d.options["compact"] is True
    assert d.options["as_of"] == dt.date(2015, 3, 3)


def test_changes_since_defaults_to_previous_and_takes_a_date() -> None:
    assert parse_directive("[tlsreport changes list=b]").options["since"] == "previous"
    d = parse_directive("[tlsreport changes list=b since=2015-02-01]")
    assert d.options["since"] == dt.date(2015, 2, 1)


def test_a_chart_is_a_distribution_unless_a_kind_is_named() -> None:
    assert parse_directive("[tlsreport chart list=b]").options["kind"] == "distribution"
    d = parse_directive("[tlsreport chart list=b kind=timeline target=ING]")
    assert d.options == {"list": "b", "kind": "timeline", "target": "ING"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tlsreport grade list=b]", "unknown view 'grade'"),
        ("[tlsreport grades lst=b]", "unknown option 'lst'"),
        ("[tlsreport grades]", "needs list=SLUG"),
        ("[tlsreport grades list=b compact=maybe]", "expected yes or no"),
        ("[tlsreport grades list=b as_of=3/3/2015]", "expected YYYY-MM-DD"),
        ("[tlsreport grades list=b as_of=2015-02-30]", "expected YYYY-MM-DD"),
        ("[tlsreport changes list=b since=last]", "expected previous or YYYY-MM-DD"),
        ("[tlsreport chart list=b kind=pie]", "unknown chart kind 'pie'"),
        ("[tlsreport chart list=b kind=timeline]", "needs target=NAME"),
        ("[tlsreport target list=b]", "needs target=NAME"),
        ("[tlsreport grades list=b list=c]", "given twice"),
        ("[tlsreport grades list=Bad/Slug]", "not a list slug"),
        ("[tlsreport]", "needs a view first"),
        ('[tlsreport grades list="b]', "cannot read the directive"),
        ("[tlsreport grades list]", "needs a value"),
    ],
)
def test_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(DirectiveError, match=message.replace("(", r"\(")):
        parse_directive(text)


def test_only_whole_paragraphs_look_like_directives() -> None:
    assert looks_like_directive("  [tlsreport grades list=b]\n")
    assert not looks_like_directive("See [tlsreport grades list=b] here.")
    assert not looks_like_directive("[tlsreports grades list=b]")
    assert not looks_like_directive("[tlsreport grades list=b")


def test_directive_lines_skip_code_and_count_header_lines() -> None:
    source = "\n".join(
        [
            "Title: x",  # 1
            "Date: 2015-02-16",  # 2
            "",  # 3
            "Intro.",  # 4
            "",  # 5
            "```",  # 6
            "[tlsreport grades list=b]",  # 7 fenced: not a directive
            "```",  # 8
            "",  # 9
            "    [tlsreport grades list=b]",  # 10 indented code
            "",  # 11
            "[tlsreport grades",  # 12 a real one over two lines
            "  list=b]",  # 13
            "",  # 14
            "~~~~",  # 15
            "[tlsreport chart list=b]",  # 16
            "~~~~",  # 17
            "[tlsreport chart list=b]",  # 18
        ]
    )
    assert directive_lines(source) == [
        (12, "[tlsreport grades list=b]"),
        (18, "[tlsreport chart list=b]"),
    ]


def test_directive_lines_find_inline_targets_but_not_code_spans() -> None:
    source = "\n".join(
        [
            "Text `[tlsreport target list=b target=X]` here,",  # 1 code span
            'and ING is [tlsreport target list=b target="I N G"] today.',  # 2
            "",
            "[tlsreport grades list=b]",  # 4
        ]
    )
    assert directive_lines(source) == [
        (2, '[tlsreport target list=b target="I N G"]'),
        (4, "[tlsreport grades list=b]"),
    ]


@pytest.mark.parametrize(
    ("text", "message", "fix"),
    [
        (
            "[tlsreport grades list = my-lab]",
            "no spaces around '='",
            "[tlsreport grades list=my-lab]",
        ),
        ("[Tlsreport grades list=x]", "in lower case", "[tlsreport grades list=x]"),
        ("[tlsreport grades list=x", "not closed with ']'", "[tlsreport grades list=x]"),
        (
            "[tlsreport grades list=x] and text",
            "alone in its paragraph",
            "[tlsreport grades list=x]",
        ),
        ("[tlsreport grades lst=x]", "unknown option 'lst'", "[tlsreport grades list=x]"),
        ("[tlsreport grade list=x]", "unknown view 'grade'", "[tlsreport grades list=x]"),
    ],
)
def test_every_error_says_what_to_write_instead(text: str, message: str, fix: str) -> None:
    with pytest.raises(DirectiveError) as exc:
        parse_directive(text)
    assert message in str(exc.value)
    assert exc.value.fix == fix
    assert str(exc.value).endswith(f"; write: {fix}")


def test_paragraphs_that_only_start_like_a_directive_are_found_with_their_line() -> None:
    from tlsreport.directive import directive_lines, starts_like_directive

    assert starts_like_directive("[Tlsreport grades list=x]")
    assert starts_like_directive("[tlsreport grades list=x\nmore")
    assert not starts_like_directive("[tlsreport target list=a target=b] is graded A.")
    assert not starts_like_directive("[tlsreporting]")
    source = "Title: t\n\nIntro.\n\n[Tlsreport grades\nlist=x\n"
    assert directive_lines(source) == [(5, "[Tlsreport grades list=x")]
