// recur board: line charts drawn as SVG, with linear or log axes; no library.
'use strict';

const Charts = (() => {
  const NS = 'http://www.w3.org/2000/svg';
  const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Exponential moving average with the start-up bias removed (as TensorBoard smooths); weight 0 leaves the values as they are.
  function smooth(ys, weight) {
    if (!(weight > 0)) return ys.slice();
    const out = new Array(ys.length);
    let last = 0, n = 0;
    for (let i = 0; i < ys.length; i++) {
      const y = ys[i];
      if (y === null || !isFinite(y)) { out[i] = null; continue; }
      last = last * weight + (1 - weight) * y;
      n++;
      out[i] = last / (1 - Math.pow(weight, n));
    }
    return out;
  }

  // About five round tick values between lo and hi.
  function ticks(lo, hi, log) {
    if (log) {
      const out = [];
      for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) if (e >= lo - 1e-9 && e <= hi + 1e-9) out.push(e);
      if (out.length >= 2) return out;
    }
    const span = hi - lo || Math.abs(hi) || 1;
    const step0 = span / 5, mag = Math.pow(10, Math.floor(Math.log10(step0)));
    const step = [1, 2, 5, 10].map(m => m * mag).find(s => span / s <= 6) || 10 * mag;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }

  function label(v, log) {
    const x = log ? Math.pow(10, v) : v;
    const a = Math.abs(x);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(1);
    return String(Number(x.toPrecision(4)));
  }

  // Draws curves [{id, color, xs, ys, raw}] into svg; returns how many curves were drawn (two points or more).
  function draw(svg, curves, opt) {
    opt = opt || {};
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const W = svg.clientWidth || 620, H = svg.clientHeight || 340;
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    const m = { l: 58, r: 12, t: 10, b: 34 };
    const tx = v => (opt.logX ? (v > 0 ? Math.log10(v) : null) : v);
    const ty = v => (opt.logY ? (v > 0 ? Math.log10(v) : null) : v);
    const prepared = curves.map(c => {
      const pts = [], raw = [];
      for (let i = 0; i < c.xs.length; i++) {
        const x = c.xs[i] === null ? null : tx(c.xs[i]);
        const y = c.ys[i] === null ? null : ty(c.ys[i]);
        if (x !== null && y !== null && isFinite(x) && isFinite(y)) pts.push([x, y]);
        if (c.raw) {
          const r = c.raw[i] === null ? null : ty(c.raw[i]);
          if (x !== null && r !== null && isFinite(x) && isFinite(r)) raw.push([x, r]);
        }
      }
      return { c, pts, raw };
    });
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const p of prepared) for (const [x, y] of p.pts) {
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    svg.dataset.curves = '0';
    svg.dataset.points = String(prepared.reduce((s, p) => s + p.pts.length, 0));
    if (!isFinite(x0)) {
      svg.appendChild(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, opt.empty || 'no points yet'));
      return 0;
    }
    if (x1 === x0) { x0 -= 1; x1 += 1; }
    if (y1 === y0) { const d = Math.abs(y0) * 0.05 || 1; y0 -= d; y1 += d; }
    const pad = (y1 - y0) * 0.04; y0 -= pad; y1 += pad;
    const sx = v => m.l + (v - x0) / (x1 - x0) * (W - m.l - m.r);
    const sy = v => H - m.b - (v - y0) / (y1 - y0) * (H - m.t - m.b);
    for (const v of ticks(x0, x1, opt.logX)) {
      svg.appendChild(el('line', { class: 'grid', x1: sx(v), x2: sx(v), y1: m.t, y2: H - m.b }));
      svg.appendChild(el('text', { x: sx(v), y: H - m.b + 14, 'text-anchor': 'middle' }, label(v, opt.logX)));
    }
    for (const v of ticks(y0, y1, opt.logY)) {
      svg.appendChild(el('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: sy(v), y2: sy(v) }));
      svg.appendChild(el('text', { x: m.l - 4, y: sy(v) + 4, 'text-anchor': 'end' }, label(v, opt.logY)));
    }
    svg.appendChild(el('line', { class: 'axis', x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b }));
    svg.appendChild(el('line', { class: 'axis', x1: m.l, x2: m.l, y1: m.t, y2: H - m.b }));
    svg.appendChild(el('text', { x: (W + m.l) / 2, y: H - 4, 'text-anchor': 'middle' }, (opt.xLabel || '') + (opt.logX ? ' (log)' : '')));
    const path = pts => pts.map(([x, y], i) => (i ? 'L' : 'M') + sx(x).toFixed(1) + ' ' + sy(y).toFixed(1)).join('');
    let drawn = 0;
    for (const p of prepared) {
      if (p.raw.length >= 2) svg.appendChild(el('path', { class: 'raw', stroke: p.c.color, d: path(p.raw) }));
      if (p.pts.length === 0) continue;
      if (p.pts.length === 1) {
        svg.appendChild(el('circle', { cx: sx(p.pts[0][0]), cy: sy(p.pts[0][1]), r: 3, fill: p.c.color, 'data-run': p.c.id }));
        continue;
      }
      const e = el('path', { class: 'curve', stroke: p.c.color, d: path(p.pts), 'data-run': p.c.id, 'data-points': p.pts.length });
      e.appendChild(el('title', {}, p.c.id));
      svg.appendChild(e);
      drawn++;
    }
    svg.dataset.curves = String(drawn);
    return drawn;
  }

  return { draw, smooth, ticks, color: i => PALETTE[i % PALETTE.length], el };
})();
