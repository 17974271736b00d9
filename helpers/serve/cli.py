"""The command line: ``python -m helpers.serve [run|export DIR|bot --export PATH --me NAME]``.

Taught in: 06_deployment (``make serve`` and ``make bot`` run it).
"""

from __future__ import annotations

import argparse
import errno
import logging
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import uvicorn

from .. import chatbot, paths, zoo
from ..setup import check_versions
from ..tf_export import export_all
from ..training import budget_minutes
from ..your_bot import train_your_bot
from .app import GENERATORS, Models, Settings, create_app
from .guards import GuardedH11Protocol


def _python() -> str:
    """This Python as a reader would type it: ``.venv/bin/python`` inside the project, the full path elsewhere."""
    executable = Path(sys.executable)
    try:
        return str(executable.relative_to(Path.cwd()))
    except ValueError:
        return str(executable)


def configure_logging() -> None:
    """The server's log lines: time, level, message; never the INFO lines that hold the Send API's token."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for name in ("httpx2", "httpx", "httpcore2", "httpcore"):  # their INFO lines hold the Send API's token
        logging.getLogger(name).setLevel(logging.WARNING)


def serve(settings: Settings, models: Models | None = None) -> None:
    """Run the app with uvicorn until Ctrl-C (uvicorn's own access log is off: it would log query strings).

    Taught in: 06_deployment (``make serve`` runs it).
    """

    configure_logging()

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets)
            if self.started:  # the socket is bound and accepting: now the address is true
                print(f"Talk Like You serving on http://{settings.host}:{settings.port}/ (Ctrl-C stops)", flush=True)

    config = uvicorn.Config(
        create_app(settings, models),
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=3,
        http=GuardedH11Protocol,
    )
    config.request_timeout = settings.request_timeout_s  # read by GuardedH11Protocol
    Server(config).run()


def check_port(host: str, port: int) -> None:
    """Raise ``ValueError`` (one line for the user) when ``host:port`` cannot be served on, before any work starts.

    ``make bot`` checks before it trains, so a busy port is not found only after minutes of training. The advice
    follows the cause: a busy port, a port that needs root, or an address this computer does not have.
    Taught in: 06_deployment.
    """

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            s.bind((host, port))
    except (OSError, OverflowError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        if isinstance(err, OverflowError) or not 1 <= port <= 65535:
            advice = "choose a port from 1 to 65535 (--port, or make PORT=...)"
        elif isinstance(err, socket.gaierror) or err.errno == errno.EADDRNOTAVAIL:
            advice = "this computer has no such address: use 127.0.0.1, or 0.0.0.0 for every network (--host, or make HOST=...)"
        elif err.errno == errno.EACCES:
            advice = "ports below 1024 need administrator rights: choose another port (--port, or make PORT=...)"
        else:
            advice = "stop the program using it, or choose another port (--port, or make PORT=...)"
        raise ValueError(f"cannot serve on {host}:{port} ({reason}); {advice}") from None


def port_number(text: str) -> int:
    """``--port``: an integer from 1 to 65535 (argparse turns the ``ArgumentTypeError`` into one usage line)."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, not {text}")
    return port


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now. Taught in: 06_deployment."""

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_in_background(
    args: Sequence[str] = (), log_path: str | Path | None = None, timeout: float = 120.0
) -> tuple[subprocess.Popen, str]:
    """Start ``python -m helpers.serve run --port P ARGS`` as a child process; return it and its URL once
    ``/healthz`` answers.

    Its output goes to ``log_path`` (default ``generated/logs/server.log``). If the server exits or writes
    nothing to its log for ``timeout`` seconds, it is stopped and ``RuntimeError`` shows the end of its log (its
    first start on a fresh machine converts models and reads the bot's bank of replies for minutes, saying so as
    it goes). Stop it
    with ``process.terminate()``. Used by notebook 06, the browser test and the benchmark.
    Taught in: 06_deployment.
    """

    port = free_port()
    log_path = Path(log_path) if log_path else paths.generated("logs", "server.log")
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "helpers.serve", "run", "--port", str(port), *args],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=paths.ROOT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline, written = time.monotonic() + timeout, 0
    while process.poll() is None and time.monotonic() < deadline:
        size = log_path.stat().st_size  # the file was made above, before the server started
        if size != written:  # a log line or a progress bar: still starting (a first start converts and caches)
            deadline, written = time.monotonic() + timeout, size
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return process, url
        except OSError:  # not listening yet
            time.sleep(0.3)
    process.kill()
    process.wait()
    raise RuntimeError(
        f"the server did not start within {timeout:g} s; the end of {log_path}:\n"
        + log_path.read_text(errors="replace")[-2000:]
    )


def parse_args(argv=None) -> argparse.Namespace:
    """The command line of :func:`main`. Server options work before or after ``run``/``bot``."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.serve",
        description="The Talk Like You web service: chatbot, emoji suggester and text generator.",
    )
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="serve the models (the default command)")
    export = sub.add_parser("export", help="write TF Serving SavedModels of the chatbot and the emoji suggester")
    export.add_argument("dir", type=Path)
    bot = sub.add_parser("bot", help="parse your chat export, train your bot (workshop size) and serve it")
    bot.add_argument("--export", dest="paths", required=True, nargs="+", type=Path, help="export files or folders")
    bot.add_argument("--me", required=True, help="your name exactly as the app shows it")
    bot.add_argument("--out", type=Path, default=None, help="where to save the bot (default generated/your_bot)")
    bot.add_argument("--minutes", type=budget_minutes, default=None, help="training budget (default: workshop size)")
    bot.add_argument("--no-serve", action="store_true", help="train and save only")
    bot.add_argument(
        "--format",
        default="auto",
        help="export format (default: detect per file): messenger, messenger-html, whatsapp, telegram, telegram-html",
    )
    bot.add_argument("--date-order", default="auto", help="WhatsApp dates: dmy, mdy, ymd or ydm (default: inferred)")
    bot.add_argument("--force", action="store_true", help="replace the bot already saved in --out")
    # Defaults live on the main parser only: a subcommand's own default would overwrite
    # an option given before it (argparse), so there they are SUPPRESS.
    for p, top in ((parser, True), (run, False), (bot, False)):
        hide = argparse.SUPPRESS
        p.add_argument("--host", default="127.0.0.1" if top else hide, help="127.0.0.1 (default): this computer only")
        p.add_argument("--port", type=port_number, default=8000 if top else hide)
        p.add_argument(
            "--rate", type=float, default=Settings.rate if top else hide, help="requests/s per client on /api (0: off)"
        )
        p.add_argument("--burst", type=int, default=Settings.burst if top else hide)
        p.add_argument(
            "--request-timeout",
            type=float,
            default=Settings.request_timeout_s if top else hide,
            help="seconds a request's headers and body may take to arrive (else 408)",
        )
        p.add_argument(
            "--generators", default=",".join(GENERATORS) if top else hide, help="char-RNN models to load ('' for none)"
        )
        p.add_argument(
            "--no-reader",
            action="store_true",
            default=False if top else hide,
            help="rank replies without the bigger reader (all-mpnet-base-v2): about 1.4 times the chat requests/s, "
            "replies that fit the message less often",
        )
        p.add_argument(
            "--emoji-reader",
            action="store_true",
            default=False if top else hide,
            help="read each message's everyday mood for its emoji with the bigger reader: apter emoji on everyday "
            "news, fewer emoji requests/s",
        )
        p.add_argument(
            "--emoji-student",
            action="store_true",
            default=False if top else hide,
            help="read each message's everyday mood for its emoji with the bigger reader's distilled student: part "
            "of its aptness at three to four times its speed",
        )
    for p, top in ((parser, True), (run, False), (export, False)):
        p.add_argument(
            "--bot", default=chatbot.ZOO_NAME if top else argparse.SUPPRESS, help="zoo name or `make bot` folder"
        )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """``python -m helpers.serve [run|export DIR|bot --export PATH --me NAME]``. Taught in: 06_deployment."""
    args = parse_args(argv)

    check_versions()
    try:
        if args.command == "export":
            for name, path in export_all(args.dir, bot=args.bot).items():
                print(f"{name}: {path}")
            return 0
        if args.emoji_reader and args.emoji_student:
            raise ValueError("--emoji-reader and --emoji-student both choose the emoji's mood reader: give one")
        if not args.request_timeout > 0:
            raise ValueError(f"--request-timeout must be a positive number of seconds, not {args.request_timeout:g}")
        settings = Settings(
            host=args.host,
            port=args.port,
            rate=args.rate,
            burst=args.burst,
            request_timeout_s=args.request_timeout,
            bot=args.bot,
            generators=tuple(g for g in args.generators.split(",") if g),
            reader=not args.no_reader,
            emoji_reader=args.emoji_reader,
            emoji_student=args.emoji_student,
        )
        if args.command != "bot" or not args.no_serve:
            check_port(args.host, args.port)  # before minutes of loading or training
        if args.command == "bot":
            folder = train_your_bot(
                args.paths,
                args.me,
                out=args.out,
                minutes=args.minutes,
                fmt=args.format,
                date_order=args.date_order,
                force=args.force,
            )
            if args.no_serve:
                print(f"talk to it: {shlex.quote(_python())} -m helpers.serve run --bot {shlex.quote(str(folder))}")
                return 0
            settings = replace(settings, bot=str(folder))
        # loaded here, not in the app's start-up, so that a damaged model or a package missing from an old virtual
        # environment is one line: inside uvicorn it would be a traceback and "Application startup failed"
        configure_logging()
        models = Models.for_settings(settings, progress=logging.getLogger("talk_like_you.serve").info)
    except (ValueError, LookupError, FileNotFoundError, zoo.ZooError) as err:  # a user's mistake: one line
        print(f"error: {err}", file=sys.stderr)
        return 2
    serve(settings, models)
    return 0
