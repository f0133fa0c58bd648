/* The OpenStrikes explorer: a client of the public /v1 API. Every filter and the map view live in
   the URL (a link reproduces the view; back and forward work). No framework: Leaflet draws the map,
   the timeline is hand-written SVG. */
"use strict";
(function () {
  const root = document.getElementById("main");
  const API = root.dataset.api;            // "/v1" or "/v1/releases/X"
  const PREFIX = root.dataset.prefix;      // "" or "/releases/X"
  const TILE = root.dataset.tile;
  const FILTERS = ["date_start__gte", "date_start__lte", "country", "water_body", "strike_type__in",
    "attacker", "target", "status", "outcome", "killed__gte", "killed__lte", "place", "q"];
  const VIEW = ["map", "sort", "cursor", "sel"];
  const SORTS = ["id", "-id", "date_start", "-date_start", "killed", "-killed"];
  const TYPES = ["airstrike", "drone_strike", "missile", "rocket", "artillery", "loitering_munition", "unknown"];
  const css = getComputedStyle(document.documentElement);
  const COLOUR = {};
  TYPES.forEach((t) => { COLOUR[t] = css.getPropertyValue("--" + t).trim() || "#7f7f7f"; });
  const POINTS_MAX = 2000;   // events in view drawn one by one; more: the server's grid
  const PAGE = 50;
  const FIELDS = "id,date_start,date_end,latitude,longitude,strike_type,casualties,location,admin1,country,water_body,attackers,status";

  const form = document.getElementById("filters");
  const messages = document.getElementById("messages");
  const tbody = document.querySelector("#events tbody");
  let state = readUrl();
  let cursors = [];              // cursors of the pages before this one (Previous)
  let seq = 0;                   // the newest load; answers to older ones are dropped
  let map = null, layer = null, markers = new Map();
  let mapTimer = null;

  // --- the URL ------------------------------------------------------------------------------------

  function readUrl() {
    const got = new URLSearchParams(location.search);
    const s = { filters: new URLSearchParams(), map: null, sort: "-date_start", cursor: null, sel: null };
    const bad = [];
    for (const [k, v] of got) {
      if (FILTERS.includes(k)) { if (v !== "") s.filters.append(k, v); }
      else if (k === "map") {
        const m = v.split(",").map(Number);
        if (m.length === 3 && m.every(Number.isFinite) && Math.abs(m[0]) <= 90 && Math.abs(m[1]) <= 540 && m[2] >= 0 && m[2] <= 18) s.map = m;
        else bad.push(`map=${v} (expected lat,lon,zoom)`);
      } else if (k === "sort") { if (SORTS.includes(v)) s.sort = v; else bad.push(`sort=${v} (expected one of ${SORTS.join(", ")})`); }
      else if (k === "cursor") { if (/^[A-Za-z0-9_-]+$/.test(v)) s.cursor = v; else bad.push("cursor"); }
      else if (k === "sel") s.sel = v;
      else bad.push(`${k} (not a filter of the explorer)`);
    }
    if (bad.length) say(`Left out of the link: ${bad.join("; ")}.`);
    return s;
  }

  function query(extra) {
    const q = new URLSearchParams(state.filters);
    if (extra) for (const [k, v] of Object.entries(extra)) if (v !== null && v !== undefined) q.set(k, v);
    return q;
  }

  function pageUrl() {
    const q = new URLSearchParams(state.filters);
    if (state.sort !== "-date_start") q.set("sort", state.sort);
    if (state.cursor) q.set("cursor", state.cursor);
    if (state.sel) q.set("sel", state.sel);
    if (state.map) q.set("map", state.map.map((x, i) => (i < 2 ? x.toFixed(4) : String(x))).join(","));
    const s = q.toString();
    return location.pathname + (s ? "?" + s : "");
  }

  function push(replace) {
    const url = pageUrl();
    if (url === location.pathname + location.search) return;
    if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
  }

  // --- messages and fetching ----------------------------------------------------------------------

  function say(text) {
    const p = document.createElement("p");
    p.className = "message";
    p.setAttribute("role", "alert");
    p.textContent = text;
    messages.appendChild(p);
  }

  function clearMessages() { messages.querySelectorAll(".message.api").forEach((m) => m.remove()); }

  async function api(path, params) {
    const url = API + path + (params && params.toString() ? "?" + params.toString() : "");
    let resp;
    try { resp = await fetch(url, { headers: { Accept: "application/json" } }); }
    catch (e) { throw { message: "The server could not be reached." }; }
    let body = null;
    try { body = await resp.json(); } catch (e) { body = null; }
    if (!resp.ok) {
      const err = (body && body.error) || {};
      throw { status: resp.status, message: err.message || `HTTP ${resp.status}`, parameter: err.parameter };
    }
    return body;
  }

  /* A filter the API refuses is dropped with a visible message, and the page goes on without it. */
  function refused(err) {
    if (err && err.parameter && state.filters.has(err.parameter)) {
      const p = document.createElement("p");
      p.className = "message api";
      p.setAttribute("role", "alert");
      p.textContent = `The filter ${err.parameter}=${state.filters.get(err.parameter)} was left out: ${err.message}`;
      messages.appendChild(p);
      state.filters.delete(err.parameter);
      state.cursor = null;
      push(true);
      toForm();
      load();
      return true;
    }
    if (err && err.parameter === "cursor" && state.cursor) {
      state.cursor = null; push(true); load(); return true;
    }
    say((err && err.message) || "Something went wrong.");
    return false;
  }

  // --- the filter form ----------------------------------------------------------------------------

  function toForm() {
    for (const el of form.elements) {
      if (!el.name || !FILTERS.includes(el.name)) continue;
      if (el.type === "checkbox") {
        const on = (state.filters.get(el.name) || "").split(",");
        el.checked = on.includes(el.value);
      } else if (el.tagName === "SELECT" && state.filters.get(el.name) && ![...el.options].some((o) => o.value === state.filters.get(el.name))) {
        const o = new Option(state.filters.get(el.name), state.filters.get(el.name));
        el.add(o);
        el.value = o.value;
      } else {
        el.value = state.filters.get(el.name) || "";
      }
    }
  }

  function fromForm() {
    const f = new URLSearchParams();
    const types = [];
    for (const el of form.elements) {
      if (!el.name || !FILTERS.includes(el.name)) continue;
      if (el.type === "checkbox") { if (el.checked) types.push(el.value); }
      else if (el.value.trim() !== "") f.set(el.name, el.value.trim());
    }
    if (types.length) f.set("strike_type__in", types.join(","));
    const ordered = new URLSearchParams();
    FILTERS.forEach((k) => { if (f.has(k)) ordered.set(k, f.get(k)); });
    return ordered;
  }

  function applyFilters(filters) {
    if (filters.toString() === state.filters.toString()) return;
    state.filters = filters;
    state.cursor = null; cursors = [];
    clearMessages();
    push(false);
    load();
  }

  let textTimer = null;
  form.addEventListener("change", (ev) => {
    if (ev.target.id === "release") return;
    applyFilters(fromForm());
  });
  form.addEventListener("input", (ev) => {
    if (ev.target.type !== "search" && ev.target.type !== "text" && ev.target.tagName !== "INPUT") return;
    if (ev.target.type === "checkbox" || ev.target.type === "date" || ev.target.type === "number") return;
    clearTimeout(textTimer);
    textTimer = setTimeout(() => applyFilters(fromForm()), 400);
  });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); applyFilters(fromForm()); });
  document.getElementById("reset").addEventListener("click", () => { applyFilters(new URLSearchParams()); toForm(); });
  document.getElementById("clear-dates").addEventListener("click", () => {
    const f = new URLSearchParams(state.filters);
    f.delete("date_start__gte"); f.delete("date_start__lte");
    applyFilters(f); toForm();
  });
  document.getElementById("release").addEventListener("change", (ev) => {
    const v = ev.target.value;
    const q = pageUrl().slice(location.pathname.length);
    location.assign((v ? `/releases/${encodeURIComponent(v)}/` : "/") + q);
  });

  async function fillOptions() {
    try {
      const [countries, actors] = await Promise.all([
        api("/aggregates", new URLSearchParams({ group_by: "country" })),
        api("/actors"),
      ]);
      const sel = form.elements.namedItem("country");
      const current = state.filters.get("country");
      for (const row of countries.items) {
        if (!row.country || row.country === current) continue;
        sel.add(new Option(`${row.country} (${row.events})`, row.country));
      }
      const dl = document.getElementById("actors");
      for (const a of actors.items) { const o = document.createElement("option"); o.value = a.id; o.label = a.name || a.id; dl.appendChild(o); }
    } catch (e) { /* the options only help typing; the filters work without them */ }
    try {
      const places = await api("/places");
      const dl = document.getElementById("places");
      for (const p of places.items) { const o = document.createElement("option"); o.value = p.slug; o.label = p.name || p.slug; dl.appendChild(o); }
    } catch (e) { /* a release before schema 1.1 has no places */ }
  }

  // --- the table ----------------------------------------------------------------------------------

  function killedText(c) {
    const k = c && c.killed;
    if (!k) return "unknown";
    return k.min === k.max ? String(k.min) : `${k.min}–${k.max}`;
  }

  function placeText(e) {
    const where = e.location || e.admin1 || "";
    const region = e.country || (e.water_body ? e.water_body.replace(/_/g, " ") : "");
    return [where, region].filter(Boolean).join(", ") || "unknown";
  }

  function eventHref(id) { return `${PREFIX}/events/${encodeURIComponent(id)}`; }

  function cell(tr, text) { const td = document.createElement("td"); td.textContent = text; tr.appendChild(td); return td; }

  function renderTable(page) {
    tbody.replaceChildren();
    for (const e of page.items) {
      const tr = document.createElement("tr");
      tr.dataset.id = e.id;
      tr.tabIndex = 0;
      tr.setAttribute("aria-selected", String(e.id === state.sel));
      if (e.id === state.sel) tr.classList.add("selected");
      cell(tr, e.date_start === e.date_end ? e.date_start : `${e.date_start} – ${e.date_end}`);
      const td = cell(tr, "");
      const a = document.createElement("a"); a.href = eventHref(e.id); a.textContent = e.id; td.appendChild(a);
      cell(tr, placeText(e));
      const tt = cell(tr, "");
      const sw = document.createElement("span"); sw.className = `swatch st-${e.strike_type}`; sw.setAttribute("aria-hidden", "true");
      tt.append(sw, (e.strike_type || "").replace(/_/g, " "));
      cell(tr, (e.attackers || []).map((x) => x.actor).join(", "));
      cell(tr, killedText(e.casualties));
      cell(tr, e.status || "");
      tbody.appendChild(tr);
    }
    document.getElementById("total").textContent = `${page.total.toLocaleString("en")} matching`;
    document.getElementById("prev").disabled = cursors.length === 0 && !state.cursor;
    document.getElementById("first").disabled = !state.cursor;
    const next = document.getElementById("next");
    next.disabled = !page.next_cursor;
    next.dataset.cursor = page.next_cursor || "";
    document.querySelectorAll("#events th[data-sort]").forEach((th) => {
      const k = th.dataset.sort;
      th.setAttribute("aria-sort", state.sort === k ? "ascending" : state.sort === "-" + k ? "descending" : "none");
    });
  }

  function select(id, from) {
    state.sel = id;
    push(true);
    loadChain(id);
    tbody.querySelectorAll("tr").forEach((tr) => {
      const on = tr.dataset.id === id;
      tr.classList.toggle("selected", on);
      tr.setAttribute("aria-selected", String(on));
      if (on && from === "map") tr.scrollIntoView({ block: "nearest" });
    });
    markers.forEach((m, mid) => highlight(m, mid === id));
    const m = markers.get(id);
    if (m && from === "table") m.openPopup();
  }

  tbody.addEventListener("click", (ev) => {
    if (ev.target.closest("a")) return;
    const tr = ev.target.closest("tr");
    if (tr) select(tr.dataset.id, "table");
  });
  tbody.addEventListener("keydown", (ev) => {
    const tr = ev.target.closest("tr");
    if (!tr) return;
    if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); select(tr.dataset.id, "table"); }
    if (ev.key === "ArrowDown" && tr.nextElementSibling) { ev.preventDefault(); tr.nextElementSibling.focus(); }
    if (ev.key === "ArrowUp" && tr.previousElementSibling) { ev.preventDefault(); tr.previousElementSibling.focus(); }
  });
  document.querySelectorAll("#events th[data-sort] button").forEach((b) => b.addEventListener("click", () => {
    const k = b.parentElement.dataset.sort;
    state.sort = state.sort === "-" + k ? k : "-" + k;
    state.cursor = null; cursors = [];
    push(false);
    loadTable(seq);
  }));
  document.getElementById("next").addEventListener("click", (ev) => {
    const c = ev.target.dataset.cursor;
    if (!c) return;
    cursors.push(state.cursor);
    state.cursor = c;
    push(false);
    loadTable(seq);
  });
  document.getElementById("prev").addEventListener("click", () => {
    state.cursor = cursors.length ? cursors.pop() : null;
    push(false);
    loadTable(seq);
  });
  document.getElementById("first").addEventListener("click", () => {
    state.cursor = null; cursors = [];
    push(false);
    loadTable(seq);
  });

  async function loadTable(my) {
    try {
      const page = await api("/events", query({ sort: state.sort, page_size: PAGE, fields: FIELDS, cursor: state.cursor }));
      if (my !== seq) return;
      renderTable(page);
    } catch (err) { if (my === seq) refused(err); }
  }

  function downloads() {
    for (const fmt of ["csv", "geojson", "ndjson"]) {
      const q = query({ format: fmt });
      document.getElementById("dl-" + fmt).href = `${API}/events?${q.toString()}`;
    }
  }

  // --- the map ------------------------------------------------------------------------------------

  function radius(n) { return Math.min(28, 3 + 2.2 * Math.sqrt(n)); }

  function highlight(m, on) {
    m.eachLayer((l) => { l.setStyle({ weight: on ? 3 : l.options.baseWeight, color: on ? "#000" : l.options.baseColor }); });
    if (on) m.eachLayer((l) => l.bringToFront());
  }

  function pointLayer(e) {
    const colour = COLOUR[e.strike_type] || COLOUR.unknown;
    const k = e.casualties && e.casualties.killed;
    const ll = [e.latitude, e.longitude];
    const parts = [];
    if (!k) {   // unknown: a dashed ring, never a zero
      parts.push(L.circleMarker(ll, { radius: 7, color: colour, baseColor: colour, weight: 2, baseWeight: 2, dashArray: "3 3", fill: true, fillOpacity: 0.05, fillColor: colour }));
    } else {
      if (k.max !== k.min) parts.push(L.circleMarker(ll, { radius: radius(k.max), color: colour, baseColor: colour, weight: 1.5, baseWeight: 1.5, fillOpacity: 0.15, fillColor: colour }));
      parts.push(L.circleMarker(ll, { radius: radius(k.min), color: "#fff", baseColor: "#fff", weight: 1, baseWeight: 1, fillOpacity: 0.9, fillColor: colour }));
    }
    const g = L.featureGroup(parts);
    const box = document.createElement("div");
    const a = document.createElement("a"); a.href = eventHref(e.id); a.textContent = e.id;
    const p = document.createElement("p");
    p.textContent = `${e.date_start} · ${(e.strike_type || "").replace(/_/g, " ")} · ${placeText(e)} · killed ${killedText(e.casualties)}${e.water_body ? " · at sea" : ""}`;
    box.append(a, p);
    g.bindPopup(box);
    g.on("click", () => select(e.id, "map"));
    return g;
  }

  function gridLayer(c) {
    let top = "unknown", most = -1;
    for (const [t, n] of Object.entries(c.by_strike_type || {})) if (n > most) { most = n; top = t; }
    const colour = COLOUR[top] || COLOUR.unknown;
    const m = L.circleMarker([c.lat, c.lon], { radius: Math.min(30, 6 + 3 * Math.log2(c.events)), color: "#333", weight: 1, fillColor: colour, fillOpacity: 0.75 });
    const killed = c.killed ? (c.killed.min === c.killed.max ? c.killed.min : `${c.killed.min}–${c.killed.max}`) : "?";
    m.bindTooltip(`${c.events} events (mostly ${top.replace(/_/g, " ")}); killed ${killed}${c.killed_unknown ? `, ${c.killed_unknown} unknown` : ""}`);
    m.on("click", () => map.fitBounds([[c.south, c.west], [c.north, c.east]]));
    return m;
  }

  function bbox() {
    const b = map.getBounds();
    const w = Math.max(-180, b.getWest()), e = Math.min(180, b.getEast());
    const s = Math.max(-90, b.getSouth()), n = Math.min(90, b.getNorth());
    if (w >= e || s >= n) return null;
    return [w, s, e, n].map((x) => x.toFixed(4)).join(",");
  }

  async function loadMap(my) {
    if (!map) return;
    const note = document.getElementById("map-note");
    const box = bbox();
    if (!box) { layer.clearLayers(); return; }
    const zoom = map.getZoom();
    const cellSize = Math.max(0.001, Math.min(90, 360 / Math.pow(2, zoom) / 6));
    try {
      const g = await api("/grid", query({ bbox: box, cell: cellSize.toPrecision(3) }));
      if (my !== seq) return;
      const inView = g.items.reduce((s, c) => s + c.events, 0);
      let drawn = [];
      markers = new Map();
      if (inView <= POINTS_MAX) {
        let cursor = null, items = [];
        do {
          const page = await api("/events", query({ bbox: box, page_size: 1000, fields: FIELDS, cursor }));
          if (my !== seq) return;
          items = items.concat(page.items);
          cursor = page.next_cursor;
        } while (cursor && items.length < POINTS_MAX);
        for (const e of items) {
          if (e.latitude === null || e.longitude === null) continue;
          const m = pointLayer(e);
          markers.set(e.id, m);
          drawn.push(m);
        }
        note.textContent = `${items.length} events in view` + (g.unlocated ? `; ${g.unlocated} matching events have no coordinates and are not on the map.` : ".");
      } else {
        drawn = g.items.map(gridLayer);
        note.textContent = `${inView.toLocaleString("en")} events in view, counted per cell of ${cellSize.toPrecision(3)}°; zoom in for single events.` +
          (g.unlocated ? ` ${g.unlocated} matching events have no coordinates.` : "");
      }
      layer.clearLayers();
      drawn.forEach((d) => layer.addLayer(d));
      if (state.sel && markers.has(state.sel)) highlight(markers.get(state.sel), true);
      root.dataset.mapDrawn = String(Number(root.dataset.mapDrawn || 0) + 1);
    } catch (err) { if (my === seq) refused(err); }
  }

  function initMap() {
    if (!window.L) { document.getElementById("map-note").textContent = "The map could not be loaded."; return; }
    map = L.map("map", { preferCanvas: true, worldCopyJump: false, minZoom: 1, maxZoom: 16, keyboard: true, attributionControl: true });
    if (TILE) {
      L.tileLayer(TILE, { maxZoom: 16, attribution: "tiles: operator's tile server" }).addTo(map);
    } else {
      map.attributionControl.addAttribution("Boundaries: Natural Earth");
      // Fetched now, drawn once the first view's data are drawn: the outlines' hundreds of
      // polygons then do not hold up the map's events, the timeline and the table.
      Promise.all([fetch("/explorer/boundaries.geojson").then((r) => (r.ok ? r.json() : null)), firstView]).then(([gj]) => {
        if (!gj) return;
        const outlines = L.geoJSON(gj, { interactive: false, style: { color: "#9a9a9a", weight: 0.6, fillColor: "#f4f1ea", fillOpacity: 1 } });
        outlines.addTo(map);
        outlines.bringToBack();
        map.fire("outlines");
        root.dataset.outlines = "1";  // for the benchmark: the basemap drawn too
      }).catch(() => { document.getElementById("map-note").textContent = "The country outlines could not be loaded."; });
    }
    layer = L.layerGroup().addTo(map);
    root.explorerMap = map;  // a handle for the browser tests (a DOM property, not a global)
    if (state.map) map.setView([state.map[0], state.map[1]], state.map[2]);
    else map.setView([30, 40], 3);
    map.on("moveend", () => {
      const c = map.getCenter();
      state.map = [c.lat, c.lng, map.getZoom()];
      push(true);
      clearTimeout(mapTimer);
      mapTimer = setTimeout(() => loadMap(seq), 150);
    });
  }

  // --- the timeline -------------------------------------------------------------------------------

  const svg = document.getElementById("timeline");
  const NS = "http://www.w3.org/2000/svg";
  let buckets = [];
  let span = null;   // [first day, day after the last] of the drawn buckets, as Date

  function dayMs(s) { return Date.parse(s + "T00:00:00Z"); }
  function iso(ms) { return new Date(ms).toISOString().slice(0, 10); }

  function interval() {
    const a = state.filters.get("date_start__gte"), b = state.filters.get("date_start__lte");
    if (!a || !b || !Number.isFinite(dayMs(a)) || !Number.isFinite(dayMs(b))) return "month";
    const days = (dayMs(b) - dayMs(a)) / 864e5;
    return days <= 92 ? "day" : days <= 730 ? "week" : "month";
  }

  function bucketEnd(start, iv) {
    const d = new Date(dayMs(start));
    if (iv === "day") return d.getTime() + 864e5;
    if (iv === "week") return d.getTime() + 7 * 864e5;
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }

  function el(name, attrs) { const e = document.createElementNS(NS, name); for (const k in attrs) e.setAttribute(k, attrs[k]); return e; }

  function drawTimeline(iv) {
    svg.replaceChildren();
    const W = svg.clientWidth || 600, H = svg.clientHeight || 140, B = 16;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    if (!buckets.length) { const t = el("text", { x: 8, y: 20 }); t.textContent = "No events."; svg.appendChild(t); span = null; return; }
    const first = dayMs(buckets[0].start), last = bucketEnd(buckets[buckets.length - 1].start, iv);
    span = [first, last];
    const max = Math.max(...buckets.map((b) => b.events));
    const x = (ms) => ((ms - first) / (last - first)) * W;
    for (const b of buckets) {
      const x0 = x(dayMs(b.start)), x1 = x(bucketEnd(b.start, iv));
      let y = H - B;
      for (const t of TYPES) {
        const n = (b.by_strike_type || {})[t] || 0;
        if (!n) continue;
        const h = (n / max) * (H - B - 6);
        const r = el("rect", { x: x0.toFixed(1), y: (y - h).toFixed(1), width: Math.max(1, x1 - x0 - 0.5).toFixed(1), height: h.toFixed(1), fill: COLOUR[t] });
        const title = el("title", {}); title.textContent = `${b.start}: ${n} ${t.replace(/_/g, " ")}`; r.appendChild(title);
        svg.appendChild(r);
        y -= h;
      }
    }
    const years = new Date(last).getUTCFullYear() - new Date(first).getUTCFullYear();
    const step = years > 12 ? 5 : years > 5 ? 2 : 1;
    for (let yv = new Date(first).getUTCFullYear(); yv <= new Date(last).getUTCFullYear(); yv += step) {
      const ms = Date.UTC(yv, 0, 1);
      if (ms < first) continue;
      const t = el("text", { x: (x(ms) + 2).toFixed(1), y: H - 4 }); t.textContent = String(yv); svg.appendChild(t);
      svg.appendChild(el("line", { x1: x(ms).toFixed(1), x2: x(ms).toFixed(1), y1: H - B, y2: H - 2, stroke: "#999" }));
    }
    if (years < 1) {
      const t0 = el("text", { x: 2, y: 10 }); t0.textContent = iso(first); svg.appendChild(t0);
      const t1 = el("text", { x: W - 64, y: 10 }); t1.textContent = iso(last - 864e5); svg.appendChild(t1);
    }
    svg.setAttribute("aria-label", `Events from ${iso(first)} to ${iso(last - 864e5)} per ${iv}, stacked by strike type; drag to choose dates`);
  }

  let brushing = null;
  function svgX(ev) { const r = svg.getBoundingClientRect(); return Math.max(0, Math.min(r.width, ev.clientX - r.left)) * ((svg.clientWidth || r.width) / r.width); }
  svg.addEventListener("pointerdown", (ev) => {
    if (!span) return;
    svg.setPointerCapture(ev.pointerId);
    const x0 = svgX(ev);
    const rect = el("rect", { class: "brush", x: x0, y: 0, width: 0, height: svg.clientHeight || 140 });
    svg.appendChild(rect);
    brushing = { x0, rect };
  });
  svg.addEventListener("pointermove", (ev) => {
    if (!brushing) return;
    const x1 = svgX(ev);
    brushing.rect.setAttribute("x", Math.min(brushing.x0, x1));
    brushing.rect.setAttribute("width", Math.abs(x1 - brushing.x0));
  });
  svg.addEventListener("pointerup", (ev) => {
    if (!brushing) return;
    const x1 = svgX(ev), x0 = brushing.x0;
    brushing = null;
    if (Math.abs(x1 - x0) < 3) { drawTimeline(interval()); return; }
    const W = svg.clientWidth || 600;
    const at = (px) => span[0] + (px / W) * (span[1] - span[0]);
    const f = new URLSearchParams(state.filters);
    f.set("date_start__gte", iso(at(Math.min(x0, x1))));
    f.set("date_start__lte", iso(at(Math.max(x0, x1)) - 1));
    applyFilters(f);
    toForm();
  });

  /* The brush by keyboard: with the timeline focused, the arrow keys move a selection of buckets,
     Shift+arrows widen or narrow it, Home and End jump to the ends, Enter sets the dates, Escape
     leaves it. The selection is said in #timeline-status (a live region). */
  const status = document.getElementById("timeline-status");
  let kb = null;   // [first, last] bucket index of the keyboard selection
  function showKb() {
    drawTimeline(interval());
    if (!kb || !span) { status.textContent = ""; return; }
    const iv = interval(), W = svg.clientWidth || 600;
    const x = (ms) => ((ms - span[0]) / (span[1] - span[0])) * W;
    const a = buckets[kb[0]], b = buckets[kb[1]];
    const x0 = x(dayMs(a.start)), x1 = x(bucketEnd(b.start, iv));
    svg.appendChild(el("rect", { class: "brush", x: x0.toFixed(1), y: 0, width: Math.max(2, x1 - x0).toFixed(1), height: svg.clientHeight || 140 }));
    let n = 0;
    for (let i = kb[0]; i <= kb[1]; i++) n += buckets[i].events;
    status.textContent = `Selected ${a.start} to ${iso(bucketEnd(b.start, iv) - 864e5)}: ${n.toLocaleString("en")} events. Enter sets these dates, Escape cancels.`;
  }
  svg.addEventListener("keydown", (ev) => {
    if (!buckets.length || !span) return;
    const last = buckets.length - 1;
    const keys = ["ArrowLeft", "ArrowRight", "Home", "End", "Enter", "Escape"];
    if (!keys.includes(ev.key)) return;
    ev.preventDefault();
    if (ev.key === "Escape") { kb = null; showKb(); return; }
    if (ev.key === "Enter") {
      if (!kb) return;
      const iv = interval();
      const f = new URLSearchParams(state.filters);
      f.set("date_start__gte", buckets[kb[0]].start);
      f.set("date_start__lte", iso(bucketEnd(buckets[kb[1]].start, iv) - 864e5));
      kb = null;
      status.textContent = "";
      applyFilters(f);
      toForm();
      return;
    }
    if (!kb) { kb = [last, last]; showKb(); return; }
    const step = ev.key === "ArrowLeft" ? -1 : ev.key === "ArrowRight" ? 1 : 0;
    if (ev.key === "Home") kb = ev.shiftKey ? [0, kb[1]] : [0, kb[1] - kb[0]];
    else if (ev.key === "End") kb = ev.shiftKey ? [kb[0], last] : [last - (kb[1] - kb[0]), last];
    else if (ev.shiftKey) kb = [kb[0], Math.max(kb[0], Math.min(last, kb[1] + step))];
    else if (kb[0] + step >= 0 && kb[1] + step <= last) kb = [kb[0] + step, kb[1] + step];
    showKb();
  });
  svg.addEventListener("blur", () => { if (kb) { kb = null; showKb(); } });

  async function loadTimeline(my) {
    const iv = interval();
    document.getElementById("interval").textContent = `(per ${iv})`;
    try {
      const h = await api("/histogram", query({ interval: iv }));
      if (my !== seq) return;
      buckets = h.items;
      drawTimeline(iv);
    } catch (err) { if (my === seq) refused(err); }
  }

  // --- the retaliation chain of the selected event ------------------------------------------------

  const chainBox = document.getElementById("chain");
  const RELATION_BACK = { retaliation_for: "retaliated against by", response_to: "responded to by", follow_up: "followed up by" };
  let chainOf = null;

  /* The typed, directed chain /events/{id}/related returns, as a list by date: each event indented
     by its distance, with the link that reached it (who names whom, by which relation); a button
     selects an event of the chain (its own chain is drawn then), a link opens its page. */
  async function loadChain(id) {
    if (id === chainOf) return;
    chainOf = id;
    const list = chainBox.querySelector("ol");
    const title = chainBox.querySelector("h2");
    list.replaceChildren();
    if (!id) { chainBox.hidden = true; return; }
    let body;
    try { body = await api(`/events/${encodeURIComponent(id)}/related`); }
    catch (err) { if (chainOf === id) { chainBox.hidden = false; title.textContent = `Related events of ${id}: ${err.message}`; } return; }
    if (chainOf !== id) return;
    chainBox.hidden = false;
    title.textContent = body.items.length ? `Chain of ${id}: ${body.items.length} linked event${body.items.length === 1 ? "" : "s"}` : `Chain of ${id}: no linked events`;
    body.items.forEach((e, i) => {
      const l = body.links[i];
      const li = document.createElement("li");
      li.dataset.id = e.id; li.dataset.depth = l.distance; li.dataset.relation = l.relation; li.dataset.direction = l.direction;
      const b = document.createElement("button");
      b.type = "button"; b.className = "chain-select"; b.textContent = e.id;
      b.setAttribute("aria-label", `Select ${e.id}`);
      b.addEventListener("click", () => select(e.id, "chain"));
      const a = document.createElement("a"); a.href = eventHref(e.id); a.textContent = "page";
      const rel = l.relation.replace(/_/g, " ");
      const how = document.createElement("span");
      how.className = "link";
      // names: this event's record names `via` (it is <relation> via); named_by: via's record names it
      how.textContent = l.direction === "names"
        ? `→ ${rel} ${l.via === id ? "the selected event" : l.via}`
        : `← ${RELATION_BACK[l.relation] || rel} ${l.via === id ? "the selected event" : l.via}`;
      const meta = document.createElement("span");
      meta.className = "note";
      meta.textContent = ` ${e.date_start} · ${(e.strike_type || "").replace(/_/g, " ")} · ${placeText(e)} · step ${l.distance}`;
      li.append(b, " ", how, meta, " ", a);
      list.appendChild(li);
    });
  }

  // --- putting it together ------------------------------------------------------------------------

  function load() {
    const my = ++seq;
    downloads();
    return Promise.all([loadTable(my), loadTimeline(my), loadMap(my)]).then(() => {
      if (my === seq) root.dataset.ready = String(my);
    });
  }

  window.addEventListener("popstate", () => {
    clearMessages();
    state = readUrl();
    cursors = [];
    toForm();
    if (map && state.map) map.setView([state.map[0], state.map[1]], state.map[2], { animate: false });
    load();
  });
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => drawTimeline(interval()), 200); });

  let firstDrawn;
  const firstView = new Promise((resolve) => { firstDrawn = resolve; });
  toForm();
  initMap();
  load().then(firstDrawn, firstDrawn);
  fillOptions();   // the filters' option lists: after the first view's requests
  if (state.sel) loadChain(state.sel);
})();
