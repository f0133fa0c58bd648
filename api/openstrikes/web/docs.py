"""GET /docs: an HTML reference generated from the OpenAPI text, with a small "try it" form per
operation. Self-contained (inline CSS and script, no CDN): it works offline."""

from __future__ import annotations

import html
from typing import Any

from flask import Blueprint, Response
from flask_smorest import Api

from openstrikes.index.filters import FILTERS, SORT_OPTIONS
from openstrikes.index.params import ParamSet, docs_rows

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:13px ui-monospace,monospace;background:#f4f4f4;padding:0 .2rem}
pre{padding:.5rem;overflow:auto;max-height:25rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .4rem;
vertical-align:top;text-align:left}section{border-top:2px solid #eee;margin-top:1.5rem}
.m{font-weight:bold;color:#fff;background:#276;padding:.05rem .4rem;border-radius:3px}.post{background:#742}
form input{font:13px ui-monospace,monospace;width:60%}
"""
SCRIPT = """
function tryIt(f){var p=f.dataset.path,q=[];f.querySelectorAll('input[data-p]').forEach(function(i){
 if(i.dataset.in==='path'){p=p.replace('{'+i.dataset.p+'}',encodeURIComponent(i.value))}
 else if(i.value){q.push(encodeURIComponent(i.dataset.p)+'='+encodeURIComponent(i.value))}});
 var url=p+(q.length?'?'+q.join('&'):''),out=f.querySelector('pre');out.textContent='GET '+url+' ...';
 fetch(url).then(function(r){return r.text().then(function(t){
  try{t=JSON.stringify(JSON.parse(t),null,2)}catch(e){}
  out.textContent=r.status+' '+r.statusText+'  GET '+url+'\\n\\n'+t.slice(0,20000)})}).catch(function(e){
  out.textContent=String(e)});return false}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def render(spec: dict[str, Any], params: ParamSet) -> str:
    """The HTML reference of an OpenAPI document, with the filter table of `params`."""
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        f"<title>{_e(spec['info']['title'])} reference</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(spec['info']['title'])} <small>{_e(spec['info']['version'])}</small></h1>",
        f"<p>{_e(spec['info'].get('description', ''))}</p>",
        "<p>Machine-readable: <a href='/openapi.json'>/openapi.json</a> (OpenAPI 3.1).</p>",
        "<p>What every field and code of the data means: the <a href='/docs/codebook'>codebook</a> "
        "(<a href='/docs/codebook.md'>Markdown</a>).</p>",
        "<h2>Event filters</h2><p>Declared once (the same table makes the SQL, the validation and "
        "this page). Unknown parameters are a 400 that names them; bad values a 422. Sorts: "
        + ", ".join(f"<code>{_e(s)}</code>" for s in SORT_OPTIONS)
        + ".</p><table><tr><th>parameter</th><th>value</th><th>meaning</th></tr>",
    ]
    for name, rule, desc in docs_rows(params.events):
        out.append(
            f"<tr><td id='p-{_e(name)}'><code>{_e(name)}</code></td><td>{_e(rule)}</td><td>{_e(desc)}</td></tr>"
        )
    out.append("</table><p>Aggregates take the same filters plus:</p><table>")
    for name, rule, desc in docs_rows(params.aggregates[len(params.aggregates) - 1 :]):
        out.append(f"<tr><td><code>{_e(name)}</code></td><td>{_e(rule)}</td><td>{_e(desc)}</td></tr>")
    out.append("</table><h2>Operations</h2>")
    for path, ops in spec.get("paths", {}).items():
        shared = ops.get("parameters", [])
        for method, op in ops.items():
            if method == "parameters":
                continue
            params = shared + op.get("parameters", [])
            cls = "m post" if method == "post" else "m"
            out.append(
                f"<section><h3><span class='{cls}'>{method.upper()}</span> <code>{_e(path)}</code></h3>"
            )
            out.append(f"<p><b>{_e(op.get('summary', ''))}</b> {_e(op.get('description', ''))}</p>")
            if params:
                out.append("<details><summary>parameters</summary><table>")
                for p in params:
                    out.append(
                        f"<tr><td><code>{_e(p['name'])}</code> ({_e(p['in'])})</td>"
                        f"<td>{_e(p.get('description', ''))}</td></tr>"
                    )
                out.append("</table></details>")
            codes = ", ".join(str(c) for c in op.get("responses", {}))
            out.append(f"<p>Responses: {_e(codes)}</p>")
            if method == "get":
                out.append(f"<form data-path='{_e(path)}' onsubmit='return tryIt(this)'>")
                for p in params:
                    if p["in"] == "path" or (
                        path == "/v1/events" and p["name"] in ("country", "page_size", "sort", "q")
                    ):
                        out.append(
                            f"<label>{_e(p['name'])} <input data-p='{_e(p['name'])}' data-in='{_e(p['in'])}'></label><br>"
                        )
                out.append("<button>try it</button><pre></pre></form>")
            out.append("</section>")
    out.append(f"<script>{SCRIPT}</script></body></html>")
    return "".join(out)


def docs_blueprint(api: Api, params: ParamSet) -> Blueprint:
    """The /docs route, rendered once from the API's spec."""
    bp = Blueprint("docs", __name__)
    cache: dict[str, bytes] = {}

    @bp.get("/docs")
    def docs() -> Response:
        if "page" not in cache:
            cache["page"] = render(api.spec.to_dict(), params).encode("utf-8")
        return Response(cache["page"], mimetype="text/html")

    assert FILTERS  # the reference lists every filter of the table
    return bp
