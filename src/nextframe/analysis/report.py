"""`report.html` of `nextframe benchmark`: one self-contained page a researcher can read alone. A summary in plain
words (who is best on each measure, by how much, at what cost, and what the numbers cannot be compared with), real
HTML tables with the best value of each column marked and the cost beside the quality, then the figures, embedded.
The numbers are the rows `analysis.benchmark.measure` wrote; nothing here measures anything.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

from nextframe.files import atomic_path

REFERENCE = ("copy-last", "blank")  # the rows that learn nothing (`analysis.baselines`)

# key, column header, format, which way is better (None: not a quality)
QUALITY = (
    ("crps", "CRPS", "{:.4f}", "low"),
    ("psnr_best", "PSNR best of K (dB)", "{:.2f}", "high"),
    ("psnr_mean", "PSNR mean of K (dB)", "{:.2f}", "high"),
    ("ssim_best", "SSIM best of K", "{:.3f}", "high"),
    ("ssim_mean", "SSIM mean of K", "{:.3f}", "high"),
    ("video_psnr_best", "PSNR best of K per video (dB)", "{:.2f}", "high"),
    ("ssim_video_best", "SSIM best of K per video", "{:.3f}", "high"),
    ("fvd", "FVD", "{:.1f}", "low"),
)
COST = (
    ("evaluations_per_frame", "network evaluations per frame", "{:g}", "low"),
    ("seconds_per_frame", "seconds per frame", "{:.4f}", "low"),
    ("training_minutes", "training CPU-minutes", "{:g}", None),
)
STYLE = """
body { font-family: sans-serif; max-width: 1100px; margin: 1em auto; padding: 0 1em; line-height: 1.4; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
tr.reference td { color: #666; background: #f6f6f6; }
td.best { font-weight: bold; background: #e4f4e4; }
img { max-width: 100%; height: auto; }
p.note { color: #444; font-size: 0.9em; }
"""


def training_minutes(row: dict) -> float | None:
    """CPU-minutes of training behind a row's weights: the last point of its curve, or its weights' metadata; 0 for
    the reference rows; None where the weights do not say."""
    if row["name"] in REFERENCE or row.get("method") in REFERENCE:
        return 0.0
    if row.get("curve"):
        return round(float(row["curve"][-1]["minutes"]), 1)
    try:
        from nextframe.models.files import model_metadata

        minutes = model_metadata(row["model"]).get("total_minutes")
    except Exception:  # a checkpoint or a missing file: the cost is not known
        return None
    return None if minutes is None else round(float(minutes), 1)


def _value(row: dict, key: str):
    value = training_minutes(row) if key == "training_minutes" else row.get(key)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _best(rows: list[dict], key: str, better: str | None):
    """The best value of a column; for a cost, among the methods that learn (a reference row costs nothing)."""
    if better is None:  # not a quality to rank (training minutes): nothing to read
        return None
    if key in {k for k, *_ in COST}:
        rows = [r for r in rows if r["name"] not in REFERENCE]
    known = [v for v in (_value(r, key) for r in rows) if v is not None]
    if not known:
        return None
    return min(known) if better == "low" else max(known)


def _table(rows: list[dict], columns) -> str:
    head = "".join(
        f"<th>{html.escape(label)}{' ↓' if b == 'low' else ' ↑' if b == 'high' else ''}</th>"
        for _, label, _, b in columns
    )
    bests = [_best(rows, key, better) for key, _, _, better in columns]  # once per column, not per cell
    body = []
    for r in rows:
        cells = []
        for (key, _, fmt, _), top in zip(columns, bests):
            v = _value(r, key)
            best = v is not None and v == top
            cells.append(f"<td{' class=best' if best else ''}>{'—' if v is None else fmt.format(v)}</td>")
        kind = " class=reference" if r["name"] in REFERENCE else ""
        body.append(
            f"<tr{kind}><td>{html.escape(r['name'])} <small>({html.escape(str(r['method']))})</small></td>{''.join(cells)}</tr>"
        )
    return f"<div class=scroll><table><tr><th>name (method)</th>{head}</tr>{''.join(body)}</table></div>"


def _text_table(rows: list[dict], columns: list[str], cells) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        f"<tr{' class=reference' if r['name'] in REFERENCE else ''}><td>{html.escape(r['name'])}</td>"
        + "".join(f"<td class=text>{html.escape(text[c])}</td>" for c in columns)
        + "</tr>"
        for r, text in ((r, cells(r)) for r in rows)  # a row's cells once, not once per column
    )
    return f"<div class=scroll><table><tr><th>name</th>{head}</tr>{body}</table></div>"


def summary(rows: list[dict], settings) -> list[str]:
    """The page's first paragraphs: who is best on each measure, by how much, at what cost; what is not comparable."""
    learned = [r for r in rows if r["name"] not in REFERENCE]
    refs = {r["name"]: r["crps"] for r in rows if r["name"] in REFERENCE}
    said = []
    if learned:
        ranked = sorted(learned, key=lambda r: r["crps"])
        top = ranked[0]
        line = f"Lowest CRPS: {top['name']} ({top['crps']:.4f}"
        line += f" ± {top['crps_se']:.4f} standard error over clips)" if top.get("crps_se") else ")"
        if len(ranked) > 1:
            second = ranked[1]
            line += f", {second['crps'] - top['crps']:.4f} below the next, {second['name']} ({second['crps']:.4f})"
        said.append(line + ".")
        if refs:
            floor = min(refs.values())
            below = [r["name"] for r in ranked if r["crps"] < floor]
            above = [r["name"] for r in ranked if r["crps"] >= floor]
            refs_text = " and ".join(f"{k} {v:.4f}" for k, v in refs.items())
            said.append(
                f"Below both reference rows that learn nothing ({refs_text}): {', '.join(below) or 'none'}"
                + (f"; not below them: {', '.join(above)}." if above else ".")
            )
        for key, label, fmt, better in QUALITY[1:]:
            best = _best(learned, key, better)
            if best is None:
                continue
            who = [r["name"] for r in learned if _value(r, key) == best]
            said.append(
                f"{'Highest' if better == 'high' else 'Lowest'} {label}: {', '.join(who)} ({fmt.format(best)})."
            )
        cost = {r["name"]: (r["seconds_per_frame"], r["evaluations_per_frame"], training_minutes(r)) for r in learned}
        s, e, m = cost[top["name"]]
        cheapest = min(learned, key=lambda r: r["seconds_per_frame"])
        line = f"Cost of the lowest CRPS: {e:g} network evaluations and {s:.3f} s per generated frame"
        line += f", after {m:g} CPU-minutes of training" if m is not None else ""
        if cheapest["name"] != top["name"] and cheapest["seconds_per_frame"] > 0:
            line += (
                f"; the cheapest learned method per frame, {cheapest['name']}, takes {cheapest['seconds_per_frame']:.3f} s "
                f"({s / cheapest['seconds_per_frame']:.0f}x less) at CRPS {cheapest['crps']:.4f}"
            )
        said.append(line + ".")
        decided = [r for r in learned if r.get("decisions")]
        if decided:
            best = max(decided, key=lambda r: r["decisions"]["larger_share"])
            d = best["decisions"]
            said.append(
                f"Occlusions (Moving Leaves): the larger disk is in front in {d['larger_share']:.0%} of {best['name']}'s "
                f"samples at held-out collisions, the most of any method (smaller in front {d['smaller_share']:.0%}, "
                "neither the rest); a perfect sampler scores about 95% on the same instrument (nextframe experiment "
                "decisions prints the oracle beside a model)."
            )
    fvd = next((r for r in rows if r.get("fvd") is not None), None)
    if fvd is None:
        said_fvd = "FVD was not computed. "
    else:
        count, floor = fvd.get("fvd_videos", fvd["clips"]), fvd.get("fvd_floor")
        said_fvd = (
            f"FVD here is over {count} videos"
            + (
                f"; two halves of the real videos score {floor:.1f} against each other: the floor of the measure at "
                "half this count, which the floor at the full count is below (FVD's bias falls as the count grows), so "
                "a model can score under it; rows closer than the floor's own noise are not told apart"
                if floor
                else ""
            )
            + (
                "; published FVDs use 256 or more videos, and with fewer the estimate is biased upward and noisy, so "
                "compare FVD only between rows of this page. "
                if count < 256
                else "; at 256 videos on the original FVD code's resize grid it compares with MCVD's published tables "
                "(same count, same frames: context + predicted). "
            )
        )
    said.append(
        "Not comparable, and why: "
        + said_fvd
        + f"Best-of-K PSNR and SSIM take the best of the K = {settings.samples} samples frame by frame (different frames "
        "from different samples), which flatters a method with many diverse samples; the per-video columns keep one "
        "sample for the whole video (MCVD's protocol), and the gap between the two shows how much; CRPS scores the "
        "whole set of samples. Seconds per frame were measured in this run on this machine, under whatever else it "
        "was running. "
        "Training CPU-minutes differ from method to method (each was trained in its own stages), so read each quality "
        "beside its cost."
    )
    return said


def write_html(out: Path, rows: list[dict], settings, note: str, leaves_cells, leaves_columns, images) -> Path:
    """One file: the summary, the quality and cost tables (the Moving Leaves columns too, when measured), the
    learning curves' and the other figures embedded as base64 (no external files)."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>",
        f"<title>nextframe benchmark</title><style>{STYLE}</style></head><body>",
        "<h1>nextframe benchmark</h1>",
        "<h2>Summary</h2>",
        *[f"<p>{html.escape(line)}</p>" for line in summary(rows, settings)],
        "<h2>Quality</h2>",
        _table(rows, QUALITY),
        "<h2>Cost</h2>",
        _table(rows, COST),
    ]
    if leaves_columns:
        parts += ["<h2>Occlusions and sharpness (Moving Leaves)</h2>", _text_table(rows, leaves_columns, leaves_cells)]
    parts.append(
        f"<p class=note>{html.escape(note)} Marked: the best value of each column (↓ lower is better, ↑ higher); grey "
        "rows learn nothing.</p>"
    )
    for name in images:
        encoded = base64.b64encode((out / name).read_bytes()).decode()
        parts.append(
            f"<h2>{html.escape(name)}</h2><img alt='{html.escape(name)}' src='data:image/png;base64,{encoded}'>"
        )
    # a reader (and tests/test_benchmark.py, in headless Chromium) can see that every image decoded
    parts.append(
        "<script>window.addEventListener('load', () => { const im = [...document.images]; "
        "document.body.dataset.imagesLoaded = im.filter(i => i.complete && i.naturalWidth > 0).length + '/' + "
        "im.length; document.body.dataset.scrollWidth = document.documentElement.scrollWidth; "
        "document.body.dataset.clientWidth = document.documentElement.clientWidth; });</script>"
    )
    parts.append("</body></html>")
    with atomic_path(out / "report.html") as tmp:
        tmp.write_text("\n".join(parts))
    return out / "report.html"
