#!/usr/bin/env python3
"""Writes crates/api/model/stepfunctions-constraints.json: the request shapes of the AWS Step
Functions API model, with only what request validation needs (types, required members, length
and value ranges, enums, patterns). Run it when the model in ../shared/spec changes:

    python3 scripts/trim-model.py ../shared/spec/stepfunctions-service-2.json
"""
import json
import sys

model = json.load(open(sys.argv[1]))
keep = ("type", "required", "min", "max", "enum", "pattern", "member", "key", "value")
shapes = {}
for name, shape in model["shapes"].items():
    trimmed = {k: v for k, v in shape.items() if k in keep}
    if "members" in shape:
        trimmed["members"] = {m: {"shape": s["shape"]} for m, s in shape["members"].items()}
    if "member" in shape:
        trimmed["member"] = {"shape": shape["member"]["shape"]}
    shapes[name] = trimmed
operations = {
    name: {
        "input": op.get("input", {}).get("shape"),
        "output": op.get("output", {}).get("shape"),
        "errors": [e["shape"] for e in op.get("errors", [])],
    }
    for name, op in model["operations"].items()
}
out = {"metadata": model["metadata"], "operations": operations, "shapes": shapes}
with open("crates/api/model/stepfunctions-constraints.json", "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
