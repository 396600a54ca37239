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

  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // label writes a value of a column as a reader reads it: a time bucket
  // by its period ("Jan 2022", "Q1 2022", "2022", "Jan 3, 2022"), read
  // from its wall-clock text, with no time zone conversion.
  function label(col, v) {
    if (v === null || v === undefined) return "∅";
    const unit = col && col.unit;
    const m = typeof v === "string" && /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(v);
    if (!unit || /-of-/.test(unit) || !m) return typeof v === "object" ? JSON.stringify(v) : String(v);
    const [y, mo, d, hh, mm] = [m[1], Number(m[2]), Number(m[3]), m[4], m[5]];
    switch (unit) {
      case "year": return y;
      case "quarter": return `Q${Math.floor((mo - 1) / 3) + 1} ${y}`;
      case "month": return `${MONTHS[mo - 1]} ${y}`;
      case "week": return `Week of ${MONTHS[mo - 1]} ${d}, ${y}`;
      case "day": return `${MONTHS[mo - 1]} ${d}, ${y}`;
    }
    return `${MONTHS[mo - 1]} ${d}, ${y} ${hh || "00"}:${mm || "00"}`;
  }

  // niceTicks are about n round values spanning lo to hi.
  function niceTicks(lo, hi, n) {
    const raw = (hi - lo) / Math.max(1, n);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step / 1e6; v += step) out.push(Math.round(v / step) * step);
    return out;
  }

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
    const ticks = niceTicks(lo, hi, 5);
    lo = Math.min(lo, ticks[0]);
    hi = Math.max(hi, ticks[ticks.length - 1]);
    return { lo, hi, ticks, y: (v) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - (v - lo) / (hi - lo)) };
  }

  function axes(svg, s, caption) {
    for (const v of s.ticks) {
      svg.append(el("line", { class: "grid", x1: PAD.left, y1: s.y(v), x2: W - PAD.right, y2: s.y(v) }));
      svg.append(el("text", { class: "tick y", x: PAD.left - 6, y: s.y(v) + 4, "text-anchor": "end" }, format(v)));
    }
    svg.append(el("line", { class: "axis", x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }));
    svg.append(el("line", { class: "axis", x1: PAD.left, y1: s.y(0), x2: W - PAD.right, y2: s.y(0) }));
    svg.append(el("text", { class: "label", x: PAD.left, y: H - 8 }, caption));
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
        c.append(el("title", {}, `${label(cols[0], rows[i][0])}: ${format(rows[i][last])}`));
        svg.append(c);
      });
      // About six time labels under the line, evenly spread.
      const every = Math.max(1, Math.ceil(rows.length / 6));
      pts.forEach(([x], i) => {
        if (i % every === 0) {
          const anchor = i === 0 ? "start" : x > W - PAD.right - 40 ? "end" : "middle";
          svg.append(el("text", { class: "tick x", x: x.toFixed(1), y: H - PAD.bottom + 16, "text-anchor": anchor }, label(cols[0], rows[i][0])));
        }
      });
    } else {
      rows.forEach((r, i) => {
        const v = typeof r[last] === "number" ? r[last] : 0;
        const y = Math.min(s.y(v), s.y(0)), h = Math.abs(s.y(v) - s.y(0));
        const b = el("rect", { class: "bar", x: (PAD.left + i * step + step * 0.1).toFixed(1), y: y.toFixed(1), width: (step * 0.8).toFixed(1), height: h.toFixed(1) });
        b.append(el("title", {}, `${label(cols[0], r[0])}: ${format(v)}`));
        svg.append(b);
        if (rows.length <= 12) {
          svg.append(el("text", { class: "tick x", x: (PAD.left + i * step + step / 2).toFixed(1), y: H - PAD.bottom + 14, "text-anchor": "middle" }, label(cols[0], r[0])));
        }
      });
    }
    host.append(svg);
    return k;
  }

  return { draw, kind, label };
})();
