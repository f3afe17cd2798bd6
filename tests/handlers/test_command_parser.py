"""The command-line parser: what people type, as Slack and Teams deliver it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.programme import Role
from handlers.commands import parse_command
from tests.hypothesis_profiles import examples


def test_empty_means_my_picks_now() -> None:
    assert parse_command("").name == "picks"
    assert parse_command("  now ").name == "picks"


def test_add_with_every_option_and_slack_escaped_link() -> None:
    command = parse_command(
        "add <https://news.example.com/a?b=1|news.example.com> #Product #careers "
        "caption “Proud of this” until 2026-12-31 priority 2"
    )
    assert command.name == "add"
    assert command.url == "https://news.example.com/a?b=1"
    assert command.topics == ("product", "careers")
    assert command.caption == "Proud of this"
    assert command.until == datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert command.priority == 2


def test_role_takes_a_slack_mention_and_roles() -> None:
    command = parse_command("role <@U0ABC|ann> content manager")
    assert (command.user_id, command.roles) == ("U0ABC", (Role.CONTENT, Role.MANAGER))
    assert parse_command("role @U0ABC none").roles == ()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("dance", "command.unknown"),
        ("add", "command.missing"),
        ("add notalink", "command.url"),
        ('add https://x.example caption "unclosed', "command.quote"),
        ("add https://x.example until 31-12-2026", "command.date"),
        ("add https://x.example priority 7", "command.priority"),
        ("add https://x.example banana", "command.argument"),
        ("add https://x.example #bad!topic", "topic.invalid"),
        ("retire abc", "command.id"),
        ("role nobody! admin", "command.user"),
        ("role <@U1> king", "command.role"),
        ("prefs please", "command.extra"),
        ("list zero", "command.page"),
        ("list ²", "command.page"),  # a digit to Python, not a number to int()
        ("add https://x.example priority ³", "command.priority"),
        ('edit 4 caption ""', "command.caption"),
        ("x" * 5000, "command.too_long"),
    ],
)
def test_malformed_commands_are_refused_by_name(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_command(text)
    assert refused.value.code == code
    assert refused.value.message


@settings(max_examples=examples(2))
@given(st.text(max_size=300))
def test_any_text_parses_or_is_refused_clearly(text: str) -> None:
    try:
        command = parse_command(text)
    except InvalidInput as error:
        assert error.code and error.message
    else:
        assert command.name


words = st.sampled_from(
    [
        "add",
        "edit",
        "role",
        "list",
        "retire",
        "#t",
        "caption",
        "until",
        "priority",
        "<@U1>",
        "https://a.example",
        "2026-01-01",
        '"',
        "3",
        "none",
    ]
)


@settings(max_examples=examples(2))
@given(st.lists(words, max_size=8).map(" ".join))
def test_command_shaped_text_parses_or_is_refused_clearly(text: str) -> None:
    try:
        parse_command(text)
    except InvalidInput as error:
        assert error.code.startswith(("command.", "topic."))


def test_role_takes_a_teams_mention_written_as_an_entra_object_id() -> None:
    command = parse_command("role <@6f0f2a9e-1c4b-4d8e-9a51-0c2b1d3e4f5a> content")
    assert command.user_id == "6f0f2a9e-1c4b-4d8e-9a51-0c2b1d3e4f5a"
    with pytest.raises(InvalidInput):
        parse_command("role <@Not-A-Guid!> content")
