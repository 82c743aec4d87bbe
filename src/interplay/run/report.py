"""A self-contained report.html (no network: images inlined, no scripts from outside)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from interplay.run.context import Section

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1d2330;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #dde;padding-bottom:.2em}
.meta{color:#667;font-size:.9em} table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #d6d9e0;padding:.25em .6em;text-align:right} th{background:#f1f3f8}
td:first-child,th:first-child{text-align:left} figure{margin:1em 0} figcaption{color:#556;font-size:.9em}
img{max-width:100%} pre{background:#f6f7fa;padding:.6em;overflow:auto;font-size:.85em}
.note{color:#556;font-size:.88em} .msg{border-left:3px solid #8aa4d6;margin:.35em 0;padding:.2em .6em;background:#f8f9fc}
.msg .who{font-weight:600} .msg .to{color:#667;font-size:.85em} .msg.private{border-color:#c9a227}
.msg.flagged{border-color:#d0463b;background:#fdf3f2} .msg.blocked{border-color:#d0463b;background:#f7dcd9;text-decoration:line-through}
.badge{display:inline-block;font-size:.75em;border-radius:3px;padding:0 .35em;margin-left:.3em;background:#e6e9f2;color:#334}
.badge.flag{background:#f3c7c2;color:#7a1d14} details{margin:.5em 0} summary{cursor:pointer;font-weight:600}
.toc a{margin-right:1em}
.msg.fallback{border-color:#e08a00;background:#fff4e0} .badge.fallback{background:#f5c26b;color:#5a3800}
.badge.unparsed{background:#d9d9d9;color:#333}
.warning{border:2px solid #e08a00;background:#fff4e0;padding:.4em .8em;margin:.6em 0}
"""


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, list | dict):
        return html.escape(json.dumps(x))
    return html.escape(str(x))


def _table(payload: dict[str, Any]) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in payload["columns"])
    body = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>" for row in payload["rows"])
    note = f"<p class='note'>{html.escape(payload['note'])}</p>" if payload.get("note") else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


def _figure(run_dir: Path, payload: dict[str, Any]) -> str:
    path = run_dir / payload["file"]
    data = base64.b64encode(path.read_bytes()).decode() if path.exists() else ""
    cap = f"<figcaption>{html.escape(payload.get('caption', ''))}</figcaption>" if payload.get("caption") else ""
    return f"<figure><img alt='{html.escape(payload['file'])}' src='data:image/png;base64,{data}'>{cap}</figure>"


def render_message(m: dict[str, Any]) -> str:
    """One message of a transcript: sender, recipients, text, and any flags."""
    who = m.get("sender", m.get("who", m.get("role", "?")))
    to = m.get("to", m.get("recipients", m.get("visibility", "")))
    if isinstance(to, list):
        to = ", ".join(map(str, to))
    flags = m.get("flags") or []
    classes = ["msg"]
    if m.get("visibility") in ("private", "judge") or m.get("private"):
        classes.append("private")
    if flags:
        classes.append("flagged")
    if m.get("blocked"):
        classes.append("blocked")
    if m.get("fallback"):
        classes.append("fallback")
    badges = ""
    for key in ("round", "turn", "action", "answer", "model"):
        if m.get(key) is not None:
            badges += f"<span class='badge'>{key}: {html.escape(str(m[key]))}</span>"
    if m.get("fallback"):  # the move was the agent's declared fallback, not the model's answer
        why = html.escape(str(m.get("reason") or "fallback"), quote=True)
        badges += f"<span class='badge fallback' title='{why}'>FALLBACK move (not the model's)</span>"
    if m.get("invalid"):
        inv = m["invalid"]
        label = f"{inv} invalid answer(s)" if isinstance(inv, int) else f"invalid: {inv}"
        badges += f"<span class='badge fallback'>{html.escape(label)}</span>"
    if m.get("unparsed"):  # an answer that was not scored (cut off, empty, only the question...)
        badges += f"<span class='badge unparsed'>unparsed: {html.escape(str(m['unparsed']))}</span>"
    for f in flags:
        label = f.get("monitor", f) if isinstance(f, dict) else f
        badges += f"<span class='badge flag'>{html.escape(str(label))}</span>"
    text = html.escape(str(m.get("text", m.get("content", ""))))
    if m.get("fallback") and m.get("reason"):
        text += f"<div class='note'>{html.escape(str(m['reason']))}</div>"
    arrow = f" <span class='to'>&rarr; {html.escape(str(to))}</span>" if to else ""
    return f"<div class='{' '.join(classes)}'><span class='who'>{html.escape(str(who))}</span>{arrow}{badges}<div>{text}</div></div>"


def _transcript(payload: dict[str, Any], limit: int = 400) -> str:
    msgs = payload.get("messages", [])
    shown = "".join(render_message(m) for m in msgs[:limit])
    more = f"<p class='note'>{len(msgs) - limit} more in {payload['file']}</p>" if len(msgs) > limit else ""
    return f"<details open><summary>{len(msgs)} messages ({html.escape(payload['file'])})</summary>{shown}{more}</details>"


def write_report(run_dir: Path, title: str, sections: list[Section], meta: dict[str, Any]) -> Path:
    """Write report.html into ``run_dir`` and return its path."""
    parts = []
    toc = []
    for k, s in enumerate(sections):
        anchor = f"s{k}"
        toc.append(f"<a href='#{anchor}'>{html.escape(s.title)}</a>")
        if s.kind == "table":
            inner = _table(s.payload)
        elif s.kind == "figure":
            inner = _figure(run_dir, s.payload)
        elif s.kind == "transcript":
            inner = _transcript(s.payload)
        else:
            text = s.payload.get("text", "")
            inner = text if s.payload.get("html") else f"<p>{html.escape(text).replace(chr(10), '<br>')}</p>"
        parts.append(f"<section id='{anchor}'><h2>{html.escape(s.title)}</h2>{inner}</section>")
    meta_line = " &middot; ".join(f"{html.escape(str(k))}: {html.escape(str(v))}" for k, v in meta.items())
    doc = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='meta'>{meta_line}</p>"
        f"<p class='toc'>{''.join(toc)}</p>{''.join(parts)}</body></html>"
    )
    path = run_dir / "report.html"
    path.write_text(doc)
    return path
