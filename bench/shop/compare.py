"""Prints schemathesis' and cargo commerce contracts test's findings side by side.

    python3 bench/shop/compare.py SCRATCH_DIR SCHEMATHESIS_SECONDS OURS_SECONDS
"""

import collections
import glob
import json
import re
import sys
import xml.etree.ElementTree as ET

scratch, st_seconds, ours_seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])

# schemathesis: one JUnit testcase per operation, its failures in the failure text.
st = collections.defaultdict(list)
for path in glob.glob(f"{scratch}/schemathesis/*.xml"):
    for case in ET.parse(path).getroot().iter("testcase"):
        for failure in list(case.findall("failure")) + list(case.findall("error")):
            text = (failure.get("message") or "") + "\n" + (failure.text or "")
            titles = re.findall(r"^\s*(?:- |\d+\. )?([A-Z][^\n]{3,80})$", text, re.M) or [text.strip()[:80]]
            st[case.get("name")].append(titles[0].strip())
ours = collections.defaultdict(list)
try:
    report = json.load(open(f"{scratch}/contracts.json"))
    for diagnostic in report["diagnostics"]:
        operation = diagnostic.get("data", {}).get("operation") or diagnostic["message"].split(":")[0]
        ours[operation].append(f"{diagnostic['rule']}: {diagnostic['message'][:100]}")
except (OSError, ValueError, KeyError) as error:
    print(f"contracts test gave no JSON report ({error}); see {scratch}/contracts.err")

print(f"\n{'tool':<34}{'wall s':>8}{'findings':>10}")
print(f"{'schemathesis (--checks all)':<34}{st_seconds:>8.1f}{sum(map(len, st.values())):>10}")
print(f"{'cargo commerce contracts test':<34}{ours_seconds:>8.1f}{sum(map(len, ours.values())):>10}")
print("\nschemathesis findings by operation:")
for operation, titles in sorted(st.items()):
    for title, count in collections.Counter(titles).most_common():
        print(f"  {operation}: {count}x {title}")
print("\ncargo commerce contracts test findings by operation:")
for operation, messages in sorted(ours.items()):
    for message in messages:
        print(f"  {operation}: {message}")
print(f"\nfull outputs: {scratch}/schemathesis.txt, {scratch}/contracts.json")
