"""The mutation check: do the core tests notice when one rule value or one comparison changes?

Not a test. Each mutation is made in a temporary copy of the project (never in this checkout), the core
tests run against it, and a mutation that no test notices is a survivor: a rule value or a boundary that
nothing pins. The target is 0 survivors.

Mutations:

* rules (``rules/*.yaml``, inside each dated ``value`` only): each number ± a step (1 for whole numbers,
  0.01 for shares and other decimals), each boolean switch flipped, each enumerated word (a unit, an anchor,
  a direction, a tie-break, a weekday, a policy…) replaced by the next value of its enumeration. Identifiers,
  labels, CSV column names and lists of ids are left alone. A mutant that the rule check itself refuses
  (``load_rules``) is counted as caught, by the rule check, and listed apart.
* code (``spplus/tiers.py``, ``spplus/surveys.py``, ``spplus/exact.py``, ``spplus/central.py``): each
  comparison operator swapped, ``<`` ↔ ``<=`` and ``>`` ↔ ``>=``.

Why a copy of the project: the tests' ``rules`` fixture (tests/conftest.py) calls ``load_rules()`` with no
folder, which reads ``spplus/../rules`` and does not honour ``SPPLUS_RULES``; tests/test_calendar_deadlines.py
reads ``tests/../rules`` too. So each worker gets its own copy, the copy's own ``spplus`` is imported (it is
put first on ``PYTHONPATH``, ahead of the editable install of this checkout, and checked), and ``SPPLUS_RULES``
points at the copy's ``rules/`` as well. Bytecode is never written (``PYTHONDONTWRITEBYTECODE``): two mutants
of one file may have the same size and the same mtime second, and a stale .pyc would run the wrong one.

The copy is taken of the working tree as it is when the script starts. The unmutated copy runs first; any
test that already fails there is reported and deselected for every mutant (a mutant is judged only on the
tests that pass without it).

    .venv/bin/python bench/mutate.py                    # every mutation (about 20 minutes on two cores)
    .venv/bin/python bench/mutate.py --limit 40         # the first 40
    .venv/bin/python bench/mutate.py --only code --jobs 2
    .venv/bin/python bench/mutate.py --list             # the mutations, without running anything
    .venv/bin/python bench/mutate.py --json bench/mutations.json

Exit status: 0 when no mutation survived, 1 when some did, 2 when the unmutated copy cannot be tested.
"""

from __future__ import annotations

import argparse
import enum
import io
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tokenize
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CORE_TESTS = ["tests/lifecycle", "tests/network", "tests/test_tiers.py", "tests/test_surveys.py", "tests/test_rule_cases.py",
              "tests/test_calendar_deadlines.py", "tests/test_central.py", "tests/test_exact_edges.py", "tests/test_mutants_deadlines.py",
              "tests/test_mutants_scores.py", "tests/test_mutants_yearly.py"]
CODE_FILES = ["spplus/tiers.py", "spplus/surveys.py", "spplus/exact.py", "spplus/central.py"]
RULE_FILES_SKIPPED = {"edition.yaml"}  # the edition's name and sources: no rule value
COPY_IGNORED = shutil.ignore_patterns(".venv", ".git", "node_modules", "data", ".hypothesis", ".pytest_cache", "__pycache__",
                                      "*.egg-info", "*.pyc", ".mypy_cache", ".ruff_cache")
# Keys whose values name or label things rather than set a rule's value: never mutated.
IDENTIFIER_KEYS = {"id", "label", "title", "column", "completed_column", "completed_values", "number", "engagement",
                   "country", "subdivision", "neutral", "unanswered", "socle_all", "socle_one_of", "optional"}
# Enumerations written as Literal[...] in spplus/rules/models.py rather than as StrEnum classes.
LITERAL_ENUMS = {"direction": ["before", "after"], "limit": ["at_most", "at_least"]}
SWAPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}


@dataclass
class Mutation:
    kind: str  # rules | code
    path: str  # relative to the project
    line: int
    column: int
    start: int  # character offsets in the file's text
    end: int
    before: str
    after: str
    where: str  # the rule's path in its file, or the source line

    @property
    def name(self) -> str:
        if "\n" in self.before:  # a change that spans lines (a band boundary) says what it does in ``where``
            return f"{self.path}:{self.line}:{self.column} {self.where}"
        return f"{self.path}:{self.line}:{self.column} {self.where}: {self.before} → {self.after}"

    def apply(self, text: str) -> str:
        assert text[self.start:self.end] == self.before, (self.name, text[self.start:self.end])
        return text[:self.start] + self.after + text[self.end:]


@dataclass
class Result:
    mutation: Mutation
    outcome: str  # caught | refused | timeout | survived | error
    seconds: float
    detail: str = ""


@dataclass
class Summary:
    tried: int = 0
    caught: int = 0
    refused_by_rule_check: int = 0
    timeouts: int = 0
    errors: int = 0
    survivors: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- rule mutations
def _enumerations() -> list[list[str]]:
    """Every enumeration a rule value may be written from: the StrEnums of spplus/rules/models.py and its Literals."""
    from spplus.rules import models

    found = [[e.value for e in c] for c in vars(models).values()
             if isinstance(c, type) and issubclass(c, enum.Enum) and c.__module__ == models.__name__]
    return found + list(LITERAL_ENUMS.values())


def _enum_for(key: str | None, value: str, enums: list[list[str]]) -> list[str] | None:
    if key in LITERAL_ENUMS and value in LITERAL_ENUMS[key]:
        return LITERAL_ENUMS[key]
    for values in enums:
        if value in values:
            return values
    return None


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _number(text: str, delta: Decimal) -> str:
    value = Decimal(text) + delta
    if "." not in text and delta == delta.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f") if value != 0 else "0"


def _scalar_mutations(node: yaml.ScalarNode, key: str | None, siblings: list[yaml.Node], enums: list[list[str]]) -> list[str]:
    tag, text = node.tag.rsplit(":", 1)[-1], node.value
    if tag == "bool":
        return ["false" if text.lower() == "true" else "true"]
    if tag in ("int", "float"):
        # A share (0 ≤ x ≤ 1) moves by hundredths: a decimal, or a 0 or 1 among numbers that are all shares (a scale).
        numbers = [s.value for s in siblings if isinstance(s, yaml.ScalarNode) and s.tag.endswith((":int", ":float"))]
        share_like = tag == "float" or (text in ("0", "1") and any(s.tag.endswith(":float") for s in siblings
                                                                    if isinstance(s, yaml.ScalarNode))
                                        and all(0 <= Decimal(v) <= 1 for v in numbers))
        step = Decimal(1).scaleb(-max(2, _decimals(text))) if share_like else Decimal(1)
        return [_number(text, step), _number(text, -step)]
    if tag == "str" and node.style is None:
        values = _enum_for(key, text, enums)
        if values is None or len(values) < 2:
            return []
        return [values[(values.index(text) + 1) % len(values)]]
    return []


def rule_mutations(rules_dir: Path, enums: list[list[str]]) -> list[Mutation]:
    out: list[Mutation] = []
    for path in sorted(rules_dir.glob("*.yaml")):
        if path.name in RULE_FILES_SKIPPED:
            continue
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
        if not isinstance(root, yaml.MappingNode):
            continue
        rel = path.relative_to(rules_dir.parent).as_posix()

        def walk(node: yaml.Node, where: str, key: str | None, siblings: list[yaml.Node]) -> None:
            if key in IDENTIFIER_KEYS:
                return
            if isinstance(node, yaml.MappingNode):
                children = [v for _, v in node.value]
                for k, v in node.value:
                    walk(v, f"{where}.{k.value}", k.value, children)
            elif isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    walk(item, f"{where}[{i}]", key, node.value)
                boundaries(node, where)
            elif isinstance(node, yaml.ScalarNode):
                for after in _scalar_mutations(node, key, siblings, enums):
                    start, end = node.start_mark.index, node.end_mark.index
                    out.append(Mutation("rules", rel, node.start_mark.line + 1, node.start_mark.column + 1, start, end,
                                        text[start:end], after, where))

        def boundaries(node: yaml.SequenceNode, where: str) -> None:
            """Contiguous bands (``max_x`` of one + 1 = ``min_x`` of the next): move the boundary between them by one,
            both ends at once, so that the bands still tile (a single end moved is refused by the rule check)."""
            items = [dict((k.value, v) for k, v in item.value) for item in node.value if isinstance(item, yaml.MappingNode)]
            if len(items) != len(node.value):
                return
            for i, (low, high) in enumerate(zip(items, items[1:])):
                for name in (k.removeprefix("max_") for k in low if k.startswith("max_")):
                    top, bottom = low.get(f"max_{name}"), high.get(f"min_{name}")
                    if not all(isinstance(n, yaml.ScalarNode) and n.tag.endswith(":int") for n in (top, bottom)):
                        continue
                    if int(top.value) + 1 != int(bottom.value):
                        continue
                    start, end = top.start_mark.index, bottom.end_mark.index
                    between = text[top.end_mark.index:bottom.start_mark.index]
                    for delta in (1, -1):
                        out.append(Mutation("rules", rel, top.start_mark.line + 1, top.start_mark.column + 1, start, end,
                                            text[start:end], f"{int(top.value) + delta}{between}{int(bottom.value) + delta}",
                                            f"{where}[{i}]/[{i + 1}] boundary {name} {top.value}|{bottom.value} → "
                                            f"{int(top.value) + delta}|{int(bottom.value) + delta}"))

        for rule_key, rule in root.value:
            values = next((v for k, v in rule.value if k.value == "values"), None) if isinstance(rule, yaml.MappingNode) else None
            if not isinstance(values, yaml.MappingNode):
                continue
            for day, entry in values.value:
                value = next((v for k, v in entry.value if k.value == "value"), None) if isinstance(entry, yaml.MappingNode) else None
                if value is not None:
                    walk(value, f"{rule_key.value}@{day.value}", None, [])
    return out


# ---------------------------------------------------------------------------------------------- code mutations
def code_mutations(root: Path) -> list[Mutation]:
    out: list[Mutation] = []
    for rel in CODE_FILES:
        text = (root / rel).read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line))
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.OP and token.string in SWAPS:
                (row, col), (_, end_col) = token.start, token.end
                start = offsets[row - 1] + col
                source = lines[row - 1].strip()
                out.append(Mutation("code", rel, row, col + 1, start, offsets[row - 1] + end_col, token.string,
                                    SWAPS[token.string], source if len(source) <= 90 else source[:87] + "…"))
    return out


# ---------------------------------------------------------------------------------------------- running
class Copy:
    """One worker's copy of the project, restored to the original after each mutant."""

    def __init__(self, base: Path, number: int) -> None:
        self.root = base / f"copy{number}"
        shutil.copytree(ROOT, self.root, ignore=COPY_IGNORED, symlinks=True)
        self.env = {**os.environ, "PYTHONPATH": str(self.root), "PYTHONDONTWRITEBYTECODE": "1",
                    "SPPLUS_RULES": str(self.root / "rules"), "SPPLUS_DATA": str(self.root / "data")}
        self.env.pop("PYTEST_ADDOPTS", None)
        found = subprocess.run([sys.executable, "-c", "import spplus, sys; print(spplus.__file__)"], cwd=self.root,
                               env=self.env, capture_output=True, text=True, check=True).stdout.strip()
        if not Path(found).resolve().is_relative_to(self.root.resolve()):
            raise SystemExit(f"the copy imports spplus from {found}, not from {self.root}: the mutants would not be tested")

    def pytest(self, extra: list[str], timeout: float | None, stop_first: bool = True) -> tuple[int | None, str, float]:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-seed=0", "-o", "addopts=",
                   *(["-x"] if stop_first else ["-rfE"]), *CORE_TESTS, *extra]
        started = time.monotonic()
        try:
            done = subprocess.run(command, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            return None, out, time.monotonic() - started
        return done.returncode, done.stdout + done.stderr, time.monotonic() - started

    def rules_refusal(self) -> str | None:
        """The rule check's first complaint about the copy's rules, or None when they load."""
        code = ("import sys\nfrom spplus.rules.loader import load_rules, RuleSetInvalid\n"
                "try:\n    load_rules()\nexcept RuleSetInvalid as exc:\n    print(str(exc).strip().splitlines()[0] if str(exc).strip() else 'refused'); sys.exit(3)\n")
        done = subprocess.run([sys.executable, "-c", code], cwd=self.root, env=self.env, capture_output=True, text=True)
        if done.returncode == 3:
            return done.stdout.strip() or "refused"
        if done.returncode != 0:
            return (done.stderr.strip().splitlines() or ["the rules could not be loaded"])[-1]
        return None

    def run(self, mutation: Mutation, extra: list[str], timeout: float) -> Result:
        target = self.root / mutation.path
        original = target.read_text(encoding="utf-8")
        try:
            target.write_text(mutation.apply(original), encoding="utf-8")
            started = time.monotonic()
            if mutation.kind == "rules":
                refusal = self.rules_refusal()
                if refusal is not None:
                    return Result(mutation, "refused", time.monotonic() - started, refusal)
            code, output, seconds = self.pytest(extra, timeout)
            if code is None:
                return Result(mutation, "timeout", seconds, f"no answer within {timeout:.0f} s")
            if code == 0:
                return Result(mutation, "survived", seconds)
            if code in (1, 2):
                failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.M)
                return Result(mutation, "caught", seconds, failed[0] if failed else _last_line(output))
            return Result(mutation, "error", seconds, f"pytest exit {code}: {_last_line(output)}")
        finally:
            target.write_text(original, encoding="utf-8")


def _last_line(output: str) -> str:
    lines = [l for l in output.strip().splitlines() if l.strip()]
    return lines[-1] if lines else ""


def baseline(copy: Copy) -> tuple[list[str], float]:
    """The tests that fail on the unmutated copy (to deselect), and how long the suite takes."""
    if (refusal := copy.rules_refusal()) is not None:
        raise SystemExit(f"the rules of this checkout are refused as they stand: {refusal}")
    code, output, seconds = copy.pytest([], timeout=None, stop_first=False)
    if code not in (0, 1):
        print(output[-4000:], file=sys.stderr)
        raise SystemExit(f"the unmutated copy cannot be tested (pytest exit {code})")
    return sorted(set(re.findall(r"^FAILED (\S+?)(?: - .*)?$", output, re.M))), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["rules", "code"], help="only the rule values, or only the comparison operators")
    parser.add_argument("--limit", type=int, help="try at most N mutations (after --skip)")
    parser.add_argument("--skip", type=int, default=0, help="leave out the first N mutations (to go on from an earlier run)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="mutants run at once, each in its own copy")
    parser.add_argument("--list", action="store_true", help="print the mutations and stop")
    parser.add_argument("--json", type=Path, help="also write every result to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies (their path is printed)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    mutations: list[Mutation] = []
    if args.only in (None, "rules"):
        mutations += rule_mutations(ROOT / "rules", _enumerations())
    if args.only in (None, "code"):
        mutations += code_mutations(ROOT)
    total = len(mutations)
    mutations = mutations[args.skip:]
    if args.limit is not None:
        mutations = mutations[:args.limit]
    if args.list:
        for number, mutation in enumerate(mutations, start=args.skip + 1):
            print(f"{number:4d}  [{mutation.kind}] {mutation.name}")
        print(f"{len(mutations)} of {total} mutations")
        return 0
    if not mutations:
        print("no mutation to try")
        return 0

    base = Path(tempfile.mkdtemp(prefix="spplus-mutate-"))
    try:
        jobs = max(1, min(args.jobs, len(mutations)))
        copies = [Copy(base, n) for n in range(jobs)]
        print(f"copies of {ROOT} in {base}; core tests: {' '.join(CORE_TESTS)}", flush=True)
        failing, seconds = baseline(copies[0])
        print(f"unmutated copy: the core tests take {seconds:.1f} s", flush=True)
        if failing:
            print(f"{len(failing)} test(s) already fail without any mutation, deselected for every mutant:")
            for node in failing:
                print(f"  {node}")
        extra = [arg for node in failing for arg in ("--deselect", node)]
        timeout = max(60.0, seconds * 4)
        print(f"{len(mutations)} of {total} mutations to try, {jobs} at a time (a mutant taking over {timeout:.0f} s is caught: timeout)",
              flush=True)

        work: queue.Queue[tuple[int, Mutation]] = queue.Queue()
        for item in enumerate(mutations, start=args.skip + 1):
            work.put(item)
        results: dict[int, Result] = {}
        lock = threading.Lock()

        def worker(copy: Copy) -> None:
            while True:
                try:
                    number, mutation = work.get_nowait()
                except queue.Empty:
                    return
                result = copy.run(mutation, extra, timeout)
                with lock:
                    results[number] = result
                    mark = {"caught": "caught  ", "refused": "refused ", "timeout": "timeout ", "survived": "SURVIVED", "error": "ERROR   "}
                    print(f"{len(results):4d}/{len(mutations)} #{number:<4d} {mark[result.outcome]} {result.seconds:5.1f}s  "
                          f"{mutation.name}" + (f"  — {result.detail}" if result.detail and result.outcome != "caught" else ""), flush=True)

        threads = [threading.Thread(target=worker, args=(copy,)) for copy in copies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        if args.keep:
            print(f"copies kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    ordered = [results[n] for n in sorted(results)]
    summary = Summary(tried=len(ordered))
    for result in ordered:
        if result.outcome in ("caught", "refused", "timeout"):
            summary.caught += 1
        summary.refused_by_rule_check += result.outcome == "refused"
        summary.timeouts += result.outcome == "timeout"
        summary.errors += result.outcome == "error"
        if result.outcome == "survived":
            summary.survivors.append(result.mutation.name)

    print()
    print(f"mutations tried: {summary.tried}")
    print(f"caught: {summary.caught} (by a failing test: {summary.caught - summary.refused_by_rule_check - summary.timeouts}, "
          f"refused by the rule check: {summary.refused_by_rule_check}, timeouts: {summary.timeouts})")
    if summary.errors:
        print(f"errors (neither caught nor survived): {summary.errors}")
        for result in ordered:
            if result.outcome == "error":
                print(f"  {result.mutation.name} — {result.detail}")
    print(f"not caught by any test: {len(summary.survivors)} (target 0)")
    for name in summary.survivors:
        print(f"  {name}")
    if args.json:
        args.json.write_text(json.dumps({"summary": asdict(summary), "deselected": failing,
                                         "results": [{**asdict(r), "mutation": {**asdict(r.mutation), "name": r.mutation.name}}
                                                     for r in ordered]}, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if summary.survivors else 0


if __name__ == "__main__":
    sys.exit(main())
