// recur board: one run's page: overview (command, options, scores), samples, the eval browser (drawn by examples.js), files and pages.
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
    if (!examples.file) {
      body.innerHTML = '<p>no example files (captions.jsonl, answers.jsonl, dialogs.jsonl, tags.jsonl, pronunciations.jsonl, '
        + 'translations.jsonl, clips.jsonl, glimpses.jsonl, draws.jsonl, ...) in this run yet: run its eval.</p>';
      return;
    }
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
      + d.examples.map(x => Examples.render(x, grid, examples.file.split('/').slice(0, -1).join('/'))).join('');
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

  return { open };
})();
