"""What the deploy-kit tests share: where the kit is, and checking a `campaign` command line
against the real CLI (options parsed by click, without running anything)."""

from __future__ import annotations

import importlib.util
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

import click
import pytest

from runner.agent import check_listen_host, parse_listen
from runner.cli import COMMANDS, cli
from runner.spec.selectors import parse_selector

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SECRET_VARS = (
    "HASURA_GRAPHQL_ENDPOINT",
    "HASURA_GRAPHQL_ADMIN_SECRET",
    "AVALA_BASE_URL",
    "AVALA_API_KEY",
)


def campaign_commands(script: str, env: Mapping[str, str]) -> list[list[str]]:
    """The `campaign ...` command lines in a shell snippet, with `$VAR`/`${VAR}` expanded."""
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        for name, value in env.items():
            line = line.replace(f"${{{name}}}", shlex.quote(value)).replace(f"${name}", value)
        words = shlex.split(line, comments=True)
        for i, word in enumerate(words):
            if word == "campaign" or word.endswith("/campaign"):
                found.append(words[i + 1 :])
                break
    return found


def check_invocation(argv: Sequence[str]) -> None:
    """Fail unless `campaign <argv>` parses: the subcommand exists and takes these options.

    Skips for a subcommand that is not wired yet (the agent), after checking what the kit
    relies on regardless: a parseable selector and --listen-any for a non-loopback --listen.
    """
    name, args = argv[0], list(argv[1:])
    if name == "agent":
        _check_agent_contract(args)
    if name not in COMMANDS or importlib.util.find_spec(COMMANDS[name][0]) is None:
        pytest.skip(f"`campaign {name}` is not in the CLI yet; its flags are checked once it is")
    command = cli.get_command(click.Context(cli), name)
    assert command is not None, name
    try:
        command.make_context(name, args)
    except click.ClickException as exc:
        pytest.fail(f"`campaign {shlex.join(argv)}`: {exc.format_message()}")


def _check_agent_contract(args: list[str]) -> None:
    def values(*flags: str) -> list[str]:
        return [args[i + 1] for i, a in enumerate(args[:-1]) if a in flags] + [
            a.split("=", 1)[1] for a in args if a.split("=", 1)[0] in flags and "=" in a
        ]

    for selector in values("-l", "--selector"):
        parse_selector(selector)
    for listen in values("--listen"):
        host, _ = parse_listen(listen)
        check_listen_host(host, allow_any="--listen-any" in args)
    for output in values("-o", "--output"):
        assert output in ("text", "json")
