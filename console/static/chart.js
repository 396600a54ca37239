// chart.js draws an answer as SVG: a line over time buckets, bars over
// categories, or a single number. It reads only the answer it is given.
"use strict";

const Chart = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const W = 720, H = 300, PAD = { left: 64, right: 16, top: 16, bottom: 48 };

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const numeric = (col) => /Integer|Float|Decimal|Number|BigInteger/.test(col.base_type || "");

  // kind says which chart suits an answer: "line" for a temporal bucket
  // and a number, "bars" for a category and a number, "number" for one
  // value, "" for none.
  function kind(cols, rows) {
    if (rows.length === 0) return "";
    if (cols.length === 1 && rows.length === 1 && numeric(cols[0])) return "number";
    if (cols.length < 2 || !numeric(cols[cols.length - 1])) return "";
    if (cols[0].unit && !/-of-/.test(cols[0].unit)) return "line";
    return rows.length <= 60 ? "bars" : "";
  }

  function scale(values) {
    const nums = values.filter((v) => typeof v === "number");
    let lo = Math.min(0, ...nums), hi = Math.max(0, ...nums);
    if (lo === hi) hi = lo + 1;
    return { lo, hi, y: (v) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - (v - lo) / (hi - lo)) };
  }

  function axes(svg, s, label) {
    svg.append(el("line", { class: "axis", x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }));
    svg.append(el("line", { class: "axis", x1: PAD.left, y1: s.y(0), x2: W - PAD.right, y2: s.y(0) }));
    for (const v of [s.lo, (s.lo + s.hi) / 2, s.hi]) {
      svg.append(el("text", { class: "tick", x: PAD.left - 6, y: s.y(v) + 4, "text-anchor": "end" }, format(v)));
    }
    svg.append(el("text", { class: "label", x: PAD.left, y: H - 8 }, label));
  }

  function format(v) {
    if (typeof v !== "number") return String(v);
    return Math.abs(v) >= 1000 ? v.toLocaleString("en-US", { maximumFractionDigits: 0 }) : String(Math.round(v * 100) / 100);
  }

  // draw puts a chart of the answer into host, and returns its kind.
  function draw(host, cols, rows) {
    host.replaceChildren();
    const k = kind(cols, rows);
    if (!k) return "";
    const last = cols.length - 1;
    if (k === "number") {
      const svg = el("svg", { viewBox: `0 0 ${W} 120`, role: "img", "aria-label": cols[0].display_name, "data-kind": k });
      svg.append(el("text", { class: "number", x: W / 2, y: 70, "text-anchor": "middle" }, format(rows[0][0])));
      svg.append(el("text", { class: "label", x: W / 2, y: 105, "text-anchor": "middle" }, cols[0].display_name));
      host.append(svg);
      return k;
    }
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "data-kind": k,
      "aria-label": `${cols[last].display_name} by ${cols[0].display_name}` });
    const s = scale(rows.map((r) => r[last]));
    axes(svg, s, `${cols[last].display_name} by ${cols[0].display_name}`);
    const step = (W - PAD.left - PAD.right) / Math.max(1, rows.length - (k === "line" ? 1 : 0));
    if (k === "line") {
      const pts = rows.map((r, i) => [PAD.left + (rows.length === 1 ? 0 : i * step), s.y(typeof r[last] === "number" ? r[last] : 0)]);
      svg.append(el("polyline", { class: "series", points: pts.map((p) => p.map((x) => x.toFixed(1)).join(",")).join(" ") }));
      pts.forEach(([x, y], i) => {
        const c = el("circle", { class: "point", cx: x.toFixed(1), cy: y.toFixed(1), r: 3 });
        c.append(el("title", {}, `${rows[i][0]}: ${format(rows[i][last])}`));
        svg.append(c);
      });
    } else {
      rows.forEach((r, i) => {
        const v = typeof r[last] === "number" ? r[last] : 0;
        const y = Math.min(s.y(v), s.y(0)), h = Math.abs(s.y(v) - s.y(0));
        const b = el("rect", { class: "bar", x: (PAD.left + i * step + step * 0.1).toFixed(1), y: y.toFixed(1), width: (step * 0.8).toFixed(1), height: h.toFixed(1) });
        b.append(el("title", {}, `${r[0]}: ${format(v)}`));
        svg.append(b);
        if (rows.length <= 12) {
          svg.append(el("text", { class: "tick", x: (PAD.left + i * step + step / 2).toFixed(1), y: H - PAD.bottom + 14, "text-anchor": "middle" }, String(r[0])));
        }
      });
    }
    host.append(svg);
    return k;
  }

  return { draw, kind };
})();
