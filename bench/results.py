#!/usr/bin/env python3
"""The benchmark table: figures gathered from the bench scripts, written out
as bench/results.json and bench/results.md by bench/all.sh.

  results.py add FILE KEY=VALUE...    append one figure (a JSON line) to FILE
  results.py report FILE JSON MD [--header TEXT]...
                                      write the table of FILE's figures

A figure's keys:
  id             a short stable name ("drive-write-256k")
  figure         what was measured, in words
  value, unit    the best run ("812", "MB/s")
  worst          the worst run, in the same unit
  ceiling        what the figure is held against, in words, and
  ceiling_value  its best run, in ceiling_unit (default: unit)
  ratio          value against the ceiling (1.00: as fast as the ceiling)
  min_ratio      the target: ratio >= min_ratio, or
  max_value      the target: value <= max_value (a time, a share, a size)
Values stay strings as the scripts printed them; numbers are parsed only to
decide whether a target is met.
"""
import json
import sys


def add(path, pairs):
    figure = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            sys.exit(f"results.py: expected KEY=VALUE, found {pair!r}")
        figure[key] = value
    if "id" not in figure or "value" not in figure:
        sys.exit("results.py: a figure needs at least id= and value=")
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(figure) + "\n")


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def judged(figure):
    """The figure with its target in words and whether it is met."""
    f = dict(figure)
    if "min_ratio" in f:
        ratio, goal = number(f.get("ratio")), number(f["min_ratio"])
        f["target"] = f"ratio >= {f['min_ratio']}"
        f["met"] = ratio is not None and goal is not None and ratio >= goal
    elif "max_value" in f:
        value, goal = number(f.get("value")), number(f["max_value"])
        f["target"] = f"<= {f['max_value']} {f.get('unit', '')}".rstrip()
        f["met"] = value is not None and goal is not None and value <= goal
    else:
        f["target"] = "reported"
        f["met"] = None
    return f


def report(path, json_path, md_path, headers):
    with open(path, encoding="utf-8") as src:
        figures = [judged(json.loads(line)) for line in src if line.strip()]
    with open(json_path, "w", encoding="utf-8") as out:
        json.dump({"about": headers, "figures": figures}, out, indent=2)
        out.write("\n")
    lines = [f"{h}  " for h in headers]
    lines += ["", "| figure | best | worst | ceiling | ratio | target | met |",
              "|---|---|---|---|---|---|---|"]
    for f in figures:
        unit = f.get("unit", "")
        ceiling = f.get("ceiling", "")
        if f.get("ceiling_value"):
            ceiling += f" ({f['ceiling_value']} {f.get('ceiling_unit', unit)})"
        met = {True: "yes", False: "**no**", None: ""}[f["met"]]
        worst = f"{f['worst']} {unit}" if f.get("worst") else ""
        # A '|' in a cell (a shell pipeline) would end it.
        figure = f.get("figure", f["id"]).replace("|", "\\|")
        ceiling = ceiling.replace("|", "\\|")
        lines.append(f"| {figure} | {f['value']} {unit} | {worst} | "
                     f"{ceiling} | {f.get('ratio', '')} | {f['target']} | {met} |")
    with open(md_path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def main(argv):
    if len(argv) >= 3 and argv[1] == "add":
        add(argv[2], argv[3:])
    elif len(argv) >= 5 and argv[1] == "report":
        headers, rest = [], argv[5:]
        while len(rest) >= 2 and rest[0] == "--header":
            headers.append(rest[1])
            rest = rest[2:]
        if rest:
            sys.exit(f"results.py: unexpected {rest[0]!r}")
        report(argv[2], argv[3], argv[4], headers)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
