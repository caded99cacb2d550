#!/usr/bin/env python3
"""Checks the folder-level include graph: every #include "..." between the project's folders
must point down the layers (or stay in its folder), so the folder layout is the architecture.
Prints the graph with line counts per folder; exits 1 naming any import that runs back up."""
import os
import re
import sys
from collections import defaultdict

# Lowest first. Folders on one layer may not include each other; a folder may include itself.
LAYERS = [
    ["harness/errors"],
    ["harness/os"],
    ["harness/redis"],
    ["harness/measure", "harness/model", "harness/workload"],
    ["harness/produce", "harness/consume", "harness/verify"],
    ["harness/run"],
    ["chaos", "reports"],
    ["harness/cli"],
]
# Same-layer edges that are part of the design: a workload's fault aims at a consumer window,
# which the model defines.
ALLOWED_SIDEWAYS = {("harness/workload", "harness/model")}

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
layer_of = {folder: i for i, layer in enumerate(LAYERS) for folder in layer}


def folder_of(path):
    if path.startswith("harness/errors"):
        return "harness/errors"
    parts = path.split("/")
    return "/".join(parts[:2]) if parts[0] == "harness" else parts[0]


edges = defaultdict(int)
lines = defaultdict(int)
files = defaultdict(int)
for top in ("harness", "chaos", "reports"):
    for directory, _, names in os.walk(os.path.join(root, top)):
        for name in names:
            if not name.endswith((".cpp", ".hpp")):
                continue
            path = os.path.relpath(os.path.join(directory, name), root)
            source = folder_of(path)
            with open(os.path.join(root, path)) as handle:
                text = handle.read()
            lines[source] += text.count("\n")
            files[source] += 1
            for included in re.findall(r'#include "([^"]+)"', text):
                target = folder_of(included)
                if target != source:
                    edges[(source, target)] += 1

problems = []
for (source, target), count in sorted(edges.items()):
    if source not in layer_of or target not in layer_of:
        problems.append(f"{source} -> {target}: a folder outside the layers")
    elif layer_of[target] > layer_of[source]:
        problems.append(f"{source} -> {target}: runs back up ({count} includes)")
    elif layer_of[target] == layer_of[source] and (source, target) not in ALLOWED_SIDEWAYS:
        problems.append(f"{source} -> {target}: sideways on one layer ({count} includes)")

for layer in reversed(LAYERS):
    for folder in layer:
        targets = sorted({t for (s, t) in edges if s == folder})
        print(f"{folder:18} {files[folder]:3} files {lines[folder]:6} lines -> {', '.join(targets)}")
for problem in problems:
    print("LAYERING:", problem)
sys.exit(1 if problems else 0)
