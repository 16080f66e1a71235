#!/usr/bin/env python3
"""Rewrites the README's conformance tables from the verdicts TransformersConformanceTest writes.

usage: mvn -o -q test -Dtest=TransformersConformanceTest && python3 src/test/resources/conformance/conformance_table.py
Reads target/conformance/verdicts-VERSION.jsonl for every transformers-VERSION folder of the references (newest
first) and replaces the text between the README's conformance markers with one table per version, and rewrites
src/main/resources/org/ropeforge/config/conformance-model-types.txt, the model types the resolution reports as
known, from the same verdicts (every model type of the references of any version).
"""
import collections
import json
import os
import sys

BEGIN, END = "<!-- conformance-table:begin -->", "<!-- conformance-table:end -->"
REFERENCES = "src/test/resources/conformance"
MODEL_TYPES = "src/main/resources/org/ropeforge/config/conformance-model-types.txt"


def version_key(v):
    return tuple(int(p) for p in v.split("."))


versions = sorted((d[len("transformers-"):] for d in os.listdir(REFERENCES) if d.startswith("transformers-")),
                  key=version_key, reverse=True)
sections, model_types = [], set()
for version in versions:
    verdicts = [json.loads(l) for l in open(f"target/conformance/verdicts-{version}.jsonl")]
    model_types |= {v["model_type"] for v in verdicts}
    forms = list(dict.fromkeys(v["form"] for v in verdicts))
    count = collections.Counter((v["form"], v["outcome"]) for v in verdicts)
    refused = collections.defaultdict(list)
    for v in verdicts:
        if v["outcome"] == "refused":
            refused[v["model_type"]].append(v["form"])
    lines = [f"transformers {version}:", "",
             "| form | model types | matched | refused | refused share | listed in known-differences.txt "
             "| silently different |",
             "|---|---|---|---|---|---|---|"]
    for f in forms:
        total = sum(count[(f, o)] for o in ("matched", "refused", "different"))
        lines.append(f"| {f} | {total} | {count[(f, 'matched')]} | {count[(f, 'refused')]} | "
                     f"{100.0 * count[(f, 'refused')] / total:.1f}% | "
                     f"{count[(f, 'different')]} | 0 |")
    lines += ["", "Refused model types, with the forms in which they are refused:", ""]
    for mt in sorted(refused):
        fs = refused[mt]
        lines.append(f"- `{mt}`: {'all forms' if len(fs) == len(forms) else ', '.join(fs)}")
    sections.append("\n".join(lines))
table = "\n\n".join(sections)
readme = open("README.md").read()
start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
open("README.md", "w").write(readme[:start] + "\n" + table + "\n" + readme[end:])
print(table, file=sys.stderr)

with open(MODEL_TYPES, "w") as f:
    f.write("# model_type values of the conformance references for transformers "
            + " and ".join(versions) + ", generated from them: every\n"
            "# value in src/test/resources/conformance/transformers-*/*.jsonl.gz, one a line, sorted. Regenerate with\n"
            "# conformance_table.py after regenerating the references.\n")
    f.write("\n".join(sorted(model_types)) + "\n")
