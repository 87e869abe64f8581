"""Command line of rnn-tui: the app, `train` and `eval`.

`train` and `eval` import only `model` (numpy), never textual, so they start fast and
run on machines without a terminal UI. Every bad option or file ends with exit status
2 and one line on stderr, before any work is done or any screen is drawn.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import os
import shlex
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn, TextIO

from tui import __version__

if TYPE_CHECKING:  # `train` and `eval` import the model lazily, to start fast
    from model.network import RNN
    from model.trainer import ChunkReport, ExampleReport

USAGE_ERROR = 2
MAX_ITERATIONS = 100_000_000  # a bound, so no typo turns into a run of days


class UsageError(Exception):
    """A bad option or file: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not usage + error
        raise UsageError(printable(message))


def printable(text: str) -> str:
    """Escape control characters a user typed, so an error message stays one clean line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _whole(name: str, low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, got {text!r}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{name} must be between {low} and {high}, got {value}"
            )
        return value

    return parse


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"alpha must be a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"alpha must be a positive finite number, got {text!r}"
        ) from None
    return value


def _add_model_options(parser: argparse.ArgumentParser, *, subcommand: bool = False) -> None:
    # A subcommand must not overwrite what `rnn-tui --hidden 4 train` gave before it:
    # argparse would copy the subcommand's default (None) over it, so it has none.
    unset = argparse.SUPPRESS if subcommand else None
    parser.add_argument(
        "--seed",
        type=_whole("seed", 0, 2**32 - 1),
        default=unset,
        help="random seed (default 0, the tutorial's)",
    )
    parser.add_argument(
        "--hidden", type=_whole("hidden", 1, 1024), default=unset, help="hidden units (default 16)"
    )
    parser.add_argument("--alpha", type=_alpha, default=unset, help="learning rate (default 0.1)")
    parser.add_argument(
        "--bits", type=_whole("bits", 2, 32), default=unset, help="bits per sum (default 8)"
    )
    parser.add_argument(
        "--load", metavar="CKPT", default=unset, help="start from a saved checkpoint (.npz)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rnn-tui",
        description="Watch Trask's tiny RNN learn 8-bit binary addition, one timestep at a time.",
        epilog="Subcommands: 'rnn-tui train --help', 'rnn-tui eval --help'.",
    )
    parser.add_argument("--version", action="version", version=f"rnn-tui {__version__}")
    _add_model_options(parser)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    train = commands.add_parser(
        "train", help="train without a screen, printing the tutorial's progress blocks"
    )
    _add_model_options(train, subcommand=True)
    train.add_argument(
        "--iterations",
        type=_whole("iterations", 0, MAX_ITERATIONS),
        default=10_000,
        help="iterations to train (default 10000)",
    )
    train.add_argument(
        "--log-every",
        type=_whole("log-every", 1, MAX_ITERATIONS),
        default=1000,
        help="print a block when iteration %% K == 0 (default 1000)",
    )
    train.add_argument(
        "--save", metavar="CKPT", default=None, help="save the trained network to this file"
    )
    train.add_argument(
        "--csv",
        metavar="PATH",
        default=None,
        help="write iteration,overallError per iteration to a CSV file",
    )
    train.add_argument("--quiet", action="store_true", help="print no progress blocks")

    serve = commands.add_parser(
        "serve", help="serve the app to web browsers (needs the 'serve' extra: textual-serve)"
    )
    _add_model_options(serve, subcommand=True)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument(
        "--port",
        type=_whole("port", 1, 65535),
        default=8000,
        help="port to listen on (default 8000)",
    )

    evaluate = commands.add_parser("eval", help="exhaustive accuracy of a saved checkpoint")
    evaluate.add_argument("--load", metavar="CKPT", required=True, help="checkpoint to evaluate")
    return parser


# -- building the network --------------------------------------------------------------


def _network_from(args: argparse.Namespace) -> RNN:
    """The network the options describe: a fresh one, or a checkpoint's."""
    from model.config import RNNConfig
    from model.network import RNN

    if args.load is None:
        config = RNNConfig(
            seed=0 if args.seed is None else args.seed,
            hidden=16 if args.hidden is None else args.hidden,
            alpha=0.1 if args.alpha is None else args.alpha,
            bits=8 if args.bits is None else args.bits,
        )
        return RNN(config)
    from model.checkpoint import CheckpointError, load_checkpoint

    try:
        net = load_checkpoint(args.load)
    except CheckpointError as err:
        raise UsageError(str(err)) from None
    for name in ("seed", "hidden", "bits"):
        given = getattr(args, name, None)
        if given is not None and given != getattr(net.config, name):
            raise UsageError(
                f"--{name} {given} conflicts with the checkpoint's {name} "
                f"{getattr(net.config, name)}; leave it out when loading"
            )
    if getattr(args, "alpha", None) is not None:
        net.alpha = args.alpha
    return net


def _check_writable_target(path: str, what: str) -> None:
    if not path:
        raise UsageError(f"{what} needs a file name")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"{what} {path!r} is a directory")
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {what} {path!r}: folder {folder!r} does not exist")


# -- subcommands -------------------------------------------------------------------------


def _tutorial_block(report: ExampleReport) -> str:
    """The five lines the tutorial prints every 1000 iterations."""
    import numpy as np

    from model.encoding import bits_msb_first

    def row(value: int) -> str:
        return "[" + " ".join(str(bit) for bit in bits_msb_first(value, report.bits)) + "]"

    return (
        f"Error:{np.array([report.overall_error])}\n"
        f"Pred:{row(report.predicted_value)}\n"
        f"True:{row(report.a + report.b)}\n"
        f"{report.a} + {report.b} = {report.predicted_value}\n"
        "------------"
    )


def _accuracy_line(net: RNN) -> str:
    from model.probes import evaluate

    acc = evaluate(net.synapse_0, net.synapse_1, net.synapse_h, net.bits)
    kind = "sample of" if acc.sampled else "all"
    return (
        f"exact sums {acc.exact:.2%} and bits {acc.per_bit:.2%} over {kind} "
        f"{acc.count:,} {net.bits}-bit sums"
    )


def run_train(args: argparse.Namespace) -> int:
    from model.checkpoint import CheckpointError, save_checkpoint
    from model.trainer import train

    if args.save is not None:
        _check_writable_target(args.save, "checkpoint")
    if args.csv is not None:
        _check_writable_target(args.csv, "CSV file")
    net = _network_from(args)
    start_iteration = net.iteration
    csv_file = _open_csv(args.csv) if args.csv is not None else None
    out = sys.stdout
    measured: dict[int, float] = {}  # iteration -> exhaustive exact accuracy, at log points

    def log(report: ExampleReport) -> None:
        if not args.quiet:
            out.write(_tutorial_block(report) + "\n")
        if csv_file is not None:
            from model.probes import evaluate

            acc = evaluate(net.synapse_0, net.synapse_1, net.synapse_h, net.bits)
            measured[report.iteration + 1] = acc.exact

    def record(chunk: ChunkReport) -> None:
        assert csv_file is not None
        first = chunk.iteration - len(chunk.errors) + 1
        rows = []
        for i, error in enumerate(chunk.errors):
            accuracy = measured.pop(first + i, None)
            rows.append(f"{first + i},{error!r},{'' if accuracy is None else accuracy}\n")
        _write_csv(csv_file, "".join(rows))

    began = time.perf_counter()
    try:
        if csv_file is not None:
            _write_csv(csv_file, "iteration,overallError,exactAccuracy\n")
        train(
            net,
            args.iterations,
            log_every=args.log_every,
            on_log=log,
            on_chunk=record if csv_file is not None else None,
        )
        if csv_file is not None:
            _write_csv(csv_file, "", flush=True)
    except _CsvFailed as err:  # its disk filled up, or its reader went away
        print(f"rnn-tui: error: cannot write CSV file {args.csv!r}: {err}", file=sys.stderr)
        return 1
    finally:
        if csv_file is not None:
            with contextlib.suppress(OSError):
                csv_file.close()
    elapsed = time.perf_counter() - began
    done = net.iteration - start_iteration
    if not args.quiet:
        rate = f"{done / elapsed:,.0f} iterations/s" if elapsed > 0 and done else "-"
        out.write(f"# {done:,} iterations in {elapsed:.2f} s ({rate})\n")
        out.write(f"# {_accuracy_line(net)} after {net.iteration:,} iterations\n")
    if args.save is not None:
        try:
            save_checkpoint(args.save, net)
        except CheckpointError as err:
            print(f"rnn-tui: error: {err}", file=sys.stderr)
            return 1
        if not args.quiet:
            out.write(f"# saved to {args.save}\n")
    return 0


class _CsvFailed(Exception):
    pass


def _write_csv(handle: TextIO, text: str, flush: bool = False) -> None:
    try:
        handle.write(text)
        if flush:
            handle.flush()
    except OSError as err:
        raise _CsvFailed(err.strerror or str(err)) from None


def _open_csv(path: str) -> TextIO:
    """Open for writing without hanging on a FIFO that nobody reads."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NONBLOCK, 0o644)
    except OSError as err:
        reason = "nothing reads that pipe" if err.errno == errno.ENXIO else err.strerror
        raise UsageError(f"cannot write CSV file {path!r}: {reason}") from None
    os.set_blocking(fd, True)
    return open(fd, "w", encoding="utf-8")


def run_eval(args: argparse.Namespace) -> int:
    net = _network_from(args)
    print(
        f"{args.load}: {net.hidden} hidden units, alpha {net.alpha:g}, seed {net.config.seed}, "
        f"{net.iteration:,} iterations"
    )
    print(_accuracy_line(net))
    return 0


def run_app(args: argparse.Namespace) -> int:
    net = _network_from(args)  # bad options and files fail here, before any screen
    from tui.app import RNNApp

    RNNApp(net).run(mouse=False)  # keyboard first: no mouse-motion traffic over SSH
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Each browser session gets its own `rnn-tui` process with these options."""
    _network_from(args)  # refuse bad options and files now, not in every browser tab
    try:
        from textual_serve.server import Server
    except ImportError:
        raise UsageError(
            "serving needs textual-serve: pip install 'rnn-tui[serve]' (or pip install "
            "textual-serve)"
        ) from None
    options = []
    for name in ("seed", "hidden", "alpha", "bits"):
        value = getattr(args, name, None)
        if value is not None:
            options += [f"--{name}", str(value)]
    if args.load is not None:
        options += ["--load", os.path.abspath(args.load)]
    command = shlex.join([sys.executable, "-m", "tui", *options])
    print(f"rnn-tui: serving on http://{args.host}:{args.port} (ctrl+c stops)", file=sys.stderr)
    Server(command, host=args.host, port=args.port, title="rnn-tui").serve()
    return 0


def _refuse_double_dash_values(argv: Sequence[str]) -> None:
    """`--seed=--`: Python 3.11's argparse drops the "--", stores [] without calling the
    option's type, and a later `--seed 3` then hides the slip; refuse it up front."""
    for token in argv:
        if token == "--":
            return
        name, equals, value = token.partition("=")
        if token.startswith("--") and equals and value == "--":
            raise UsageError(f"argument {name}: expected a value")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        _refuse_double_dash_values(sys.argv[1:] if argv is None else argv)
        args = parser.parse_args(argv)
        if args.command == "train":
            return run_train(args)
        if args.command == "eval":
            return run_eval(args)
        if args.command == "serve":
            return run_serve(args)
        return run_app(args)
    except UsageError as err:
        print(f"rnn-tui: error: {err}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("rnn-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`rnn-tui train | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def entry_point() -> None:
    sys.exit(main())
