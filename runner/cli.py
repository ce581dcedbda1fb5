"""Command-line entry point: parse -> call the core -> render.

Subcommands are imported lazily so `campaign --help` and `--version` stay fast and a
missing optional library (pyrealsense2) only affects the command that needs it.
Exit codes (defined once, in `runner.commands._exit`): 0 success, 1 error, 2 usage error
(or changes present with --detailed-exitcode), 130 / 143 interrupted by SIGINT / SIGTERM.
Every `CampaignError` is mapped to its code here, in `main`.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from typing import Any, NoReturn

import click

from runner import __version__
from runner.commands._exit import EXIT_ERROR, EXIT_OK, SIGNAL_EXIT
from runner.errors import CampaignError

# name -> ("module", "attribute", "short help"); the help text lives here so that
# `campaign --help` does not import every command module.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": ("runner.commands.validate", "validate", "Check campaign files for errors."),
    "schema": ("runner.commands.validate", "schema", "Print the campaign file JSON Schema."),
    "plan": ("runner.commands.plan", "plan", "Show what apply would change."),
    "apply": ("runner.commands.apply", "apply", "Make the backends match the campaigns."),
    "destroy": ("runner.commands.destroy", "destroy", "Remove what campaigns own."),
    "status": ("runner.commands.status", "status", "Show sessions, states and next transitions."),
    "timeline": ("runner.commands.timeline", "timeline", "Draw sessions, bursts and conflicts."),
    "run": ("runner.commands.run", "run", "Drive burst recording (Standby <-> Started)."),
    "agent": ("runner.commands.agent", "agent", "Reconcile continuously, drive bursts."),
    "trigger": ("runner.commands.trigger", "trigger", "Start or stop a session by hand."),
    "cameras": ("runner.commands.cameras", "cameras", "Discover and list cameras."),
    "doctor": ("runner.commands.doctor", "doctor_command", "Check the configured backends."),
    "sandbox": ("runner.commands.sandbox", "sandbox", "Serve the local backend emulator."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attr, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="campaign")
def cli() -> None:
    """Declarative runner for camera recording campaigns.

    Campaign files (YAML) declare cameras, streams, time windows, bursts and
    post-recording rules; `campaign plan` shows what would change on the
    recording control plane and the fleet API, `campaign apply` makes it so.
    """


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM: end at once with one line. Raising instead would surface inside asyncio or
    httpx internals as a traceback; ending here is safe because every control-plane write is
    one transaction (it lands whole or not at all) and a re-run converges."""
    sys.stdout.flush()
    os.write(2, b"error: terminated (SIGTERM)\n")
    os._exit(SIGNAL_EXIT[signal.SIGTERM])


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every error ends in one line on stderr and a non-zero exit."""
    # Without a handler SIGTERM kills the process silently; commands that need their own
    # handling (run, sandbox serve) install it over this one while they run.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        rc: Any = cli.main(args=argv, prog_name="campaign", standalone_mode=False)
    except CampaignError as exc:
        _fail(str(exc), exc.exit_code)
    except click.exceptions.Abort as exc:
        # Click turns Ctrl-C inside a command into Abort: say what happened.
        interrupted = isinstance(exc.__context__, KeyboardInterrupt)
        _fail("interrupted" if interrupted else "aborted", SIGNAL_EXIT[signal.SIGINT])
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", SIGNAL_EXIT[signal.SIGINT])
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error worth a traceback.
        sys.stderr.close()
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # last line of defence: never a traceback for users
        if os.environ.get("CAMPAIGN_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set CAMPAIGN_DEBUG=1 for a "
              "traceback and please report it)", EXIT_ERROR)
    sys.exit(rc if isinstance(rc, int) else EXIT_OK)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
