"""`qc-magics` on the command line.

Exit codes: 0 success, 1 an API or sync error, 2 a usage error.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .errors import QCError


def _emulator_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("emulator", help="serve a local emulator of the QuantConnect API",
                       description="Serve a local emulator of the QuantConnect API v2 at "
                                   "http://HOST:PORT/api/v2/ until Ctrl-C.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5612)
    p.add_argument("--user-id", default="1")
    p.add_argument("--api-token", default=None, help="default: a new random token")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    p.add_argument("--fault-rate", type=float, default=0.0,
                   help="share of requests failing with 429, 500, 503 or a dropped connection")
    p.add_argument("--retry-after", type=float, default=1.0,
                   help="seconds the 429/503 faults ask clients to wait")
    p.add_argument("--seed", type=int, default=0, help="results and ids follow from it")
    p.add_argument("--state-dir", default=None, help="persist the cloud's state here")
    p.add_argument("--time-scale", type=float, default=1.0,
                   help="multiply job durations (0.1: ten times faster)")
    p.add_argument("--max-file-size", type=int, default=32_000,
                   help="per-file size cap in characters")
    p.set_defaults(run=_run_emulator)


def _run_emulator(args: argparse.Namespace) -> int:
    from .emulator import Emulator
    if not 0.0 <= args.fault_rate < 1.0:
        raise _Usage(f"--fault-rate must be in [0, 1), not {args.fault_rate}")
    emu = Emulator(host=args.host, port=args.port, user_id=args.user_id,
                   api_token=args.api_token, seed=args.seed, latency_ms=args.latency_ms,
                   fault_rate=args.fault_rate, retry_after=args.retry_after,
                   time_scale=args.time_scale, max_file_size=args.max_file_size,
                   state_dir=args.state_dir)
    try:
        emu.bind()
    except OSError as e:
        print(f"qc-magics emulator: cannot listen on {args.host}:{args.port}: "
              f"{e.strerror or e}; pick another --port", file=sys.stderr)
        return 1
    # These are the emulator's own credentials, made up for this run: printing them is the point.
    print(f"QuantConnect API emulator at {emu.api_url}\n"
          f"  user id:   {emu.user_id}\n  api token: {emu.api_token}\n"
          f"Point qc_magics (or lean-cli, or curl) at it:\n"
          f"  export QC_API_URL={emu.api_url} QC_USER_ID={emu.user_id} "
          f"QC_API_TOKEN={emu.api_token}\nCtrl-C to stop.", flush=True)
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped.")
    return 0


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit code 2, like every usage error
        raise _Usage(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qc-magics", description="QuantConnect from a local Jupyter and the "
                                                   "shell.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    _emulator_parser(sub)
    from .demo import add_parser as add_demo
    add_demo(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.version:
            from . import __version__
            print(__version__)
            return 0
        if not getattr(args, "run", None):
            parser.print_help()
            return 2
        return args.run(args)
    except _Usage as e:
        print(f"qc-magics: {e}", file=sys.stderr)
        return 2
    except QCError as e:
        print(f"qc-magics: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
