"""The ``gallery-migrate`` commands: arguments in, a :class:`~gallery_migrate_cli.session.Session`
verb, an exit code out (``gallery_migrate_cli.exits``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click
from click.shell_completion import get_completion_class

from gallery_migrate_cli import config
from gallery_migrate_cli.api import ApiError
from gallery_migrate_cli.bodies import BodyError, Flags
from gallery_migrate_cli.exits import Exit
from gallery_migrate_cli.session import Env, Interrupted, Session, report, since

F = TypeVar("F", bound=Callable[..., Any])
PROG = "gallery-migrate"
COMPLETE_VAR = "_GALLERY_MIGRATE_COMPLETE"
RUNTIME = ["Running", "Pending", "Completed", "Failed", "Terminated", "Suspended"]


def target_options(command: F) -> F:
    """--endpoint, --key, --profile and --json, on every command that talks to the API."""
    for option in reversed(
        [
            click.option("--endpoint", help=f"the app's URL (or ${config.ENDPOINT_VAR})"),
            click.option("--key", help=f"the function key (or ${config.KEY_VAR})"),
            click.option("--profile", help="a profile of the config file"),
            click.option("--json", "as_json", is_flag=True, help="print the API's JSON answer"),
        ]
    ):
        command = option(command)
    return command


def session(ctx: click.Context, /, opts: dict[str, Any]) -> Session:
    env: Env = ctx.obj
    env.as_json = bool(opts.pop("as_json", False))
    target = config.resolve(
        env.environ,
        endpoint=opts.pop("endpoint", None),
        key=opts.pop("key", None),
        profile=opts.pop("profile", None),
    )
    return Session(env, target)


def request_options(command: F) -> F:
    """A request file, or flags for the common case (flags override the file's fields)."""
    for option in reversed(
        [
            click.argument("request_file", required=False, metavar="[REQUEST.json|.yaml|-]"),
            click.option("--gallery", help="the gallery's resource id"),
            click.option("--image", "images", multiple=True, help="a managed image's id"),
            click.option("--scope", "scopes", multiple=True, help="a subscription or group"),
            click.option("--name-pattern", help="with --scope: images named like this (glob)"),
            click.option(
                "--region", "regions", multiple=True, help="NAME[=REPLICAS][:STORAGE_TYPE]"
            ),
            click.option(
                "--delete-source",
                type=click.Choice(["afterApproval", "afterReplication", "never"]),
            ),
            click.option("--approval-timeout", help="ISO 8601 duration, e.g. P3D"),
            click.option("--storage-account-type", help="Standard_LRS, Standard_ZRS, ..."),
            click.option("--end-of-life", help="the versions' end-of-life date"),
            click.option("--exclude-from-latest/--include-in-latest", default=None),
        ]
    ):
        command = option(command)
    return command


def body_of(opts: dict[str, Any]) -> dict[str, Any]:
    return Flags(
        gallery=opts["gallery"],
        images=opts["images"],
        scopes=opts["scopes"],
        regions=opts["regions"],
        name_pattern=opts["name_pattern"],
        delete_source=opts["delete_source"],
        approval_timeout=opts["approval_timeout"],
        storage_account_type=opts["storage_account_type"],
        end_of_life=opts["end_of_life"],
        exclude_from_latest=opts["exclude_from_latest"],
    ).body(opts["request_file"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Migrate Azure managed images into a Compute Gallery with Gallery Migrator.

    Talks to a deployed app (--endpoint and --key, environment variables or a profile in
    ~/.config/gallery-migrate/config.toml) or to the local stack (`gallery-migrate local`).
    Exit codes: 0 done, 1 error, 2 usage, 3 partly migrated, 4 failed, 5 awaiting approval,
    6 cancelled, 7 still running, 8 not found, 9 conflict, 10 unreachable, 11 key refused,
    130 interrupted (Ctrl-C).
    """


@cli.command()
@request_options
@target_options
@click.pass_context
def plan(ctx: click.Context, /, **opts: Any) -> int:
    """Dry run: what a request would create, and what is in the way (changes nothing)."""
    run = session(ctx, opts)
    return run.plan(body_of(opts))


@cli.command()
@request_options
@click.option("--watch", "follow", is_flag=True, help="then watch it (as `watch` does)")
@click.option("--approve-as", help="with --watch: approve when asked, as this person")
@click.option("--interval", type=float, default=10.0, show_default=True)
@target_options
@click.pass_context
def start(
    ctx: click.Context, /, follow: bool, approve_as: str | None, interval: float, **opts: Any
) -> int:
    """Start a migration from a request file or flags."""
    run = session(ctx, opts)
    code, migration_id = run.start(body_of(opts))
    if not follow:
        return code
    return run.watch(migration_id, interval=interval, approve_as=approve_as)


@cli.command()
@click.argument("migration_id")
@click.option("--images", default=20, show_default=True, help="images to show")
@target_options
@click.pass_context
def status(ctx: click.Context, /, migration_id: str, images: int, **opts: Any) -> int:
    """A migration's status: its phase, each region's and image's progress, the approval."""
    return session(ctx, opts).status(migration_id, images)


@cli.command()
@click.argument("migration_id")
@click.option("--interval", type=float, default=10.0, show_default=True, help="seconds")
@click.option("--timeout", type=float, help="stop watching after these seconds")
@click.option("--approve-as", help="approve when asked, as this person, and go on")
@click.option("--until-done", is_flag=True, help="go on while someone else decides")
@click.option("--images", default=20, show_default=True, help="images to show")
@target_options
@click.pass_context
def watch(
    ctx: click.Context,
    /,
    migration_id: str,
    interval: float,
    timeout: float | None,
    approve_as: str | None,
    until_done: bool,
    images: int,
    **opts: Any,
) -> int:
    """Follow a migration live; ends when it is done or waits for approval."""
    run = session(ctx, opts)
    return run.watch(
        migration_id,
        interval=interval,
        timeout=timeout,
        approve_as=approve_as,
        images=images,
        until_done=until_done,
    )


def decision(verb: str) -> click.Command:
    @click.argument("migration_id")
    @click.option("--by", required=True, help="who decides (recorded)")
    @click.option("--reason", help="why (recorded)")
    @click.option("--image", "images", multiple=True, help="only this image (id or name)")
    @target_options
    @click.pass_context
    def decide(
        ctx: click.Context,
        /,
        migration_id: str,
        by: str,
        reason: str | None,
        images: Sequence[str],
        **opts: Any,
    ) -> int:
        return session(ctx, opts).decide(migration_id, verb, by, reason, images)

    what = "deleting the sources" if verb == "approve" else "keeping the sources"
    decide.__doc__ = f"{verb.capitalize()} a migration that waits for approval ({what})."
    return cli.command(verb)(decide)


decision("approve")
decision("reject")


@cli.command("list")
@click.option("--status", "statuses", multiple=True, type=click.Choice(RUNTIME, False))
@click.option("--gallery", help="a gallery's id or name")
@click.option("--source", help="a managed image's id or name")
@click.option("--since", "created_after", help="a date, or 30m, 12h, 7d, 2w ago")
@click.option("--top", default=50, show_default=True, help="at most this many")
@target_options
@click.pass_context
def list_migrations(
    ctx: click.Context,
    /,
    statuses: Sequence[str],
    gallery: str | None,
    source: str | None,
    created_after: str | None,
    top: int,
    **opts: Any,
) -> int:
    """Recent migrations, newest first."""
    run = session(ctx, opts)
    params = {"top": str(top)}
    if statuses:
        params["runtimeStatus"] = ",".join(statuses)
    params.update({k: v for k, v in (("gallery", gallery), ("source", source)) if v})
    if created_after:
        params["createdAfter"] = since(created_after, run.env.now())
    return run.listing(params)


@cli.command()
@click.argument("migration_id")
@click.option("--by", default=lambda: os.environ.get("USER"), help="who cancels (recorded)")
@click.option("--reason", help="why (recorded)")
@click.option("--yes", "-y", is_flag=True, help="do not ask")
@target_options
@click.pass_context
def cancel(
    ctx: click.Context,
    /,
    migration_id: str,
    by: str | None,
    reason: str | None,
    yes: bool,
    **opts: Any,
) -> int:
    """End a migration and all it started; its sources are kept and freed for another."""
    run = session(ctx, opts)
    asking = run.env.interactive and not yes and not run.env.as_json
    if asking and not run.env.confirm(f"Cancel {migration_id}? (versions made so far stay)"):
        raise click.Abort
    return run.cancel(migration_id, by, reason)


@cli.command()
@click.option("--demo", is_flag=True, help="run the demo migration on a virtual clock and exit")
@click.option("--no-approve", is_flag=True, help="with --demo: never approve")
@click.option("--port", default=7071, show_default=True, help="the app's port")
@click.option("--arm-port", default=8480, show_default=True, help="the ARM emulator's port")
@click.option("--time-scale", default=60.0, show_default=True, help="simulated s per s")
@click.option("--json", "as_json", is_flag=True, help="print where it listens (or the result)")
@click.pass_context
def local(
    ctx: click.Context,
    /,
    demo: bool,
    no_approve: bool,
    port: int,
    arm_port: int,
    time_scale: float,
    as_json: bool,
) -> int:
    """Run the local stack (ARM emulator + the app on devhost) with sample images."""
    import asyncio

    from gallery_migrate_cli import local as stack  # the local stack is imported only here

    ctx.obj.as_json = as_json
    if demo:
        return asyncio.run(stack.demo(ctx.obj, approve=not no_approve))
    return asyncio.run(stack.serve(ctx.obj, port=port, arm_port=arm_port, scale=time_scale))


@cli.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script: eval "$(gallery-migrate completion bash)"."""
    complete = get_completion_class(shell)
    assert complete is not None  # every choice has a class in click
    click.echo(complete(cli, {}, PROG, COMPLETE_VAR).source())


def main(argv: Sequence[str] | None = None, env: Env | None = None) -> int:
    """Run a command; its exit code (errors are one line on standard error, no traceback)."""
    env = env or Env(environ=os.environ, interactive=sys.stdin.isatty())
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        code = cli.main(
            args=args, prog_name=PROG, obj=env, standalone_mode=False, complete_var=COMPLETE_VAR
        )
    except click.exceptions.Abort as error:
        # click turns Ctrl-C (KeyboardInterrupt) anywhere but in a watch into Abort, as it does
        # a "no" at cancel's question.
        if isinstance(error.__cause__ or error.__context__, KeyboardInterrupt):
            report(env, Interrupted("interrupted"))
            return int(Exit.INTERRUPTED)
        env.err.print("aborted", highlight=False)
        return int(Exit.USAGE)
    except Interrupted as error:
        report(env, error)
        return int(Exit.INTERRUPTED)
    except click.ClickException as error:
        # Arguments click refused: no command ran to read --json, so it is looked for here.
        env.as_json = env.as_json or "--json" in args
        report(env, error)
        return int(Exit.USAGE)
    except ApiError as error:
        report(env, error)
        return int(error.code)
    except (BodyError, config.ConfigError) as error:
        report(env, error)
        return int(Exit.USAGE)
    return int(code or 0)
