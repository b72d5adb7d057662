// recur board: the run list, the overlaid curves (followed live), comparisons; a run's own page is runview.js.
'use strict';

const Board = (() => {
  const $ = id => document.getElementById(id);
  const state = {
    runs: [], comparisons: [], byId: new Map(), selected: [], curves: new Map(), colors: new Map(),
    sortKey: 'updated_ms', sortDir: -1, filter: '', followGen: 0, updates: 0, listText: null, listDrawn: 0, liveLimit: 0, pointsHistory: [],
  };

  const esc = s => String(s === null || s === undefined ? '' : s)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const num = v => (v === null || v === undefined || !isFinite(v) ? '' : Number(v).toPrecision(5).replace(/\.?0+$/, ''));
  const count = n => (n < 0 ? '' : n >= 1e6 ? (n / 1e6).toFixed(2) + 'M' : n >= 1e3 ? (n / 1e3).toFixed(1) + 'k' : String(n));
  function duration(s) {
    if (s === null || !isFinite(s)) return '';
    if (s < 60) return s.toFixed(0) + ' s';
    if (s < 3600) return (s / 60).toFixed(1) + ' min';
    return (s / 3600).toFixed(2) + ' h';
  }
  function ago(ms) {
    const s = (Date.now() - ms) / 1000;
    return s < 90 ? s.toFixed(0) + ' s ago' : s < 5400 ? (s / 60).toFixed(0) + ' min ago'
      : s < 172800 ? (s / 3600).toFixed(1) + ' h ago' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  }

  // The page's state in its address: #runs=a,b&run=a&tab=examples (and live=N: stop following after N updates, for tests).
  function readHash() {
    const h = new URLSearchParams(location.hash.slice(1));
    state.selected = (h.get('runs') || '').split(',').filter(Boolean);
    state.liveLimit = parseInt(h.get('live') || '0', 10) || 0;
    return { run: h.get('run'), tab: h.get('tab'), compare: h.get('compare') };
  }
  function writeHash(extra) {
    const h = new URLSearchParams(location.hash.slice(1));
    if (state.selected.length) h.set('runs', state.selected.join(',')); else h.delete('runs');
    for (const k in extra || {}) { if (extra[k]) h.set(k, extra[k]); else h.delete(k); }
    history.replaceState(null, '', '#' + h.toString().replace(/%2C/g, ',').replace(/%2F/g, '/'));
  }

  async function getJson(url, options) {
    const r = await fetch(url, options);
    if (!r.ok) throw new Error(url + ': ' + r.status);
    return r.json();
  }

  // Reads the list; an answer unchanged since the last one (the common case, every 5 seconds) is not parsed or drawn again
  // (only once a minute, so that the "updated ... ago" column moves on).
  async function loadRuns() {
    const r = await fetch('api/runs');
    if (!r.ok) throw new Error('api/runs: ' + r.status);
    const text = await r.text();
    if (text === state.listText && Date.now() - state.listDrawn < 60000) return;
    state.listText = text;
    state.listDrawn = Date.now();
    const d = JSON.parse(text);
    state.runs = d.runs;
    state.byId = new Map(d.runs.map(r => [r.id, r]));
    state.comparisons = d.comparisons;
    $('root').textContent = d.root;
    renderList();
    renderComparisons();
  }

  function matches(r, words) {
    for (const w of words) {
      const i = w.indexOf(':');
      if (i > 0) {
        const v = r[w.slice(0, i)];
        if (v === undefined || !String(v).toLowerCase().includes(w.slice(i + 1))) return false;
      } else if (![r.id, r.task, r.model, r.status, r.best_by].join(' ').toLowerCase().includes(w)) return false;
    }
    return true;
  }

  function renderList() {
    const words = state.filter.toLowerCase().split(/\s+/).filter(Boolean);
    const rows = state.runs.filter(r => matches(r, words));
    const k = state.sortKey, dir = state.sortDir;
    rows.sort((a, b) => {
      const x = a[k], y = b[k];
      if (x === y) return a.id < b.id ? -1 : 1;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * dir;
    });
    const selected = new Set(state.selected);
    const html = rows.map(r => {
      const best = r.best === null ? '' : num(r.best) + (r.best_by ? ' (' + esc(r.best_by) + ')' : '');
      return `<tr data-id="${esc(r.id)}"${selected.has(r.id) ? ' class="selected"' : ''}>`
        + `<td class="pick"><input type="checkbox"${selected.has(r.id) ? ' checked' : ''}></td>`
        + `<td><a class="run-link">${esc(r.id)}</a></td><td>${esc(r.task)}</td><td>${esc(r.model)}</td>`
        + `<td class="num">${count(r.parameters)}</td><td class="status-${esc(r.status)}">${esc(r.status)}</td>`
        + `<td class="num">${best}</td><td class="num">${r.iterations < 0 ? '' : r.iterations}</td>`
        + `<td class="num">${duration(r.elapsed_s)}</td><td class="num">${ago(r.updated_ms)}</td></tr>`;
    }).join('');
    document.querySelector('#runs tbody').innerHTML = html;
    $('count').textContent = `${rows.length} of ${state.runs.length} runs`;
    for (const th of document.querySelectorAll('#runs th[data-key]')) {
      th.classList.toggle('sorted-up', th.dataset.key === k && dir > 0);
      th.classList.toggle('sorted-down', th.dataset.key === k && dir < 0);
    }
    document.body.dataset.rows = String(rows.length);
  }

  function renderComparisons() {
    const box = $('comparisons');
    if (!state.comparisons.length) { box.innerHTML = ''; return; }
    box.innerHTML = '<b>comparisons:</b> ' + state.comparisons.map(c => `<a class="run-link" data-compare="${esc(c)}">${esc(c)}</a>`).join(', ');
  }

  function colorOf(id) {
    if (!state.colors.has(id)) state.colors.set(id, Charts.color(state.colors.size));
    return state.colors.get(id);
  }

  function toggle(id) {
    const i = state.selected.indexOf(id);
    if (i >= 0) state.selected.splice(i, 1); else state.selected.push(id);
    writeHash();
    renderList();
    follow();
    drawCharts();
  }

  // Follows the selected runs: one request for all of them, which the server holds until one has new lines (long polling).
  async function follow() {
    const gen = ++state.followGen;
    let first = true;
    while (gen === state.followGen && state.selected.length) {
      const ids = state.selected.slice();
      const versions = ids.map(id => (state.curves.has(id) ? state.curves.get(id).version : -1));
      const url = `api/metrics?runs=${ids.map(encodeURIComponent).join(',')}&versions=${versions.join(',')}&wait=${first ? 0 : 20}`;
      first = false;
      let d;
      try { d = await getJson(url); }
      catch (e) { $('status').textContent = 'connection lost; retrying'; await new Promise(r => setTimeout(r, 3000)); continue; }
      if (gen !== state.followGen) return;
      $('status').textContent = 'live';
      let grew = false;
      for (const run of d.runs) {
        const before = state.curves.has(run.id) ? state.curves.get(run.id).train.lines + state.curves.get(run.id).val.lines : 0;
        state.curves.set(run.id, run);
        if (run.train.lines + run.val.lines > before) grew = true;
      }
      if (d.runs.length) drawCharts();
      if (grew) {
        state.updates++;
        state.pointsHistory.push(state.selected.map(id => (state.curves.has(id) ? state.curves.get(id).train.lines : 0)).join('+'));
        document.body.dataset.updates = String(state.updates);
        document.body.dataset.pointsHistory = state.pointsHistory.join(' ');
      }
      if (state.liveLimit && state.updates >= state.liveLimit) { document.body.dataset.liveDone = '1'; return; }
    }
  }

  function valMetrics() {
    const names = new Set();
    for (const id of state.selected) {
      const c = state.curves.get(id);
      if (c) for (const k of Object.keys(c.val.values)) names.add(k);
    }
    return [...names].sort((a, b) => (a === 'val_loss' ? -1 : b === 'val_loss' ? 1 : a < b ? -1 : 1));
  }

  function drawCharts() {
    const sel = $('val-metric');
    const metrics = valMetrics(), current = sel.value;
    const options = metrics.map(m => `<option${m === current ? ' selected' : ''}>${esc(m)}</option>`).join('');
    if (sel.innerHTML !== options) sel.innerHTML = options;
    const metric = sel.value || 'val_loss';
    const xKey = $('x-axis').value, weight = parseFloat($('smoothing').value);
    $('smoothing-value').textContent = weight.toFixed(2);
    const xOf = s => (xKey === 'elapsed_s' ? s.elapsed_s.map(t => (t === null ? null : t / 60)) : s.iter);
    const opt = { logX: $('log-x').checked, logY: $('log-y').checked, xLabel: xKey === 'elapsed_s' ? 'minutes' : 'iteration' };
    const train = [], val = [];
    for (const id of state.selected) {
      const c = state.curves.get(id);
      if (!c) continue;
      const color = colorOf(id);
      const loss = c.train.values.loss || [];
      train.push({ id, color, xs: xOf(c.train), ys: Charts.smooth(loss, weight), raw: weight > 0 ? loss : null });
      const v = c.val.values[metric] || [];
      val.push({ id, color, xs: xOf(c.val), ys: v });
    }
    $('val-caption').textContent = 'validation: ' + metric + ' (as measured; smoothing applies to the training loss)';
    Charts.draw($('val-chart'), val, Object.assign({ empty: state.selected.length ? 'no validation yet' : 'tick runs to plot them' }, opt));
    Charts.draw($('train-chart'), train, Object.assign({ empty: state.selected.length ? 'no training lines yet' : 'tick runs to plot them' }, opt));
    $('legend').innerHTML = state.selected.map(id => {
      const c = state.curves.get(id);
      const best = c && c.best ? ` best ${esc(c.best.by)} ${num(c.best.value)} at ${c.best.iter}` : '';
      const skipped = c && c.skipped ? ` (${c.skipped} malformed lines skipped)` : '';
      return `<span><span class="swatch" data-color="${esc(colorOf(id))}"></span>${esc(id)}${best}${skipped}</span>`;
    }).join('');
    for (const s of document.querySelectorAll('#legend .swatch')) s.style.background = s.dataset.color;
  }

  async function openCompare(id) {
    const box = $('compare-view');
    box.hidden = false;
    writeHash({ compare: id });
    const d = await getJson('api/compare?dir=' + encodeURIComponent(id));
    const models = d.models || [];
    const rows = models.map(m => `<tr><td>${esc(m.model)}</td><td class="num">${count(m.parameters)}</td>`
      + `<td class="num">${num(m.train_tokens_per_s)}</td><td class="num">${num(m.sample_us_per_char)}</td>`
      + `<td class="num">${num(m.best_val_loss)}</td><td class="num">${num(m.best_val_bpc)}</td><td class="num">${m.iterations}</td>`
      + `<td>${esc(m.stop_reason)}</td></tr>`).join('');
    box.innerHTML = `<button class="close" type="button">close</button><h2>comparison ${esc(id)}</h2>`
      + (d.command ? `<pre>${esc(d.command)}</pre>` : '')
      + '<table><thead><tr><th>model</th><th class="num">parameters</th><th class="num">train tok/s</th><th class="num">sample µs/char</th>'
      + '<th class="num">best val loss</th><th class="num">bits/char</th><th class="num">iterations</th><th>stopped</th></tr></thead>'
      + `<tbody>${rows}</tbody></table><figure><figcaption>validation loss against training minutes</figcaption>`
      + '<svg id="compare-chart" class="chart"></svg></figure>';
    box.querySelector('.close').onclick = () => { box.hidden = true; writeHash({ compare: null }); };
    const curves = models.map((m, i) => ({
      id: m.model, color: Charts.color(i), xs: (m.curve || []).map(p => (p.wall_s === null ? null : p.wall_s / 60)),
      ys: (m.curve || []).map(p => p.val_loss),
    }));
    Charts.draw($('compare-chart'), curves, { xLabel: 'minutes' });
  }

  function wire() {
    document.querySelector('#runs tbody').addEventListener('click', e => {
      const tr = e.target.closest('tr');
      if (!tr) return;
      if (e.target.classList.contains('run-link')) RunView.open(tr.dataset.id, 'overview');
      else toggle(tr.dataset.id);
    });
    $('comparisons').addEventListener('click', e => { if (e.target.dataset.compare) openCompare(e.target.dataset.compare); });
    for (const th of document.querySelectorAll('#runs th[data-key]'))
      th.addEventListener('click', () => {
        if (state.sortKey === th.dataset.key) state.sortDir = -state.sortDir;
        else { state.sortKey = th.dataset.key; state.sortDir = th.classList.contains('num') ? -1 : 1; }
        renderList();
      });
    $('filter').addEventListener('input', () => { state.filter = $('filter').value; renderList(); });
    $('clear').addEventListener('click', () => { state.selected = []; writeHash(); renderList(); follow(); drawCharts(); });
    for (const id of ['val-metric', 'x-axis', 'smoothing', 'log-x', 'log-y']) $(id).addEventListener('input', drawCharts);
    window.addEventListener('resize', drawCharts);
  }

  async function start() {
    wire();
    const h = readHash();
    try { await loadRuns(); }
    catch (e) { $('status').textContent = 'could not list the runs: ' + e.message; }
    drawCharts();
    document.body.dataset.ready = '1';
    if (h.run) RunView.open(h.run, h.tab || 'overview');
    if (h.compare) openCompare(h.compare);
    follow();
    // The list is read again every few seconds (runs started since appear), except while a test counts updates.
    if (!state.liveLimit) setInterval(() => loadRuns().catch(() => { $('status').textContent = 'connection lost'; }), 5000);
  }

  return { start, esc, num, writeHash, getJson };
})();

Board.start();
