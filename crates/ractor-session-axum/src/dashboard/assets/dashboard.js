// The session dashboard's page: one websocket (`live`, beside this script), a `hello` with
// the last minutes' samples and the figures now, then an `update` per sample. Everything
// is drawn with DOM calls (textContent, SVG attributes): no inline script or style, no
// markup from data.
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 300;
  const HEIGHT = 100;
  const REASONS = ["terminated", "expired", "crashed", "evicted", "shutdown", "logged_out", "rotated"];

  // The socket sits beside this script, wherever the dashboard is mounted.
  const liveUrl = new URL("live", document.currentScript.src);
  liveUrl.protocol = liveUrl.protocol === "https:" ? "wss:" : "ws:";

  let samples = [];
  let spanMs = 5 * 60 * 1000;
  let retries = 0;

  const byId = (id) => document.getElementById(id);

  function setText(id, text) {
    const element = byId(id);
    if (element) element.textContent = text;
  }

  function count(n) {
    return n === null || n === undefined ? "n/a" : Math.round(n).toLocaleString("en");
  }

  function rate(n) {
    return n >= 10 ? n.toFixed(0) : n.toFixed(n >= 1 ? 1 : 2);
  }

  function bytes(n) {
    if (n === null || n === undefined) return "n/a";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let unit = 0;
    while (n >= 1024 && unit < units.length - 1) {
      n /= 1024;
      unit += 1;
    }
    return `${n.toFixed(unit === 0 || n >= 10 ? 0 : 1)} ${units[unit]}`;
  }

  function duration(ms) {
    return ms >= 60000 && ms % 60000 === 0 ? `${ms / 60000} min` : `${ms / 1000} s`;
  }

  // A gauge: `used` of `max`, the bar and its text.
  function gauge(id, used, max, textId) {
    const share = max > 0 ? Math.min(1, used / max) : 0;
    const bar = byId(id);
    bar.setAttribute("width", (share * 100).toFixed(2));
    bar.classList.toggle("high", share >= 0.8);
    setText(textId, `${count(used)} / ${count(max)} (${(share * 100).toFixed(1)}%)`);
  }

  function renderFigures(f) {
    setText("manager", f.manager);
    setText("sessions-active", count(f.sessions.active));
    setText("sessions-starting", count(f.sessions.starting));
    setText("sessions-parked", count(f.sessions.parked));
    if (f.sessions.parked === null) {
      setText("sessions-parked-note", "n/a: this manager parks no sessions");
    }
    setText("sessions-total", count(f.sessions.total));
    setText("started", count(f.counters.started));
    for (const reason of REASONS.filter((r) => r !== "rotated")) {
      setText(`ended-${reason}`, count(f.counters.ended[reason]));
    }
    setText("ended-total", count(f.counters.ended.total));
    setText("rotated", count(f.counters.rotated));
    setText("revived", count(f.counters.revived));

    gauge("gauge-sessions", f.limits.used, f.limits.max_sessions, "limit-sessions");
    if (f.sockets) {
      setText("sockets-live", count(f.sockets.live));
      gauge("gauge-sockets", f.sockets.live, f.sockets.max_total, "limit-sockets");
      gauge("gauge-socket-session", f.sockets.busiest_session, f.sockets.max_per_session,
        "limit-socket-session");
    } else {
      setText("sockets-live", "n/a");
      setText("limit-sockets", "n/a: no live sockets given");
      setText("limit-socket-session", "n/a");
    }
    if (f.limits.rate_limit_per_minute) {
      gauge("gauge-rate", f.limits.started_last_minute, f.limits.rate_limit_per_minute,
        "limit-rate");
    } else {
      setText("limit-rate", `${count(f.limits.started_last_minute)} (no rate limit)`);
    }

    renderTypes(f.by_type);

    setText("memory-estimate", `≥ ${bytes(f.memory.estimate_bytes)}`);
    const rss = f.memory.process_resident_bytes;
    setText("memory-note",
      `${bytes(f.memory.per_session_bytes)} a session; process resident: ${bytes(rss)}`);
  }

  function renderTypes(types) {
    const body = byId("by-type");
    body.replaceChildren();
    const most = types.reduce((m, t) => Math.max(m, t.count), 0);
    for (const type of types) {
      const row = document.createElement("tr");
      const name = document.createElement("th");
      name.textContent = type.name;
      const bar = document.createElement("td");
      const svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("class", "gauge");
      svg.setAttribute("viewBox", "0 0 100 8");
      svg.setAttribute("preserveAspectRatio", "none");
      const fill = document.createElementNS(SVG, "rect");
      fill.setAttribute("class", "fill");
      fill.setAttribute("height", "8");
      fill.setAttribute("width", most > 0 ? ((type.count / most) * 100).toFixed(2) : "0");
      svg.append(fill);
      bar.append(svg);
      const n = document.createElement("td");
      n.textContent = count(type.count);
      row.append(name, bar, n);
      body.append(row);
    }
    if (types.length === 0) {
      const row = document.createElement("tr");
      const none = document.createElement("td");
      none.className = "muted";
      none.textContent = "no live sessions";
      row.append(none);
      body.append(row);
    }
  }

  // A line per series over the last `spanMs` (or less, down to half a minute, while the
  // history is shorter); each line says in `data-nonzero` how many of its points are above
  // zero, and the chart's top value (as `format` writes it) is shown beside its title.
  function drawChart(id, series, format) {
    const svg = byId(id);
    const last = samples.length ? samples[samples.length - 1].t : Date.now();
    const first = samples.length ? samples[0].t : last;
    const shownMs = Math.min(spanMs, Math.max(30000, last - first));
    const from = last - shownMs;
    const shown = samples.filter((s) => s.t >= from);
    let top = 0;
    for (const s of shown) {
      for (const key of series) {
        if (s[key] !== null && s[key] !== undefined) top = Math.max(top, s[key]);
      }
    }
    top = top > 0 ? niceCeiling(top) : 1;
    svg.replaceChildren(gridLine(HEIGHT / 2), gridLine(HEIGHT - 0.5));
    let drawn = 0;
    for (const key of series) {
      const points = [];
      let nonzero = 0;
      for (const s of shown) {
        const value = s[key];
        if (value === null || value === undefined) continue;
        if (value > 0) nonzero += 1;
        const x = ((s.t - from) / shownMs) * WIDTH;
        const y = HEIGHT - 1 - (value / top) * (HEIGHT - 2);
        points.push(`${x.toFixed(1)},${y.toFixed(1)}`);
      }
      if (points.length === 0) continue;
      const line = document.createElementNS(SVG, "polyline");
      line.setAttribute("class", `line k-${key}`);
      line.setAttribute("points", points.join(" "));
      line.setAttribute("vector-effect", "non-scaling-stroke");
      line.setAttribute("data-series", key);
      line.setAttribute("data-nonzero", String(nonzero));
      svg.append(line);
      drawn += 1;
    }
    setText(`${id}-max`, drawn ? `max ${format(top)}` : "");
    return drawn;
  }

  function gridLine(y) {
    const line = document.createElementNS(SVG, "line");
    line.setAttribute("class", "grid");
    line.setAttribute("x1", "0");
    line.setAttribute("x2", String(WIDTH));
    line.setAttribute("y1", String(y));
    line.setAttribute("y2", String(y));
    line.setAttribute("vector-effect", "non-scaling-stroke");
    return line;
  }

  // 1, 2 or 5 times a power of ten, at least `n`.
  function niceCeiling(n) {
    const power = 10 ** Math.floor(Math.log10(n));
    for (const step of [1, 2, 5, 10]) {
      if (step * power >= n) return step * power;
    }
    return 10 * power;
  }

  function renderCharts() {
    drawChart("chart-active", ["active"], count);
    drawChart("chart-started", ["started"], rate);
    drawChart("chart-ended", REASONS, rate);
    const revivals = drawChart("chart-revived", ["revived"], rate);
    byId("chart-revived-na").hidden = revivals > 0;
    drawChart("chart-sockets", ["sockets"], count);
  }

  function addSample(sample) {
    // A sample may come twice: in the hello and in the first update.
    if (samples.length && sample.t <= samples[samples.length - 1].t) return;
    samples.push(sample);
    const from = sample.t - spanMs;
    while (samples.length && samples[0].t < from) samples.shift();
  }

  function status(text, state) {
    const element = byId("status");
    element.textContent = text;
    element.className = state;
  }

  function connect() {
    const socket = new WebSocket(liveUrl);
    socket.onopen = () => {
      retries = 0;
      status("live", "live");
    };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.event === "hello") {
        spanMs = event.span_ms;
        setText("span", duration(event.span_ms));
        setText("interval", duration(event.interval_ms));
        samples = [];
        for (const sample of event.samples) addSample(sample);
      } else if (event.event === "update") {
        addSample(event.sample);
      } else {
        return;
      }
      renderFigures(event.figures);
      renderCharts();
      document.body.dataset.updated = String(Date.now());
    };
    socket.onclose = () => {
      // A refused socket (a token gone stale) closes at once: back off, and say so.
      status("disconnected: retrying", "down");
      retries += 1;
      setTimeout(connect, Math.min(30000, 1000 * retries));
    };
  }

  connect();
})();
