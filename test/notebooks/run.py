#!/usr/bin/python3
"""Run every lesson notebook headless, through the real tslab kernel, and judge the result.

    /usr/bin/python3 test/notebooks/run.py            (or: npm run test:notebooks)

What to run and what each run must show comes from test/notebooks/notebooks.json, the table the
browser test reads too: the check's verdict (read from the check's own JSON output, the
application/vnd.gpt2-qkv-lessons.check+json it displays beside its table), the number of plotly
figures, and texts or patterns in the outputs. Every code cell's execute reply must have status
"ok". That matters with tslab: for 200 ms after an error it aborts queued cells silently, so a run
that only counts exceptions can miss cells. A cell that writes to stderr fails too (that is where
tslab puts compile and runtime errors).

Writes, under artifacts/ (git-ignored): the executed notebooks, an HTML export where the table asks
(checked for the inlined plotly bundle and one static fallback picture per figure), and the tiny
weights file. Prints "N passed, N failed" on its own line; exits 1 on any failure.

Debian packages: jupyter-nbconvert python3-nbclient python3-ipykernel (Jupyter itself runs
under /usr/bin/python3; the kernel is tslab from node_modules).
"""
import argparse
import json
import os
import re
import struct
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLE = os.path.join(ROOT, "test", "notebooks", "notebooks.json")
RESULT_MIME = "application/vnd.gpt2-qkv-lessons.check+json"
KERNEL = "tslab-qkv"
ARTIFACTS = os.path.join(ROOT, "artifacts")

# Project-local kernel registration and a private runtime folder: nothing global is read or written.
os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [os.path.join(ROOT, "jupyter"), os.environ.get("JUPYTER_PATH")]))
if "JUPYTER_RUNTIME_DIR" not in os.environ:
    import atexit
    import shutil

    os.environ["JUPYTER_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="qkv-jupyter-runtime-")
    atexit.register(shutil.rmtree, os.environ["JUPYTER_RUNTIME_DIR"], True)
os.environ.pop("GPT2_SAFETENSORS", None)  # each run below decides; a learner's own setting must not leak in

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

def write_tiny_gpt2(path, n_embd=48, n_head=4, n_layer=2, vocab=50257, n_positions=64, seed=0):
    """A complete small GPT-2 folder in Hugging Face's layout, written independently of the kit's code.

    model.safetensors: every tensor of a 2-layer GPT-2 under HF's names (no "transformer." prefix),
    F32, Conv1D layout ([in, out]), a "__metadata__" entry, and the [1, 1, P, P] causal-mask buffers
    older exports carry ("h.{i}.attn.bias"), which loaders must skip. GPT-2's whole vocabulary, so
    any sentence tokenizes into it. config.json beside it, as in every HF model folder.
    """
    import random
    from array import array

    rng = random.Random(seed)
    C = n_embd

    def normal(shape, mean, std):
        n = 1
        for d in shape:
            n *= d
        return shape, array("f", (mean + rng.gauss(0, std) for _ in range(n)))

    tensors = {"wte.weight": normal((vocab, C), 0, 0.1), "wpe.weight": normal((n_positions, C), 0, 0.01),
               "ln_f.weight": normal((C,), 1, 0.1), "ln_f.bias": normal((C,), 0, 0.05)}
    for i in range(n_layer):
        h = f"h.{i}."
        tensors.update({
            h + "ln_1.weight": normal((C,), 1, 0.1), h + "ln_1.bias": normal((C,), 0, 0.05),
            h + "attn.c_attn.weight": normal((C, 3 * C), 0, 0.02), h + "attn.c_attn.bias": normal((3 * C,), 0, 0.02),
            h + "attn.c_proj.weight": normal((C, C), 0, 0.02), h + "attn.c_proj.bias": normal((C,), 0, 0.02),
            h + "ln_2.weight": normal((C,), 1, 0.1), h + "ln_2.bias": normal((C,), 0, 0.05),
            h + "mlp.c_fc.weight": normal((C, 4 * C), 0, 0.02), h + "mlp.c_fc.bias": normal((4 * C,), 0, 0.02),
            h + "mlp.c_proj.weight": normal((4 * C, C), 0, 0.02), h + "mlp.c_proj.bias": normal((C,), 0, 0.02),
            h + "attn.bias": ((1, 1, n_positions, n_positions), array("f", (1.0 if c <= r else 0.0 for r in range(n_positions) for c in range(n_positions)))),
        })
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        shape, values = tensors[name]
        if sys.byteorder != "little":
            values.byteswap()  # safetensors is little-endian
        data = values.tobytes()
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)
    config = {"model_type": "gpt2", "n_embd": n_embd, "n_head": n_head, "n_layer": n_layer, "n_positions": n_positions, "vocab_size": vocab}
    with open(os.path.join(os.path.dirname(path), "config.json"), "w") as f:
        json.dump(config, f)
    return path


def output_text(cell):
    """All text a cell showed: streams, text/plain and text/html of rich outputs, errors."""
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif o.get("output_type") in ("display_data", "execute_result"):
            for mime in ("text/plain", "text/html"):
                v = o.get("data", {}).get(mime)
                if isinstance(v, str) and len(v) < 200_000:
                    parts.append(v)
        elif o.get("output_type") == "error":
            parts.append(f"{o.get('ename')}: {o.get('evalue')}")
    return "\n".join(parts)


def first_line(cell):
    src = cell.get("source", "")
    return (src.splitlines() or [""])[0][:70]


def run_notebook(label, nb_path, env=None):
    """Execute one notebook. Returns (executed notebook, per-cell records, seconds)."""
    nb = nbformat.read(nb_path, as_version=4)
    replies = {}

    def on_executed(cell, cell_index, execute_reply):
        replies[cell_index] = execute_reply["content"]

    saved_env = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        client = NotebookClient(
            nb,
            kernel_name=KERNEL,
            timeout=600,
            allow_errors=True,  # we judge every cell ourselves, from its reply
            record_timing=True,
            on_cell_executed=on_executed,
            resources={"metadata": {"path": ROOT}},
        )
        t0 = time.time()
        crash = None
        try:
            client.execute()
        except Exception as err:  # a dead kernel or a cell past the timeout: this notebook fails, the run goes on
            crash = f"{type(err).__name__}: {(str(err).strip().splitlines() or [''])[0][:300]}"
        seconds = time.time() - t0
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    records = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        reply = replies.get(i)
        status = reply.get("status") if reply else "not run"
        stderr = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")
        problem = None
        if status != "ok":
            detail = f"{reply.get('ename')}: {reply.get('evalue')}" if reply and status == "error" else "(no output: tslab aborts cells queued after an error)" if status == "aborted" else ""
            problem = f"reply status {status!r} {detail} {stderr.strip()[:300]}".strip()
        elif stderr.strip():
            problem = f"wrote to stderr: {stderr.strip()[:300]}"
        records.append({"name": f"{label}: cell {i} `{first_line(cell)}`", "passed": problem is None, "message": problem or "ok"})
    if crash:
        records.append({"name": f"{label}: the kernel ran the notebook to the end", "passed": False, "message": crash})
    return nb, records, seconds


def check_result(nb):
    """The check's verdict, from the JSON it displays beside its table (None if there is none)."""
    for c in nb.cells:
        for o in c.get("outputs", []):
            data = o.get("data", {}) if o.get("output_type") == "display_data" else {}
            if RESULT_MIME in data:
                return data[RESULT_MIME]
    return None


def count_figures(nb):
    return sum(
        1
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "display_data" and "application/vnd.plotly.v1+json" in o.get("data", {})
    )


def export_html(nb, out_path):
    from nbconvert import HTMLExporter

    # The lab template links require.js and MathJax from a CDN. The lessons need neither (no
    # LaTeX, no require), and an exported lesson must open offline, so point both at empty scripts.
    exporter = HTMLExporter(require_js_url="data:text/javascript,", mathjax_url="data:text/javascript,")
    body, _ = exporter.from_notebook_node(nb)
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(body)
    return body


def judge_run(entry, run, nb, check, tiny):
    """The table's expectations for one executed notebook."""
    label = run["label"]
    text = "\n".join(output_text(c) for c in nb.cells)
    if entry["check"] is not None:
        verdict = check_result(nb)
        if verdict is None:
            check(f"{label}: the check shows its result", False, f"no {RESULT_MIME} output: did the check cell run?")
        elif entry["check"] == "pass":
            failed = [r for r in verdict["results"] if not r["passed"]]
            check(f"{label}: the check passes", verdict["passed"] and not failed,
                  "all %d checks passed" % len(verdict["results"]) if verdict["passed"] else "failed: " + "; ".join(f"{r['name']}: {r['message']}" for r in failed))
        else:
            nie = [r for r in verdict["results"] if not r["passed"] and r.get("code") == "not-implemented"]
            check(f"{label}: untouched stubs reported as 'not implemented yet'", (not verdict["passed"]) and bool(nie),
                  f"failed check: {nie[0]['name']}: {nie[0]['message'][:120]}" if nie else f"verdict: {json.dumps(verdict)[:300]}")
    figures = count_figures(nb)
    check(f"{label}: {entry['figures']} figures", figures == entry["figures"], f"{figures} figures")
    for want in run.get("expect", []):
        if "text" in want:
            needle = want["text"].replace("{tiny}", tiny)
            check(f"{label}: shows {want['text']!r}", needle in text, "found" if needle in text else "not in the outputs")
        else:
            found = re.findall(want["regex"], text, re.M)
            check(f"{label}: {want['count']} lines like /{want['regex']}/", len(found) == want["count"],
                  "; ".join(" ".join(m) if isinstance(m, tuple) else m for m in found)[:300] or "none")
    if run.get("exportHtml"):
        name = os.path.splitext(entry["file"])[0]
        html = export_html(nb, os.path.join(ARTIFACTS, "html", f"{name}.html"))
        n_bundle = html.count("data-qkv-plotly=")
        n_fallback = html.count('class="qkv-fallback"')
        cdn = re.findall(r"<script[^>]+src=\"https?://[^\"]+", html)
        leftovers = [m for m in ("QKV_CHECK_RESULT", "added by") if m in html]
        want_bundle = 1 if entry["figures"] else 0
        check(f"{label}: HTML export inlines plotly {want_bundle}×, one static fallback per figure, no CDN, nothing the runner added",
              n_bundle == want_bundle and n_fallback == entry["figures"] and not cdn and not leftovers,
              f"plotly bundle {n_bundle}×, fallbacks {n_fallback}, remote scripts {cdn[:2]}, runner leftovers {leftovers} ({len(html) / 1e6:.1f} MB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="run only the notebooks whose label contains this")
    args = parser.parse_args()

    with open(TABLE, encoding="utf-8") as f:
        table = json.load(f)["notebooks"]
    nbdir = os.path.join(ROOT, "notebooks")
    out_nb = os.path.join(ARTIFACTS, "notebooks")
    os.makedirs(out_nb, exist_ok=True)
    tiny = os.path.join(ARTIFACTS, "tiny-gpt2", "model.safetensors")

    listed = {e["file"] for e in table}
    on_disk = {f for f in os.listdir(nbdir) if f.endswith(".ipynb")}
    results = [{"name": "every notebook in notebooks/ is in the table", "passed": listed == on_disk,
                "message": "ok" if listed == on_disk else f"not in the table: {sorted(on_disk - listed)}; missing on disk: {sorted(listed - on_disk)}"}]
    timings = []

    def check(name, ok, message):
        results.append({"name": name, "passed": bool(ok), "message": message})

    for entry in table:
        for run in entry["runs"]:
            label = run["label"]
            if args.only and args.only not in label:
                continue
            env = {k: v.replace("{tiny}", tiny) for k, v in run.get("env", {}).items()}
            if any("{tiny}" in v for v in run.get("env", {}).values()):
                write_tiny_gpt2(tiny)
            print(f"--- {label}: running {entry['file']} ...", flush=True)
            path = os.path.join(nbdir, entry["file"])
            nb, records, seconds = run_notebook(label, path, env)
            # tslab's own compiler watcher throws "Unexpected pending rebuildTimer" when a file it
            # watches changes on disk mid-run (an editor saving lib/ while the kernel works). That is
            # not the notebook's fault: run it once more, and say so.
            if any("rebuildTimer" in r["message"] for r in records):
                print(f"RETRY {label}: tslab reported 'Unexpected pending rebuildTimer' (a watched file changed during the run); running it again", flush=True)
                nb, records, seconds = run_notebook(label, path, env)
            timings.append((label, seconds))
            results.extend(records)
            slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
            nbformat.write(nb, os.path.join(out_nb, f"{slug}.ipynb"))
            if run.get("saved"):
                nbformat.write(nb, os.path.join(out_nb, "saved-" + entry["file"]))
            judge_run(entry, run, nb, check, tiny)

    print()
    for r in results:
        mark = "PASS" if r["passed"] else "FAIL"
        print(f"{mark}  {r['name']}" + ("" if r["passed"] and r["message"] == "ok" else f"  -- {r['message']}"))
    print()
    for label, seconds in timings:
        print(f"time  {label}: {seconds:.1f} s")
    n_pass = sum(r["passed"] for r in results)
    n_fail = len(results) - n_pass
    print(f"{n_pass} passed, {n_fail} failed")
    return 1 if n_fail or not results else 0


if __name__ == "__main__":
    sys.exit(main())
