// recur board: one run's page: overview (command, options, scores), samples, the eval browser, files and pages.
'use strict';

const RunView = (() => {
  const view = () => document.getElementById('run-view');
  const esc = s => Board.esc(s);
  const fileUrl = p => 'files/' + p.split('/').map(encodeURIComponent).join('/');
  let run = null, examples = { file: null, filter: 'all', offset: 0 };

  async function open(id, tab) {
    const box = view();
    box.hidden = false;
    box.innerHTML = `<h2>${esc(id)}</h2><p>loading...</p>`;
    try { run = await Board.getJson('api/run?run=' + encodeURIComponent(id)); }
    catch (e) { box.innerHTML = `<h2>${esc(id)}</h2><p>not found: ${esc(e.message)}</p>`; return; }
    const exampleFiles = run.files.filter(f => f.kind === 'examples');
    examples = { file: exampleFiles.length ? exampleFiles[0].path : null, filter: 'all', offset: 0 };
    const tabs = ['overview', 'samples', 'examples', 'files'];
    box.innerHTML = '<button class="close" type="button">close</button>'
      + `<h2>${esc(run.id)} <small>${esc(run.task)} ${esc(run.model)}, ${esc(run.status)}</small></h2>`
      + '<div class="tabs">' + tabs.map(t => `<button type="button" data-tab="${t}">${t}</button>`).join('') + '</div><div id="run-body"></div>';
    box.querySelector('.close').onclick = () => { box.hidden = true; Board.writeHash({ run: null, tab: null }); };
    box.querySelector('.tabs').onclick = e => { if (e.target.dataset.tab) show(e.target.dataset.tab); };
    show(tabs.includes(tab) ? tab : 'overview');
  }

  function show(tab) {
    Board.writeHash({ run: run.id, tab });
    for (const b of view().querySelectorAll('.tabs button')) b.classList.toggle('active', b.dataset.tab === tab);
    const body = document.getElementById('run-body');
    if (tab === 'overview') body.innerHTML = overview();
    else if (tab === 'samples') body.innerHTML = samples();
    else if (tab === 'files') body.innerHTML = files();
    else if (tab === 'examples') showExamples();
    view().dataset.tab = tab;
  }

  function overview() {
    let html = '';
    if (run.command) html += `<h3>the command that trains it again</h3><pre class="command">${esc(run.command)}</pre>`;
    for (const s of run.scores) {
      const rows = [];
      flatten(s.json, '', rows);
      html += `<h3>${esc(s.path)}</h3><table class="scores"><tbody>`
        + rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(typeof v === 'number' ? Board.num(v) : v)}</td></tr>`).join('')
        + '</tbody></table>';
    }
    const cfg = run.config;
    if (cfg && cfg.training) {
      html += '<h3>training options</h3><table class="scores"><tbody>'
        + Object.keys(cfg.training).map(k => `<tr><td>${esc(k)}</td><td>${esc(JSON.stringify(cfg.training[k]))}</td></tr>`).join('')
        + '</tbody></table>';
    }
    if (cfg) {
      const rest = Object.assign({}, cfg);
      delete rest.training; delete rest.vocabulary;
      html += `<h3>config.json (vocabulary left out)</h3><pre>${esc(JSON.stringify(rest, null, 2))}</pre>`;
    }
    return html || '<p>no checkpoint or scores yet.</p>';
  }

  function flatten(v, prefix, out) {
    if (v === null || typeof v !== 'object') { out.push([prefix, v]); return; }
    if (Array.isArray(v) && v.every(x => typeof x !== 'object')) { out.push([prefix, v.map(x => (typeof x === 'number' ? Board.num(x) : x)).join(', ')]); return; }
    for (const k of Object.keys(v)) flatten(v[k], prefix ? prefix + '.' + k : k, out);
  }

  function samples() {
    if (!run.samples.length) return '<p>no samples written (char LM runs write samples.jsonl with --sample-every; a gallery writes samples/).</p>';
    const list = run.samples.slice().sort((a, b) => (a.iteration ?? a.iter ?? 0) - (b.iteration ?? b.iter ?? 0));
    return list.map(s => {
      const it = s.iteration ?? s.iter, loss = s.validation_loss ?? s.val_loss;
      return `<h3>iteration ${esc(it)}${loss !== undefined && loss !== null ? ', validation loss ' + Board.num(loss) : ''}`
        + `${s.temperature !== undefined ? ', temperature ' + esc(s.temperature) : ''}</h3><pre class="sample">${esc(s.text)}</pre>`;
    }).join('');
  }

  function files() {
    let html = '<div class="files">';
    for (const f of run.files) {
      const name = esc(f.path);
      if (f.kind === 'image') html += `<h3>${name}</h3><img alt="${name}" src="${fileUrl(f.path)}">`;
      else if (f.kind === 'page') html += `<h3>${name} <a href="${fileUrl(f.path)}" target="_blank" rel="noopener">open alone</a></h3>`
        + `<iframe class="page" sandbox="allow-scripts" src="${fileUrl(f.path)}"></iframe>`;
      else html += `<p><a href="${fileUrl(f.path)}" target="_blank" rel="noopener">${name}</a> (${f.kind}, ${f.bytes} bytes)</p>`;
    }
    return html + '</div>';
  }

  async function showExamples() {
    const body = document.getElementById('run-body');
    const files = run.files.filter(f => f.kind === 'examples');
    if (!examples.file) { body.innerHTML = '<p>no example files (captions.jsonl, translations.jsonl, ...) in this run yet: run its eval.</p>'; return; }
    const url = `api/examples?file=${encodeURIComponent(examples.file)}&filter=${examples.filter}&offset=${examples.offset}&limit=20`;
    let d;
    try { d = await Board.getJson(url); }
    catch (e) { body.innerHTML = `<p>could not read ${esc(examples.file)}: ${esc(e.message)}</p>`; return; }
    const grid = gridOf(run.config);
    body.innerHTML = '<div class="toolbar">'
      + `<select id="ex-file">${files.map(f => `<option${f.path === examples.file ? ' selected' : ''}>${esc(f.path)}</option>`).join('')}</select>`
      + `<select id="ex-filter">${['all', 'right', 'wrong'].map(f => `<option${f === examples.filter ? ' selected' : ''}>${f}</option>`).join('')}</select>`
      + `<span>${d.total} examples: ${d.right} right, ${d.wrong} wrong; showing ${d.examples.length ? d.offset + 1 : 0}`
      + `-${d.offset + d.examples.length} of ${d.matched}</span>`
      + '<button id="ex-prev" type="button">previous</button><button id="ex-next" type="button">next</button></div>'
      + d.examples.map(x => example(x, grid)).join('');
    document.getElementById('ex-file').onchange = e => { examples = { file: e.target.value, filter: examples.filter, offset: 0 }; showExamples(); };
    document.getElementById('ex-filter').onchange = e => { examples.filter = e.target.value; examples.offset = 0; showExamples(); };
    document.getElementById('ex-prev').onclick = () => { examples.offset = Math.max(0, examples.offset - 20); showExamples(); };
    document.getElementById('ex-next').onclick = () => { if (examples.offset + 20 < d.matched) { examples.offset += 20; showExamples(); } };
    view().dataset.examples = String(d.examples.length);
  }

  // The scene grid of a captioning or VQA run (rows, columns), from its config; 3 by 3 when it records none.
  function gridOf(cfg) {
    const m = cfg && cfg.model;
    if (m && m.grid_rows && m.grid_cols) return [m.grid_rows, m.grid_cols];
    return null;
  }

  function example(x, grid) {
    const e = x.example, cls = x.right === true ? 'right' : x.right === false ? 'wrong' : '';
    const verdict = x.right === true ? 'right' : x.right === false ? 'wrong' : '';
    let html = `<div class="example ${cls}"><span class="verdict">#${x.index} ${verdict}</span>`;
    for (const k of Object.keys(e)) {
      const v = e[k];
      if (['attended', 'objects', 'alignment', 'attention', 'source_tokens', 'output_tokens'].includes(k)) continue;
      const text = Array.isArray(v) && v.every(s => typeof s !== 'object') ? v.join(' | ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
      html += `<div class="field"><b>${esc(k)}</b>: ${esc(text)}</div>`;
    }
    if (Array.isArray(e.attended)) html += attentionGrid(e, grid);
    const matrix = e.alignment || e.attention;
    if (Array.isArray(matrix) && matrix.length && Array.isArray(matrix[0])) html += alignment(matrix, e.source_tokens || [], e.output_tokens || []);
    return html + '</div>';
  }

  // One small scene grid per generated word: each cell shaded by the weight the word gave it, the objects named in their cells.
  function attentionGrid(e, grid) {
    const cells = e.attended.map(a => a.cell).concat((e.objects || []).map(o => o.cell));
    const n = Math.max(1, ...cells.map(c => c + 1));
    const [rows, cols] = grid || [Math.ceil(Math.sqrt(n)), Math.ceil(Math.sqrt(n))];
    const words = String(e.caption || e.output || e.answer || '').split(' ').filter(Boolean);
    const size = 30, gap = 14, w = cols * size, h = rows * size;
    const objects = new Map((e.objects || []).map(o => [o.cell, o.class]));
    let svg = `<svg class="attention" width="${e.attended.length * (w + gap)}" height="${h + 18}" data-steps="${e.attended.length}">`;
    e.attended.forEach((a, step) => {
      const x0 = step * (w + gap);
      for (let c = 0; c < rows * cols; c++) {
        const x = x0 + (c % cols) * size, y = Math.floor(c / cols) * size;
        const weight = c === a.cell ? Math.max(0, Math.min(1, a.weight)) : 0;
        svg += `<rect class="cell" x="${x}" y="${y}" width="${size}" height="${size}" fill="#d32f2f" fill-opacity="${weight.toFixed(3)}" stroke="#bbb"/>`;
        if (objects.has(c)) svg += `<text x="${x + 2}" y="${y + size / 2 + 4}" font-size="8">${esc(objects.get(c)).slice(0, 7)}</text>`;
      }
      svg += `<text x="${x0 + w / 2}" y="${h + 13}" text-anchor="middle">${esc(words[step] || '<END>')}</text>`;
    });
    return svg + '</svg>';
  }

  // A heat map of an alignment (output steps by source steps), as g2p and translation report them.
  function alignment(m, src, out) {
    const size = 16, left = 60, top = 40, rows = m.length, cols = m[0].length;
    let svg = `<svg class="alignment" width="${left + cols * size + 4}" height="${top + rows * size + 4}">`;
    for (let j = 0; j < cols; j++) svg += `<text x="${left + j * size + 4}" y="${top - 4}" font-size="10">${esc(src[j] || '')}</text>`;
    for (let i = 0; i < rows; i++) {
      svg += `<text x="${left - 4}" y="${top + i * size + 12}" text-anchor="end" font-size="10">${esc(out[i] || '')}</text>`;
      for (let j = 0; j < cols; j++)
        svg += `<rect x="${left + j * size}" y="${top + i * size}" width="${size}" height="${size}" fill="#1565c0" fill-opacity="${(+m[i][j] || 0).toFixed(3)}"/>`;
    }
    return svg + '</svg>';
  }

  return { open };
})();
