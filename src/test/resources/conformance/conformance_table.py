#!/usr/bin/env python3
"""Rewrites the README's conformance table from the verdicts TransformersConformanceTest writes.

usage: mvn -o -q test -Dtest=TransformersConformanceTest && python3 src/test/resources/conformance/conformance_table.py
Reads target/conformance/verdicts.jsonl and replaces the text between the README's conformance markers, and
rewrites src/main/resources/org/ropeforge/config/conformance-model-types.txt, the model types the resolution reports
as known, from the same verdicts (every model type of the references).
"""
import collections
import json
import sys

BEGIN, END = "<!-- conformance-table:begin -->", "<!-- conformance-table:end -->"
verdicts = [json.loads(l) for l in open("target/conformance/verdicts.jsonl")]
forms = list(dict.fromkeys(v["form"] for v in verdicts))
count = collections.Counter((v["form"], v["outcome"]) for v in verdicts)
refused = collections.defaultdict(list)
for v in verdicts:
    if v["outcome"] == "refused":
        refused[v["model_type"]].append(v["form"])
lines = ["| form | model types | matched | refused | known numeric differences (2-3 ulps) | silently different |",
         "|---|---|---|---|---|---|"]
for f in forms:
    total = sum(count[(f, o)] for o in ("matched", "refused", "scaled_rows", "different"))
    lines.append(f"| {f} | {total} | {count[(f, 'matched')]} | {count[(f, 'refused')]} | "
                 f"{count[(f, 'scaled_rows')] + count[(f, 'different')]} | 0 |")
lines += ["", "Refused model types, with the forms in which they are refused:", ""]
for mt in sorted(refused):
    fs = refused[mt]
    lines.append(f"- `{mt}`: {'all forms' if len(fs) == len(forms) else ', '.join(fs)}")
table = "\n".join(lines)
readme = open("README.md").read()
start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
open("README.md", "w").write(readme[:start] + "\n" + table + "\n" + readme[end:])
print(table, file=sys.stderr)

MODEL_TYPES = "src/main/resources/org/ropeforge/config/conformance-model-types.txt"
version = "5.17.0"
with open(MODEL_TYPES, "w") as f:
    f.write(f"# model_type values of the conformance references for transformers {version}, generated from them: every value\n"
            "# in src/test/resources/conformance/transformers-5.17.0/*.jsonl.gz, one a line, sorted. Regenerate with\n"
            "# conformance_table.py after regenerating the references.\n")
    f.write("\n".join(sorted({v["model_type"] for v in verdicts})) + "\n")
