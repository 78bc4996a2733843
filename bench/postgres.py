#!/usr/bin/env python3
"""Durable STANDARD executions on one PostgreSQL node beside one SQLite node, in one run:
`bench/cluster.py --nodes 1 --skip-takeover` (see it for what is measured and how); other
arguments (--binary, --rounds, --duration) pass through.

    bench/postgres.py [--binary target/release/switchback] [--rounds 3] [--duration 10]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cluster import main  # noqa: E402

if __name__ == "__main__":
    main(["--nodes", "1", "--skip-takeover", *sys.argv[1:]])
