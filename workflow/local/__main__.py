"""``python -m workflow.local --port N --data-dir DIR``: run the local server in the foreground."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from workflow.local.access.authorizer import IamMode
from workflow.local.lifecycle import DEFAULT_DATA_DIR, DEFAULT_PORT
from workflow.local.server import LocalServer, ServerAlreadyRunning


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workflow.local", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR,
                        help=f"where state lives (default {DEFAULT_DATA_DIR})")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="divide every wait the server makes, and role sessions' lifetimes, by this factor "
                             "(default 1)")
    parser.add_argument("--iam", choices=("enforce", "off"),
                        help="authorize every call a role session makes (enforce), or none (off); "
                             "default: the data directory's last setting, enforce on a new one")
    parser.add_argument("--mlflow-port", type=int, default=None,
                        help="port of the MLflow tracking server started beside this one (default: "
                             "--port + 1, or any free port with --port 0; -1: no tracking server)")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def mlflow_port(port: int, asked: int | None) -> int | None:
    if asked is None:
        return port + 1 if port else 0
    return None if asked < 0 else asked


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.time_scale <= 0:
        print("--time-scale must be positive", file=sys.stderr)
        return 2
    try:
        server = LocalServer(args.data_dir, port=args.port, time_scale=args.time_scale,
                             iam=IamMode(args.iam) if args.iam else None,
                             mlflow_port=mlflow_port(args.port, args.mlflow_port))
    except (ServerAlreadyRunning, OSError) as exc:
        print(f"cannot start the local server: {exc}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: object) -> None:
        # shutdown() waits for serve_forever, which runs on this thread: stop from another.
        threading.Thread(target=server.request_stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"local AWS server on {server.endpoint_url} (data in {server.data_dir}, IAM {server.iam.value})",
          flush=True)
    try:
        server.serve_forever()
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
