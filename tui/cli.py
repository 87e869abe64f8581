"""Command line of rnn-tui: the app, `train`, `eval` and `gradcheck`.

`train`, `eval` and `gradcheck` import only `model` (numpy), never textual, so they start fast and
run on machines without a terminal UI. Every bad option or file ends with exit status
2 and one line on stderr, before any work is done or any screen is drawn.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

from tui import __version__, start_up

if TYPE_CHECKING:  # `train` and `eval` import the model lazily, to start fast
    from model.kernel_choice import KernelStatus
    from model.network import RNN
    from model.trainer import ChunkReport, ExampleReport
    from tui.app import RNNApp

USAGE_ERROR = 2
MAX_ITERATIONS = 100_000_000  # a bound, so no typo turns into a run of days


class UsageError(Exception):
    """A bad option or file: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    write_failed: OSError | None = None  # help or version text that could not be written

    def error(self, message: str) -> NoReturn:  # one line, not usage + error
        raise UsageError(printable(message))

    def _print_message(self, message: str, file: Any = None) -> None:  # a stream
        # argparse drops a failed write: `rnn-tui --help > full-disk` then exited 0
        if not message:
            return
        try:
            stream = file or sys.stderr
            stream.write(message)
            stream.flush()
        except OSError as err:
            _Parser.write_failed = err

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self._print_message(message, sys.stderr)
        failed = _Parser.write_failed
        if failed is not None and status == 0:
            with contextlib.suppress(OSError):
                print(
                    f"rnn-tui: error: cannot write the output: {failed.strerror}", file=sys.stderr
                )
            status = 1
        sys.exit(status)


def printable(text: str) -> str:
    """Escape control characters a user typed, so an error message stays one clean line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _whole(name: str, low: int, high: int):
    def parse(text: str) -> int:
        digits = text.strip()
        # ASCII digits only: int() also takes "١٢", "５" and "16_0" (160), which no one
        # typing a seed means, and the app's own prompts refuse them
        body = digits[1:] if digits[:1] in ("+", "-") else digits
        if not (body.isascii() and body.isdigit()):
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}")
        value = int(digits, 10)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{name} must be between {low} and {high}, got {value}"
            )
        return value

    return parse


def _ascii_number(text: str) -> float:
    """A decimal number in ASCII (float() also takes other scripts' digits and '1_0')."""
    if not text.isascii() or "_" in text:
        raise ValueError(text)
    return float(text)


def _alpha(text: str) -> float:
    try:
        value = _ascii_number(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"alpha must be a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"alpha must be a positive finite number, got {text!r}"
        ) from None
    return value


CELLS = ("rnn", "lstm", "gru")  # as model.config.CELLS (not imported: it would load numpy)


def _cell(text: str) -> str:
    if text not in CELLS:
        raise argparse.ArgumentTypeError(f"cell must be one of {', '.join(CELLS)}, got {text!r}")
    return text


def _init(text: str) -> tuple[float, float]:
    """'LO,HI': two finite numbers with LO < HI (DESIGN.md "Init range")."""
    parts = text.split(",")
    try:
        low, high = (_ascii_number(p) for p in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        low = high = None
    if low is None or high is None:
        raise argparse.ArgumentTypeError(
            f"init must be two numbers LO,HI like -1,1 or 0,1; got {text!r}"
        )
    if not (math.isfinite(low) and math.isfinite(high)):
        raise argparse.ArgumentTypeError(f"init bounds must be finite numbers, got {text!r}")
    if not low < high:
        raise argparse.ArgumentTypeError(f"init range needs LO < HI, got {text!r}")
    if not math.isfinite(high - low):
        raise argparse.ArgumentTypeError(f"init range HI - LO is too wide to draw from: {text!r}")
    return low, high


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
    _add_cell_option(parser, unset)
    parser.add_argument(
        "--init",
        type=_init,
        metavar="LO,HI",
        default=unset,
        help="draw every weight from [LO, HI) (default -1,1, the tutorial's)",
    )
    parser.add_argument(
        "--load", metavar="CKPT", default=unset, help="start from a saved checkpoint (.npz)"
    )
    add_kernel_option(parser, unset)


KERNELS = ("auto", "numpy", "compiled")  # as model.kernel_choice.KERNELS (numpy-free here)


def _kernel(text: str) -> str:
    if text not in KERNELS:
        raise argparse.ArgumentTypeError(
            f"kernel must be one of {', '.join(KERNELS)}, got {text!r}"
        )
    return text


def add_kernel_option(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--kernel",
        type=_kernel,
        metavar="auto|numpy|compiled",
        default=default,
        help="what trains the network: numpy, or the compiled kernel of the 'fast' extra "
        "(bit-identical, faster); auto (the default) uses the compiled one when it is "
        "installed and passes its self-check",
    )


def use_kernel(args: argparse.Namespace, cells: Sequence[str]) -> KernelStatus:
    """Choose the kernel the options ask for; an explicit `compiled` that cannot train
    these cells is said in one line on stderr (numpy trains instead)."""
    from model.kernel_choice import choose, compiled_for

    status = choose(getattr(args, "kernel", None) or "auto")
    if status.requested == "compiled" and not all(compiled_for(cell) for cell in cells):
        _say(f"rnn-tui: {status.line_for(cells)}")
    return status


def _add_cell_option(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--cell",
        type=_cell,
        metavar="rnn|lstm|gru",
        default=default,
        help="the recurrent cell (default rnn, the tutorial's)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rnn-tui",
        description="Watch Trask's tiny RNN learn 8-bit binary addition, one timestep at a time.",
        epilog="Subcommands: 'rnn-tui train --help', 'rnn-tui eval --help', "
        "'rnn-tui gradcheck --help', 'rnn-tui sweep --help'.",
    )
    parser.add_argument("--version", action="version", version=f"rnn-tui {__version__}")
    _add_model_options(parser)
    parser.add_argument(
        "--resume",
        action="store_true",
        help="reopen the session the app saved when it last quit (or lost its terminal)",
    )
    parser.add_argument(
        "--ascii", action="store_true", help="draw with ASCII only (no shade or box glyphs)"
    )
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
        "serve",
        help="serve the app to web browsers, one session per tab (needs the 'serve' extra)",
        description="Serve the app to web browsers (textual-serve): every browser tab gets its "
        "own app process, working in its own folder. The URL printed at start carries a "
        "random token; without it the page and its websocket are refused.",
    )
    _add_model_options(serve, subcommand=True)
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 lets "
        "anyone on the network connect)",
    )
    serve.add_argument(
        "--port",
        type=_whole("port", 1, 65535),
        default=8000,
        help="port to listen on (default 8000)",
    )
    serve.add_argument(
        "--max-sessions",
        type=_whole("max-sessions", 1, 256),
        default=8,
        metavar="M",
        help="browser sessions (app processes) at a time; more are refused (default 8)",
    )

    _add_sweep_parser(commands)

    evaluate = commands.add_parser("eval", help="exhaustive accuracy of a saved checkpoint")
    evaluate.add_argument("--load", metavar="CKPT", required=True, help="checkpoint to evaluate")
    _add_cell_option(evaluate, argparse.SUPPRESS)

    check = commands.add_parser(
        "gradcheck",
        help="BPTT gradients beside centred numerical ones, per weight matrix and gate block",
    )
    _add_cell_option(check, argparse.SUPPRESS)
    check.add_argument("--seed", type=_whole("seed", 0, 2**32 - 1), default=argparse.SUPPRESS)
    check.add_argument("--hidden", type=_whole("hidden", 1, 1024), default=argparse.SUPPRESS)
    check.add_argument("--bits", type=_whole("bits", 2, 32), default=argparse.SUPPRESS)
    return parser


def _add_sweep_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from tui.sweep_cli import add_sweep_options

    sweep = commands.add_parser(
        "sweep",
        help="train many runs (cells x hidden sizes x init ranges x seeds) and tabulate "
        "which converge",
    )
    add_sweep_options(sweep)


# -- building the network --------------------------------------------------------------


def _network_from(args: argparse.Namespace) -> RNN:
    """The network the options describe: a fresh one, or a checkpoint's."""
    from model.config import RNNConfig
    from model.network import RNN

    if getattr(args, "load", None) is None:
        given = {
            name: getattr(args, name, None)
            for name in ("seed", "hidden", "alpha", "bits", "cell", "init")
        }
        return RNN(RNNConfig(**{k: v for k, v in given.items() if v is not None}))
    from model.checkpoint import CheckpointError, load_checkpoint

    try:
        net = load_checkpoint(args.load)
    except CheckpointError as err:
        raise UsageError(str(err)) from None
    for name in ("seed", "hidden", "bits", "cell", "init"):
        option = getattr(args, name, None)
        if option is not None and option != getattr(net.config, name):
            shown = _shown(name, option)
            raise UsageError(
                f"--{name} {shown} conflicts with the checkpoint's {name} "
                f"{_shown(name, getattr(net.config, name))}; leave it out when loading"
            )
    if getattr(args, "alpha", None) is not None:
        net.alpha = args.alpha
    return net


def _shown(name: str, value: object) -> str:
    if name == "init":
        low, high = cast("tuple[float, float]", value)
        return f"{low:g},{high:g}"
    return str(value)


def _check_save_target(path: str) -> str:
    """Refuse a --save target before any work: a special file, a missing or read-only
    folder. Returns the file a save will write (symbolic links resolved)."""
    from model.checkpoint import CheckpointError, save_target

    try:
        return save_target(path, probe=True)
    except CheckpointError as err:
        raise UsageError(str(err)) from None


def _check_csv_target(path: str) -> str:
    """Refuse a --csv target that cannot take a CSV; returns it with links resolved.

    Unlike a checkpoint, a CSV is written in place, not renamed over its target, so a
    FIFO or a character device (a pipe to a plotting program, /dev/stdout) is fine; a
    directory, a socket or a block device (a disk) is not.
    """
    import stat

    if not path:
        raise UsageError("CSV file needs a file name")
    try:
        target = os.path.realpath(path)
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except (OSError, ValueError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise UsageError(f"cannot write CSV file {path!r}: {reason}") from None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        from model.checkpoint import file_kind

        raise UsageError(f"cannot write CSV file {path!r}: it is {file_kind(mode)}")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write CSV file {path!r}: folder {folder!r} does not exist")
    return target


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
    from model.accuracy import percent
    from model.probes import evaluate_net

    acc = evaluate_net(net)
    kind = "sample of" if acc.sampled else "all"
    return (
        f"exact sums {percent(acc.exact)} and bits {percent(acc.per_bit)} over {kind} "
        f"{acc.count:,} {net.bits}-bit sums"
    )


class _Output:
    """Standard output that may go away: a reader that stops reading (`| head`) or a
    full disk stops the progress output, never the training, the CSV or the save."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.failed: OSError | None = None

    def write(self, text: str) -> None:
        if self.failed is None:
            try:
                self.stream.write(text)
            except OSError as err:
                self._lost(err)

    def flush(self) -> None:
        if self.failed is None:
            try:
                self.stream.flush()
            except OSError as err:
                self._lost(err)

    def _lost(self, err: OSError) -> None:
        self.failed = err
        # What is still buffered would fail again when Python flushes it at exit.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())

    @property
    def reader_left(self) -> bool:
        return isinstance(self.failed, BrokenPipeError)


def run_train(args: argparse.Namespace) -> int:
    """Train, writing progress, the CSV and the checkpoint as asked.

    Exit status: 0 when everything asked for was done. A reader that closes the output
    early (`rnn-tui train | head -1`) only ends the progress output: the run goes on
    when a CSV or a checkpoint was asked for (and stops at once otherwise, since nothing
    would see it), and the exit status is 0 if they were written. Any other failure
    (a CSV that cannot be written, a save that fails, output lost to a full disk) is
    one line on stderr and exit 1, after everything else asked for was still done.
    """
    from model.checkpoint import CheckpointError, save_checkpoint
    from model.trainer import train

    save_real = _check_save_target(args.save) if args.save is not None else None
    csv_real = _check_csv_target(args.csv) if args.csv is not None else None
    if csv_real is not None and csv_real == save_real:
        raise UsageError(f"--csv and --save name the same file {args.save!r}")
    load = getattr(args, "load", None)
    if csv_real is not None and load is not None and csv_real == os.path.realpath(load):
        raise UsageError(f"--csv names the checkpoint --load reads: {args.csv!r}")
    net = _network_from(args)
    kernel = use_kernel(args, (net.cell,))
    start_iteration = net.iteration
    csv_file = _open_csv(args.csv) if args.csv is not None else None
    csv_problem: str | None = None
    out = _Output(sys.stdout)
    measured: dict[int, float] = {}  # iteration -> exhaustive exact accuracy, at log points
    more_to_do = args.save is not None or csv_file is not None

    def log(report: ExampleReport) -> None:
        if not args.quiet:
            out.write(_tutorial_block(report) + "\n")
        if csv_file is not None and csv_problem is None:
            from model.probes import evaluate_net

            acc = evaluate_net(net)
            measured[report.iteration + 1] = acc.exact

    def record(chunk: ChunkReport) -> None:
        nonlocal csv_problem
        if csv_file is None or csv_problem is not None:
            return
        first = chunk.iteration - len(chunk.errors) + 1
        rows = []
        for i, error in enumerate(chunk.errors):
            accuracy = measured.pop(first + i, None)
            rows.append(f"{first + i},{error!r},{'' if accuracy is None else accuracy}\n")
        csv_problem = _write_csv(csv_file, "".join(rows))

    def stop() -> bool:
        # With nothing but the output asked for, a reader that left ends the run.
        return out.failed is not None and not more_to_do

    from model.kernel_choice import warm_up

    warm_up(net.cell)  # numba's cache loaded before the clock starts: the rate is training's
    start_up.loaded()
    began = time.perf_counter()
    try:
        if csv_file is not None:
            csv_problem = _write_csv(csv_file, "iteration,overallError,exactAccuracy\n")
        train(
            net,
            args.iterations,
            log_every=args.log_every,
            on_log=log,
            on_chunk=record if csv_file is not None else None,
            should_stop=stop,
        )
        if csv_file is not None and csv_problem is None:
            csv_problem = _write_csv(csv_file, "", flush=True)
    finally:
        if csv_file is not None:
            try:
                csv_file.close()
            except OSError as err:  # the last buffered rows could not be written
                csv_problem = csv_problem or err.strerror or str(err)
    elapsed = time.perf_counter() - began
    done = net.iteration - start_iteration
    if not args.quiet and out.failed is None:
        rate = f"{done / elapsed:,.0f} iterations/s" if elapsed > 0 and done else "-"
        out.write(f"# {_iterations(done)} in {elapsed:.2f} s ({rate})\n")
        out.write(f"# {_kernel_line(kernel, net)}\n")
        out.write(f"# {_accuracy_line(net)} after {_iterations(net.iteration)}\n")
    problems = []
    if args.save is not None:
        try:
            save_checkpoint(args.save, net)
        except CheckpointError as err:
            problems.append(str(err))
        else:
            if not args.quiet:
                out.write(f"# saved to {args.save}\n")
    if csv_problem is not None:
        saved = ""
        if args.save is not None and not problems:
            saved = f"; the run finished and was saved to {args.save!r}"
        problems.insert(0, f"cannot write CSV file {args.csv!r}: {csv_problem}{saved}")
    out.flush()
    if out.failed is not None and not out.reader_left:
        reason = out.failed.strerror or str(out.failed)
        problems.append(f"cannot write the output: {reason}")
    for problem in problems:
        print(f"rnn-tui: error: {printable(problem)}", file=sys.stderr)
    return 1 if problems else 0


def _kernel_line(kernel: KernelStatus, net: RNN) -> str:
    """What trained this network (the LSTM and GRU can be left to numpy: see line_for)."""
    return kernel.line_for((net.cell,))


def _write_csv(handle: TextIO, text: str, flush: bool = False) -> str | None:
    """Write to the CSV; the reason it failed (its disk filled up, its reader went away)."""
    try:
        handle.write(text)
        if flush:
            handle.flush()
    except OSError as err:
        return err.strerror or str(err)
    return None


def _open_csv(path: str) -> TextIO:
    """Open for writing without hanging on a FIFO that nobody reads."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NONBLOCK, 0o644)
    except OSError as err:
        reason = "nothing reads that pipe" if err.errno == errno.ENXIO else err.strerror
        raise UsageError(f"cannot write CSV file {path!r}: {reason}") from None
    os.set_blocking(fd, True)
    return open(fd, "w", encoding="utf-8")


def _iterations(count: int) -> str:
    return f"{count:,} iteration{'' if count == 1 else 's'}"


def run_eval(args: argparse.Namespace) -> int:
    net = _network_from(args)
    start_up.loaded()
    out = _Output(sys.stdout)
    out.write(
        f"{printable(args.load)}: {net.info.title}, {net.hidden} hidden units, "
        f"alpha {net.alpha:g}, seed {net.config.seed}, {_iterations(net.iteration)}\n"
    )
    out.write(_accuracy_line(net) + "\n")
    out.flush()
    if out.failed is not None and not out.reader_left:  # the answer was not delivered
        reason = out.failed.strerror or str(out.failed)
        print(f"rnn-tui: error: cannot write the output: {reason}", file=sys.stderr)
        return 1
    return 0


def run_gradcheck(args: argparse.Namespace) -> int:
    """One example from the seed's stream; exit 0 only when every matrix agrees."""
    from model.gradcheck import TOLERANCE, gradient_check, size_problem

    net = _network_from(args)
    start_up.loaded()
    problem = size_problem(net)
    if problem:
        raise UsageError(problem)
    drawn = "the seed's first draw" if net.iteration == 0 else "the next draw of its stream"
    check = gradient_check(net)
    print(
        f"# gradcheck: {net.info.title}, seed {net.config.seed}, {net.hidden} hidden units, "
        f"{net.bits} bits; example {check.a} + {check.b} ({drawn})"
    )
    print("# gradient of 1/2*sum(y - layer_2)^2: BPTT beside centred numerical differences")
    print(f"{'weights':<14} {'size':>6} {'largest BPTT':>14} {'numerical':>14} {'max rel err':>11}")
    for line in check.lines:
        print(
            f"{line.name:<14} {line.size:>6} {line.largest_bptt:>14.6e} "
            f"{line.numerical_there:>14.6e} {line.max_relative_error:>11.2e}"
            f"{'' if line.ok else '  FAIL'}"
        )
    verdict = "all below" if check.ok else "NOT all below"
    print(f"# max relative error {verdict} {TOLERANCE:g}")
    return 0 if check.ok else 1


def run_app(args: argparse.Namespace) -> int:
    """The app; its exit status is honest: 0 only when it quit normally and saved."""
    from tui.autosave import resume, session_file

    greeting = ""
    if getattr(args, "resume", False):
        names = ("seed", "hidden", "alpha", "bits", "cell", "init", "load")
        given = [f"--{name}" for name in names if getattr(args, name, None) is not None]
        if given:
            raise UsageError(
                f"--resume reopens the saved session: it takes no model options ({given[0]})"
            )
        from model.checkpoint import CheckpointError

        try:
            session = resume()
        except CheckpointError as err:
            raise UsageError(str(err)) from None
        net = session.net
        greeting = (
            f"Resumed the saved session: iteration {net.iteration:,}, seed {net.config.seed}, "
            f"{net.hidden} hidden units, alpha {net.alpha:g} (from {session_file()})."
        )
    else:
        net = _network_from(args)  # bad options and files fail here, before any screen
        session = None
    # auto is chosen by the app once its screen is up (tui/app.py); an explicit choice
    # here, so a compiled kernel that cannot be used is said before the screen opens
    wanted = getattr(args, "kernel", None) or "auto"
    kernel = None if wanted == "auto" else use_kernel(args, (net.cell,))
    from model.kernel_choice import compiled_for
    from tui import glyphs
    from tui.app import RNNApp
    from tui.session import Session

    if getattr(args, "ascii", False) or not glyphs.can_encode(sys.stdout.encoding):
        glyphs.use(glyphs.ASCII)
    if session is None:
        session = Session(net)
    if kernel is not None and kernel.requested == "compiled" and not compiled_for(net.cell):
        why = kernel.note or kernel.gated_note  # the RNN's reason, or the gated loops'
        note = f"Training with numpy: the compiled kernel is not used ({why})."
        greeting = f"{greeting} {note}" if greeting else note
    app = RNNApp(
        net,
        session=session,
        autosave_on_exit=True,
        greeting=greeting,
        kernel="auto" if kernel is None else "",
    )
    start_up.loaded()
    app.run(mouse=False)  # keyboard first: no mouse-motion traffic over SSH
    return _app_outcome(app)


def _app_outcome(app: RNNApp) -> int:
    """One line on stderr for anything that went wrong; the status to exit with."""
    saved = f"the session was saved to {app.saved_to}" if app.saved_to else ""
    if app.save_problem:
        saved = f"the session could not be saved ({app.save_problem})"
    if app.crash is not None:
        _say(f"rnn-tui: error: the app stopped on an unexpected error: {app.crash}; {saved}")
        return 1
    if app.signal_received is not None:
        name = signal.Signals(app.signal_received).name
        _say(f"rnn-tui: stopped by {name}; {saved}")
        return 128 + app.signal_received
    if app.save_problem:
        _say(f"rnn-tui: error: {saved}")
        return 1
    if app.saved_to:  # a quit like any other: the README promises the save, so say it
        _say(f"rnn-tui: {saved}; rnn-tui --resume reopens it")
    return app.return_code or 0


def _say(line: str) -> None:
    """A line on stderr, even if the terminal is gone (a dropped SSH connection)."""
    with contextlib.suppress(OSError):
        print(printable(line), file=sys.stderr)


# The model options a served session's `rnn-tui` process is started with.
SERVE_FORWARDED_OPTIONS = ("seed", "hidden", "alpha", "bits", "cell", "init", "load", "kernel")


def _session_argv(args: argparse.Namespace) -> list[str]:
    options = []
    for name in SERVE_FORWARDED_OPTIONS:
        value = getattr(args, name, None)
        if value is None:
            continue
        if name == "init":  # (LO, HI); "=" so a negative LO is not read as an option
            options += [f"--init={value[0]!r},{value[1]!r}"]
            continue
        if name == "load":
            value = os.path.abspath(value)  # the session runs in a folder of its own
        options += [f"--{name}", repr(value) if isinstance(value, float) else str(value)]
    # -P (Python 3.11+): nothing in the session's folder shadows a module
    safe_path = ["-P"] if sys.version_info >= (3, 11) else []
    return [sys.executable, *safe_path, "-m", "tui", *options]


def run_serve(args: argparse.Namespace) -> int:
    """Each browser session gets its own `rnn-tui` process with these options."""
    _network_from(args)  # refuse bad options and files now, not in every browser tab
    try:
        from tui.serve import ServeError, serve
    except ImportError:
        raise UsageError(
            "serving needs textual-serve: pip install 'rnn-tui[serve]' (or pip install "
            "textual-serve)"
        ) from None

    def check_session() -> str | None:
        """Before each session: the checkpoint may have changed since the server started."""
        try:
            _network_from(args)
        except UsageError as err:
            return str(err)
        return None

    start_up.loaded()
    try:
        return serve(
            _session_argv(args),
            host=args.host,
            port=args.port,
            max_sessions=args.max_sessions,
            check_session=check_session if args.load is not None else None,
        )
    except ServeError as err:
        print(f"rnn-tui: error: {printable(str(err))}", file=sys.stderr)
        return err.status


def _refuse_double_dash_values(argv: Sequence[str]) -> None:
    """`--seed=--`: Python 3.11's argparse drops the "--", stores [] without calling the
    option's type, and a later `--seed 3` then hides the slip; refuse it up front."""
    for token in argv:
        if token == "--":
            return
        name, equals, value = token.partition("=")
        if token.startswith("--") and equals and value == "--":
            raise UsageError(f"argument {name}: expected a value")


def _joined_init(argv: Sequence[str]) -> list[str]:
    """`--init -1,1` as `--init=-1,1`: argparse would take "-1,1" for an option."""
    out: list[str] = []
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        if tokens[i] == "--":
            return out + tokens[i:]
        if tokens[i] == "--init" and i + 1 < len(tokens):
            out.append(f"--init={tokens[i + 1]}")
            i += 2
            continue
        out.append(tokens[i])
        i += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        _refuse_double_dash_values(sys.argv[1:] if argv is None else argv)
        args = parser.parse_args(_joined_init(sys.argv[1:] if argv is None else argv))
        _ran.append(args.command or "app")
        if args.command is not None and getattr(args, "resume", False):
            raise UsageError(f"--resume reopens the app's saved session: not with {args.command}")
        if args.command == "train":
            return run_train(args)
        if args.command == "eval":
            return run_eval(args)
        if args.command == "gradcheck":
            return run_gradcheck(args)
        if args.command == "sweep":
            from tui.sweep_cli import run_sweep_command

            return run_sweep_command(args)
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
        # the reader went away (`rnn-tui eval | head`): stop quietly; `train` handles
        # it itself, so that a save or a CSV asked for is never skipped
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # the output lost (a full disk): one line, not a traceback
        with contextlib.suppress(OSError):
            print(f"rnn-tui: error: {err.strerror or err}", file=sys.stderr)
        return 1


def entry_point() -> None:
    start_up.hold()  # until the command has loaded what it needs (tui/start_up.py)
    status = main()
    if "numba" in sys.modules and _ran[-1:] in (["train"], ["eval"], ["gradcheck"], ["app"]):
        _exit_now(status)
    sys.exit(status)


# the command main() ran: single-process ones may skip the interpreter's teardown (a sweep's
# worker pool and serve's sessions are left to Python's own exit)
_ran: list[str] = []


def _exit_now(status: int) -> NoReturn:
    """Leave without the interpreter's teardown, which costs 0.15 s once numba's LLVM is
    loaded (a third of `rnn-tui train --kernel compiled` at 100,000 iterations). By now
    every file written is closed (checkpoints and CSVs are written in `with` blocks and
    renamed into place), the terminal is restored, and rnn-tui registers no atexit work;
    only the standard streams remain to be flushed."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing more can be said
            if status == 0 and stream is sys.stdout:
                status = 1  # what sys.exit would report for an output that failed
    os._exit(status)
