// Draws the model page's charts from the JSON of the /v1 API, with uPlot (served by driftline).
"use strict";
(function () {
  const COLOURS = ["#0b57a4", "#b1261e", "#1a6b2c", "#7a3e9d", "#8a5a00", "#00707a", "#5b6470", "#c2185b"];
  const note = document.getElementById("charts-note");
  if (note) note.textContent = "Times are UTC. Hover a chart to read its values; the sentences above say the same in words.";

  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // Tick labels in UTC, as people write them: "6 Dec", or "14:00" when the chart spans a few days.
  function ticks(u, splits) {
    const span = splits.length > 1 ? splits[splits.length - 1] - splits[0] : 0;
    return splits.map((ts) => {
      const d = new Date(ts * 1000);
      const day = d.getUTCDate() + " " + MONTHS[d.getUTCMonth()];
      const clock = String(d.getUTCHours()).padStart(2, "0") + ":" + String(d.getUTCMinutes()).padStart(2, "0");
      if (span > 4 * 86400) return day;
      return clock === "00:00" ? day : clock;
    });
  }

  function axes(yLabel) {
    return [
      { label: "time (UTC)", stroke: "#1b1f24", grid: { stroke: "#e3e7eb" }, values: ticks },
      { label: yLabel, stroke: "#1b1f24", grid: { stroke: "#e3e7eb" }, size: 60 },
    ];
  }

  function series(name, colour, extra) {
    return Object.assign({ label: name, stroke: colour, width: 2, spanGaps: false }, extra || {});
  }

  function empty(el, text) {
    el.innerHTML = "";
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = text;
    el.appendChild(p);
  }

  const BUILD = {
    traffic(d) {
      return { data: [d.t, d.requests, d.failures], y: d.bucket_hours > 1 ? "requests per day" : "requests per hour",
        series: [series("predictions", COLOURS[0]), series("failures", COLOURS[1])],
        none: d.requests.every((v) => !v) ? "No requests were logged in the last " + d.days + " days." : null };
    },
    latency(d) {
      return { data: [d.t, d.p50_ms, d.p95_ms], y: "milliseconds",
        series: [series("median", COLOURS[0]), series("95th percentile", COLOURS[4], { dash: [6, 4] })],
        none: d.p50_ms.every((v) => v === null) ? "No requests were logged in the last " + d.days + " days." : null };
    },
    requests(d) {
      return { data: [d.t, d.requests_per_hour || []], y: "predictions per hour",
        series: [series("predictions per hour", COLOURS[0])],
        none: d.windows ? null : "Monitoring has not run for this model yet." };
    },
    drift(d) {
      const names = Object.keys(d.features || {});
      return { data: [d.t, ...names.map((n) => d.features[n])], y: "effect size",
        series: names.map((n, i) => series(n, COLOURS[i % COLOURS.length])),
        none: names.length ? null : "No drift has been measured for this model yet." };
    },
    performance(d) {
      const p = d.performance;
      if (!p) return { none: "Performance is not estimated for this model (monitoring ran without a labelled reference)." };
      const ref = d.t.map(() => p.reference);
      return { data: [d.t, p.low, p.high, p.estimated, p.realized, ref], y: p.metric.replace("_", " "),
        series: [
          series("band, low", "rgba(11,87,164,0.35)", { width: 1 }),
          series("band, high", "rgba(11,87,164,0.35)", { width: 1 }),
          series("estimated " + p.metric, COLOURS[0]),
          series("realized " + p.metric, COLOURS[2], { points: { show: false } }),
          series("before deployment", COLOURS[6], { dash: [4, 4], width: 1 }),
        ],
        bands: [{ series: [2, 1], fill: "rgba(11,87,164,0.12)" }] };
    },
  };

  // Charts drawn from the same series share one request.
  const asked = new Map();
  function load(src) {
    if (!asked.has(src)) {
      asked.set(src, fetch(src, { credentials: "same-origin" }).then(async (answer) => {
        const body = await answer.json();
        if (!answer.ok) throw new Error(body.error || "the server answered " + answer.status);
        return body;
      }));
    }
    return asked.get(src);
  }

  // A series needs no more points than the widest chart has pixels: the server cuts it to that.
  const area = document.querySelector(".charts");
  const pixels = Math.max(100, Math.min(2000, Math.round(area ? area.clientWidth : 800)));

  function source(fig) {
    const src = fig.dataset.src;
    if (fig.dataset.points !== "width") return src;
    return src + (src.includes("?") ? "&" : "?") + "points=" + pixels;
  }

  async function draw(fig) {
    const el = fig.querySelector(".plot");
    let body;
    try {
      body = await load(source(fig));
    } catch (err) {
      return empty(el, "The data could not be read: " + err.message);
    }
    const spec = BUILD[fig.dataset.chart](body);
    if (spec.none) return empty(el, spec.none);
    const width = Math.max(280, el.clientWidth || fig.clientWidth - 24);
    const opts = {
      width: width, height: 240,
      series: [{ label: "time (UTC)", value: (u, ts) => ts == null ? "--" : new Date(ts * 1000).toISOString().slice(0, 16).replace("T", " ") }, ...spec.series],
      axes: axes(spec.y), scales: { x: { time: true } },
      legend: { live: true }, cursor: { focus: { prox: 16 } },
    };
    if (spec.bands) opts.bands = spec.bands;
    el.innerHTML = "";
    new uPlot(opts, spec.data, el);
  }

  document.querySelectorAll("figure.chart[data-src]").forEach(draw);
})();
