"""``fl-client doctor``: find out in seconds why a participant's (or an actor's) setup will fail.

One line per check (``ok``, ``warn``, ``fail``, or ``skip`` when what it needs is missing),
``--json`` for scripts, and the exit code of the first failing check (`fl_client.ExitCode`;
warnings alone exit 0). The checks, in order (``endpoint`` and ``script`` for a participant only):

config       the options, environment and profile resolve (server, credentials, receiver, script)
server       ``GET /api/schema/`` answers (no credentials needed)
schema       the server's published schema against our baseline (`fl_client.contract`)
clock        the server's ``Date`` header against this machine's clock
credentials  ``GET /api/users/myself/``: the credentials are valid, and whose they are
roles        the user's actor and client flags, and superuser (``GET /api/groups/`` answers it)
endpoint     the user's message_endpoint leads to the receiver ``fl-client serve`` would start
script       the script exists and would import, in a dry run where a round runs
torch        torch and fl_client in the executor's Python
models       the global model of each unfinished training loads under the safe loading policy
size         the largest of them against the model size ceiling (`fl_client.check_model_size`)
disk         room where model downloads go for ``--max-concurrent`` downloads of the largest

The facts come from the server through `FLClient` (and the generated client for the schema,
which needs no credentials), from the options ``fl-client serve`` reads (`._participant`), and
from one dry run (`fl_client.participant.probe`), gathered by `._doctor.Doctor`; the participant's checks are
`fl_client.participant.checks`, the ones only the command line has (contract, credentials) are here.
Every request has a timeout and is not retried: a server that is down costs one connect timeout.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import click
import httpx
from fl_demonstrator_api.api.schema import get_schema
from fl_demonstrator_api.client import Client
from fl_demonstrator_api.errors import UnexpectedContent
from fl_demonstrator_api.models import GetSchemaFormat, User

from .._core.auth import redact
from ..defaults import DEFAULT_DOCTOR_TIMEOUT, DEFAULT_PROBE_TIMEOUT, EMULATOR_SCHEMA_TITLE
from ..exceptions import ConfigurationError, ContractError, FLClientError, PermissionDeniedError
from ..exit_codes import ExitCode
from ..participant.checks import (
    CheckResult,
    Status,
    clock_check,
    disk_check,
    endpoint_check,
    models_check,
    script_check,
    size_check,
    torch_check,
)
from ..participant.probe import is_python
from ..settings import Settings
from ._common import Target, exit_code_for, resolve_target, unresolved_api_options
from ._doctor import Doctor, DoctorOptions, SchemaAnswer, Skipped, one_line
from ._output import json_option, out_console, print_json
from ._participant import participant_options, participant_settings, validate_participant_settings
from .contract import BASELINE, DOCUMENT, project_file

__all__ = ["CHECKS", "Check", "doctor_command", "run_checks", "run_doctor"]

logger = logging.getLogger("fl.client.cli")

_STYLES = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red", Status.SKIP: "dim"}

# ---------------------------------------------------------------------- the checks of the command line


def check_config(d: Doctor) -> CheckResult:
    o = d.options
    try:
        d.target = resolve_target(
            profile=o.profile, base_url=o.base_url, username=o.username, password=o.password, token=o.token,
            environ=d.env,
        )  # fmt: skip
    except ConfigurationError as exc:
        d.missing("target", "the server and credentials are not configured (config)")
        d.missing("settings", "the configuration is invalid (config)")
        return CheckResult.fail("config", one_line(exc))
    try:
        d.settings = participant_settings(
            host=o.host, port=o.port, script=o.script, executor=o.executor, workdir=o.workdir,
            base_url=d.target.base_url, environ=d.env,
        )  # fmt: skip
    except ConfigurationError as exc:
        d.missing("settings", "the configuration is invalid (config)")
        return CheckResult.fail("config", one_line(exc))
    credentials = redact(d.target.authorization) if d.target.authorization else "none"
    return CheckResult.ok(
        "config",
        f"server {d.target.base_url}, credentials {credentials}, profile {d.target.profile}",
        base_url=d.target.base_url,
        profile=d.target.profile,
    )


def check_server(d: Doctor) -> CheckResult:
    target: Target = d.need("target")
    url = target.base_url
    d.missing("reachable", f"{url} did not answer (server)")
    d.missing("schema", f"{url} did not publish its schema (server)")
    # the schema needs no credentials: none are sent
    client = Client(base_url=url, timeout=d.http_timeout, headers={"Accept": "application/json"})
    sent = time.time()
    try:
        with client:
            response = get_schema.sync_detailed(client=client, format_=GetSchemaFormat.JSON)
    except httpx.TimeoutException:
        return CheckResult.fail(
            "server", f"no answer from {url} within {d.options.timeout:g} s", ExitCode.NETWORK
        )
    except httpx.HTTPError as exc:
        return CheckResult.fail(
            "server", f"cannot reach {url}: {type(exc).__name__}: {exc}", ExitCode.NETWORK
        )
    except UnexpectedContent as exc:
        d.reachable = True
        return CheckResult.fail(
            "server",
            f"{url}/api/schema/ answered {exc.status_code} with {exc.content_type or 'content'} that is "
            "not JSON: is this the FL Demonstrator's base URL?",
            ExitCode.SERVER,
        )
    received = time.time()
    d.reachable = True
    status = int(response.status_code)
    if status != httpx.codes.OK:
        code = ExitCode.SERVER if status >= 500 else ExitCode.ERROR
        return CheckResult.fail(
            "server", f"{url}/api/schema/ answered {status}: is this the FL Demonstrator's base URL?", code
        )
    from ..contract import parse_document

    try:
        document = parse_document(response.content, url)
    except ContractError as exc:
        return CheckResult.fail("server", one_line(exc), ExitCode.SERVER)
    d.schema = SchemaAnswer(url, document, response.headers.get("date"), sent, received)
    info = document.get("info") or {}
    return CheckResult.ok(
        "server",
        f"{url} answers in {received - sent:.2f} s: {info.get('title', '?')} {info.get('version', '?')} "
        f"(OpenAPI {document.get('openapi', '?')})",
        url=url,
        seconds=round(received - sent, 3),
        title=info.get("title"),
        version=info.get("version"),
    )


def check_schema(d: Doctor) -> CheckResult:
    from ..contract import build_report, load_baseline, load_document

    answer: SchemaAnswer = d.need("schema")
    info = answer.document.get("info") or {}
    if info.get("title") == EMULATOR_SCHEMA_TITLE:
        return CheckResult.ok(
            "schema",
            f"the fl_client emulator {info.get('version', '')}: it publishes its routes only, nothing to compare",
        )
    try:
        ours = project_file(DOCUMENT, None, "--document")
        baseline = project_file(BASELINE, None, "--baseline")
    except ConfigurationError:
        raise Skipped(
            "our OpenAPI document and baseline are not installed (a source checkout has them; "
            "fl-client contract diff compares there)"
        ) from None
    try:
        report = build_report(load_document(ours), answer.document, load_baseline(baseline))
    except ContractError as exc:
        return CheckResult.warn("schema", f"cannot compare: {one_line(exc)}")
    facts = {
        "sha256": report.server["sha256"],
        "release": report.release or report.baseline_version,
        "same_document": report.same_document,
        "new": len(report.new),
        "changed_operations": len(report.changed_operations),
        "known": len(report.known),
    }
    which = f"{info.get('title', '?')} {info.get('version', '?')}, sha256 {report.server['sha256'][:16]}"
    if report.ok:
        same = "the very document" if report.same_document else "not the document, but the operations"
        return CheckResult.ok(
            "schema",
            f"{which}: only the {len(report.known)} known deviations from ours ({same} recorded for {facts['release']})",
            **facts,
        )
    return CheckResult.warn(
        "schema",
        f"{which}: {len(report.new)} new differences and {len(report.changed_operations)} changed operations "
        f"since {facts['release']}: see fl-client contract diff --schema {answer.url}/api/schema/?format=json",
        **facts,
    )


def check_clock(d: Doctor) -> CheckResult:
    answer: SchemaAnswer = d.need("schema")
    return clock_check(answer.date, sent=answer.sent, received=answer.received)


def check_credentials(d: Doctor) -> CheckResult:
    d.missing("user", "the credentials were not checked (credentials)")
    target: Target = d.need("target")
    d.need("reachable")
    authorization = target.require_authorization()
    d.missing("user", "the credentials were refused (credentials)")
    user = d.client().users.me()
    d.user = user
    return CheckResult.ok(
        "credentials",
        f"{user.username} (id {user.id}), with {redact(authorization)}",
        user_id=str(user.id),
        username=user.username,
    )


def check_roles(d: Doctor) -> CheckResult:
    user: User = d.need("user")
    try:
        d.client().groups.list()  # superusers only (API reference §2)
        superuser: bool | None = True
    except PermissionDeniedError:
        superuser = False
    except FLClientError:
        superuser = None
    flags = {"actor": user.actor, "client": user.client, "superuser": superuser}
    named = [name for name, value in flags.items() if value] or ["no role flags"]
    text = f"{user.username}: {', '.join(named)}" + (" (superuser unknown)" if superuser is None else "")
    role = "participant" if d.participant else "actor"
    if d.participant and not user.client:
        return CheckResult.warn(
            "roles",
            f"{text}; not flagged client (the server does not check the flag, but actors choose participants by it)",
            role=role,
            **flags,
        )
    return CheckResult.ok("roles", f"{text}; checked as {role}", role=role, **flags)


def check_endpoint(d: Doctor) -> CheckResult:
    user: User = d.need("user")
    settings: Settings = d.need("settings")
    return endpoint_check(user.message_endpoint, host=settings.server_host, port=settings.server_port)


def check_script(d: Doctor) -> CheckResult:
    settings: Settings = d.need("settings")
    validate_participant_settings(settings)
    script = settings.script_path or ""
    if not is_python(settings.script_executor or sys.executable):
        return script_check(None, script=script)
    result = script_check(d.probe(), script=script)
    d.probe_failure_reported = d.probe().problem is not None
    return result


def check_torch(d: Doctor) -> CheckResult:
    report = d.probe()
    if report.problem is not None and d.probe_failure_reported:
        raise Skipped("the dry run did not finish (script)")
    d.probe_failure_reported = report.problem is not None
    return torch_check(report)


def check_models(d: Doctor) -> CheckResult:
    models = d.global_models()
    report = d.probe() if any(model.path for model in models) else None
    if report is not None and report.problem is not None:
        raise Skipped("the dry run did not finish (torch)")
    return models_check(models, report)


def check_size(d: Doctor) -> CheckResult:
    try:
        models = d.global_models()
    except FLClientError:
        raise Skipped("the trainings could not be listed (models)") from None
    return size_check(models, limit=d.client().max_model_bytes)


def check_disk(d: Doctor) -> CheckResult:
    try:
        models = d.global_models() if d.user is not None else []
    except FLClientError:
        models = []
    largest = max((model.size or 0 for model in models), default=0)
    concurrent = d.settings.max_concurrent if d.participant and d.settings is not None else 1
    return disk_check(largest, concurrent=concurrent)


@dataclass(frozen=True)
class Check:
    name: str
    function: Callable[[Doctor], CheckResult]
    participant_only: bool = False


CHECKS: tuple[Check, ...] = (
    Check("config", check_config),
    Check("server", check_server),
    Check("schema", check_schema),
    Check("clock", check_clock),
    Check("credentials", check_credentials),
    Check("roles", check_roles),
    Check("endpoint", check_endpoint, participant_only=True),
    Check("script", check_script, participant_only=True),
    Check("torch", check_torch),
    Check("models", check_models),
    Check("size", check_size),
    Check("disk", check_disk),
)
"""Every check, in the order they run (and the order of the lines)."""


def run_checks(doctor: Doctor) -> list[CheckResult]:
    """Run `CHECKS` in order (a participant's only for a participant), one result each."""
    results = []
    for check in CHECKS:
        if check.participant_only and not doctor.participant:
            continue
        if check.name in doctor.options.skip:
            results.append(CheckResult.skip(check.name, "skipped (--skip)"))
            continue
        results.append(_run(check, doctor))
    return results


def _run(check: Check, doctor: Doctor) -> CheckResult:
    try:
        return check.function(doctor)
    except Skipped as why:
        return CheckResult.skip(check.name, str(why))
    except FLClientError as exc:
        return CheckResult.fail(check.name, one_line(exc), exit_code_for(exc))
    except Exception as exc:  # a check reports; it never takes the command down
        logger.debug("check %s raised", check.name, exc_info=True)
        return CheckResult.fail(check.name, f"the check itself failed: {type(exc).__name__}: {one_line(exc)}")


_EPILOG = f"""\b
Exit status: {ExitCode.OK.value} nothing failed (warnings included); otherwise the code of the first
failing check: {ExitCode.NETWORK.value} the server did not answer, {ExitCode.AUTH.value} the credentials were refused,
{ExitCode.REJECTED.value} a model larger than the server can store, {ExitCode.SERVER.value} a server error, {ExitCode.ERROR.value} any other
failing check (configuration, endpoint, script, models, disk).
"""


@click.command(
    "doctor",
    short_help="check a participant's (or an actor's) setup: server, credentials, endpoint, script, models",
    epilog=_EPILOG,
)
@unresolved_api_options
@participant_options
@click.option(
    "--role",
    type=click.Choice(["auto", "participant", "actor"]),
    default="auto",
    show_default=True,
    help="participant: also the endpoint and script checks; auto: participant when a script is "
    "configured or the user is a client",
)
@click.option("--timeout", type=float, default=DEFAULT_DOCTOR_TIMEOUT, show_default=True,
              help="seconds each request may take (connect: at most 5; nothing is retried)")  # fmt: skip
@click.option("--probe-timeout", type=float, default=DEFAULT_PROBE_TIMEOUT, show_default=True,
              help="seconds the dry run (importing torch, the script, loading the models) may take")  # fmt: skip
@click.option("--skip", multiple=True, type=click.Choice([check.name for check in CHECKS]),
              help="leave a check out (repeatable), e.g. --skip models on a slow link")  # fmt: skip
@json_option
def doctor_command(**options: Any) -> int:
    """Check, one line each, what a participant's round (or an actor's training) needs: the
    server and its schema, the clock, the credentials and roles, the message_endpoint against
    this receiver, the script in a dry run, torch, the global models of unfinished trainings under
    the safe loading policy, the model size ceiling, and disk space for downloads."""
    return run_doctor(DoctorOptions(**{**options, "skip": tuple(options["skip"])}))


def run_doctor(options: DoctorOptions, environ: Mapping[str, str] | None = None) -> int:
    """``fl-client doctor``: run the checks, print them, return the exit code."""
    doctor = Doctor(options, environ)
    try:
        results = run_checks(doctor)
    finally:
        doctor.close()
    failed = next((r for r in results if r.status is Status.FAIL), None)
    code = ExitCode.OK if failed is None else failed.exit_code
    role = "participant" if doctor.participant else "actor"
    base_url = doctor.target.base_url if doctor.target is not None else None
    if options.as_json:
        print_json({
            "ok": failed is None, "role": role, "base_url": base_url, "exit_code": int(code),
            "checks": [result.to_json() for result in results],
        })  # fmt: skip
        return code
    _print_text(results, role=role, base_url=base_url)
    return code


def _print_text(results: list[CheckResult], *, role: str, base_url: str | None) -> None:
    from rich.text import Text

    console = out_console()
    console.print(Text(f"fl-client doctor: {role} setup, server {base_url or '(not configured)'}"))
    width = max(len(result.name) for result in results)
    for result in results:
        line = Text()
        line.append(f"{result.status.value:<4}", style=_STYLES[result.status])
        line.append(f"  {result.name:<{width}}  {result.summary}")
        console.print(line)
    counts = {status: sum(r.status is status for r in results) for status in Status}
    console.print(
        Text(
            f"{counts[Status.OK]} ok, {counts[Status.WARN]} warnings, {counts[Status.FAIL]} failed, "
            f"{counts[Status.SKIP]} skipped"
        )
    )
