"""Mutation score per file from mutmut's results in `mutants/` (`make mutate` prints it).

Score = (killed + timed out) / every mutant checked, where a mutant no test covers counts as
surviving; mutants not yet checked are left out and counted separately.
Run as `python -m tests.mutation_report [PATH_PREFIX]`, e.g. `routing/engine`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

KILLED = {1, 3, 24, -24, 36, 152, 255}  # test failure, pytest internal error, timeouts (as mutmut counts them)


def main(argv: list[str]) -> int:
    prefix = argv[0] if argv else ""
    rows = []
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        source = meta.relative_to("mutants").as_posix().removesuffix(".meta")
        if not source.startswith(prefix):
            continue
        codes = list(json.loads(meta.read_text())["exit_code_by_key"].values())
        checked = [code for code in codes if code is not None]
        killed = sum(code in KILLED for code in checked)
        survived = sum(code == 0 for code in checked)
        untested = sum(code in (5, 33) for code in checked)
        score = f"{100 * killed / len(checked):.1f} %" if checked else "n/a"
        rows.append((source, len(codes), killed, survived, untested, len(codes) - len(checked), score))
    print("| file | mutants | killed | survived | no tests | not checked | score |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(map(str, row)) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
