// recur board: one evaluated example of a run's examples file, right or wrong, drawn with its picture: the captioner's
// attended cells per word, VQA's and dialog's attention as a heat map over the feature grid, a tagged sentence as
// coloured tokens, an alignment matrix (g2p, translation); a picture the eval wrote beside its file (a video clip's strip
// with each frame marked right or wrong, a glimpse path, DRAW's canvases step by step).
'use strict';

const Examples = (() => {
  const esc = s => Board.esc(s);
  // Members drawn as pictures (or inside them) rather than listed as text.
  const drawn = new Set(['attended', 'objects', 'alignment', 'attention', 'source_tokens', 'output_tokens', 'words', 'tags',
    'predicted', 'unseen', 'rounds', 'grid_rows', 'grid_cols', 'scene_side', 'choices', 'probabilities', 'frames', 'picture',
    'locations', 'read_windows', 'write_windows']);

  // The example x ({index, right, example}) as HTML; grid is the run's (rows, cols) for captions, or null; base is the folder
  // of the examples file under RUNS_DIR, which the example's picture is relative to.
  function render(x, grid, base) {
    const e = x.example, verdict = x.right === true ? 'right' : x.right === false ? 'wrong' : '';
    let html = `<div class="example ${verdict}"><span class="verdict">#${x.index} ${verdict}</span>`;
    for (const k of Object.keys(e)) {
      if (drawn.has(k)) continue;
      const v = e[k];
      const text = Array.isArray(v) && v.every(s => typeof s !== 'object') ? v.join(' | ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
      html += `<div class="field"><b>${esc(k)}</b>: ${esc(text)}</div>`;
    }
    if (Array.isArray(e.choices)) {
      const p = e.probabilities || [];
      html += '<div class="field"><b>choices</b>: '
        + e.choices.map((c, i) => esc(c) + (p[i] !== undefined ? ` (${Number(p[i]).toFixed(2)})` : '')).join(' | ') + '</div>';
    }
    if (Array.isArray(e.locations))
      html += `<div class="field"><b>path</b>: ${e.locations.map(l => `(${(+l[0]).toFixed(2)}, ${(+l[1]).toFixed(2)})`).join(' → ')}</div>`;
    if (typeof e.picture === 'string') html += picture(e, base);
    if (Array.isArray(e.attended)) html += attendedCells(e, grid);
    if (Array.isArray(e.words) && Array.isArray(e.tags) && Array.isArray(e.predicted)) html += tagged(e);
    if (Array.isArray(e.attention) && e.grid_rows) html += '<div class="maps">' + maps(e, e.attention, e.prediction) + '</div>';
    if (Array.isArray(e.rounds)) html += rounds(e);
    if (Array.isArray(e.alignment) && e.alignment.length && Array.isArray(e.alignment[0]))
      html += alignment(e.alignment, e.source_tokens || [], e.output_tokens || []);
    return html + '</div>';
  }

  // The picture the eval wrote (under the run's examples/ folder); for a clip, a mark under each frame: green when the classes
  // predicted visible are the true ones, red otherwise (the classes on hover).
  function picture(e, base) {
    const path = (base ? base + '/' : '') + e.picture, src = `files/${path.split('/').map(encodeURIComponent).join('/')}`;
    if (!Array.isArray(e.frames)) return `<img class="picture" src="${src}" alt="${esc(e.picture)}">`;
    // a clip's strip is written at half size: shown at the frames' own 64 pixels, each frame's mark under it
    const w = 64, n = e.frames.length;
    let html = `<img class="picture" src="${src}" alt="${esc(e.picture)}" width="${n * w}">`;
    html += `<svg class="frames" width="${n * w}" height="14" data-frames="${n}" data-wrong="${e.frames.filter(f => !f.right).length}">`;
    e.frames.forEach((f, t) => {
      html += `<rect class="${f.right ? 'right' : 'wrong'}" x="${t * w + 1}" y="1" width="${w - 2}" height="12" fill="${f.right ? '#2e7d32' : '#c62828'}">`
        + `<title>frame ${t + 1}: visible ${esc(f.visible.join(', ') || '-')}; predicted ${esc(f.predicted.join(', ') || '-')}</title></rect>`;
    });
    return html + '</svg>';
  }

  // One small scene grid per generated word (captions): each cell shaded by the weight the word gave it, the objects named.
  function attendedCells(e, grid) {
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

  // Heat maps of attention over the feature grid (one per hop), the scene's cells drawn over them and its objects named.
  function maps(e, list, label) {
    return list.map((weights, hop) => heatMap(e, weights, list.length > 1 ? `hop ${hop + 1}` : label)).join('');
  }

  // Each feature cell shaded by its weight over the map's largest (so a spread-out map still shows where it peaks).
  function heatMap(e, weights, label) {
    const rows = e.grid_rows, cols = e.grid_cols, side = e.scene_side || 3, size = 108, cw = size / cols, ch = size / rows;
    const max = Math.max(1e-9, ...weights);
    let svg = `<svg class="heatmap" width="${size + 2}" height="${size + 18}" data-cells="${weights.length}" data-max="${max.toFixed(3)}">`;
    weights.forEach((v, c) => {
      svg += `<rect x="${(c % cols) * cw + 1}" y="${Math.floor(c / cols) * ch + 1}" width="${cw}" height="${ch}" fill="#d32f2f" `
        + `fill-opacity="${(v / max).toFixed(3)}"><title>${(+v).toFixed(4)}</title></rect>`;
    });
    const s = size / side;
    for (let i = 0; i <= side; i++)
      svg += `<line class="scene" x1="1" y1="${i * s + 1}" x2="${size + 1}" y2="${i * s + 1}"/>`
        + `<line class="scene" x1="${i * s + 1}" y1="1" x2="${i * s + 1}" y2="${size + 1}"/>`;
    for (const o of e.objects || [])
      svg += `<text x="${(o.cell % side) * s + 4}" y="${Math.floor(o.cell / side) * s + s / 2 + 4}" font-size="9">${esc(o.class)}</text>`;
    return svg + `<text x="${size / 2}" y="${size + 14}" text-anchor="middle">${esc(label || '')} (max ${max.toFixed(2)})</text></svg>`;
  }

  // A dialog's rounds: each question, the right answer and the model's (a wrong one marked), with the round's attention.
  function rounds(e) {
    return '<div class="rounds">' + e.rounds.map((r, i) => {
      const cls = r.correct ? 'right' : 'wrong';
      return `<div class="round ${cls}"><div class="field"><b>${i + 1}.</b> ${esc(r.question)} <b>answer</b> ${esc(r.answer)}`
        + ` <b>model</b> <span class="verdict">${esc(r.prediction)}</span>${r.needs_history ? ' <i>(needs the history)</i>' : ''}</div>`
        + (Array.isArray(r.attention) && e.grid_rows ? '<div class="maps">' + maps(e, r.attention, r.prediction) + '</div>' : '') + '</div>';
    }).join('') + '</div>';
  }

  // A tagged sentence: each word coloured by the tag the model gave it; a wrong tag struck through, the true one beside it.
  function tagged(e) {
    return '<div class="tagged">' + e.words.map((w, i) => {
      const p = e.predicted[i], t = e.tags[i], wrong = p !== t, unseen = e.unseen && e.unseen[i];
      return `<span class="tok hue-${hue(p)}${wrong ? ' wrong-tag' : ''}${unseen ? ' unseen' : ''}">${esc(w)}`
        + `<sub>${wrong ? `<s>${esc(p)}</s> ${esc(t)}` : esc(p)}</sub></span>`;
    }).join(' ') + '</div>';
  }

  // One of board.css's twelve light colours (hue-0 .. hue-11) for each tag name (the page allows no inline style).
  function hue(tag) {
    let h = 0;
    for (const ch of String(tag)) h = (h * 31 + ch.charCodeAt(0)) % 12;
    return h;
  }

  // A heat map of an alignment (output steps by source steps), as g2p reports it.
  function alignment(m, src, out) {
    const size = 16, left = 60, top = 40, rows = m.length, cols = m[0].length;
    let svg = `<svg class="alignment" width="${left + cols * size + 4}" height="${top + rows * size + 4}" data-rows="${rows}" data-cols="${cols}">`;
    for (let j = 0; j < cols; j++) svg += `<text x="${left + j * size + 4}" y="${top - 4}" font-size="10">${esc(src[j] || '')}</text>`;
    for (let i = 0; i < rows; i++) {
      svg += `<text x="${left - 4}" y="${top + i * size + 12}" text-anchor="end" font-size="10">${esc(out[i] || '')}</text>`;
      for (let j = 0; j < cols; j++)
        svg += `<rect x="${left + j * size}" y="${top + i * size}" width="${size}" height="${size}" fill="#1565c0" `
          + `fill-opacity="${(+m[i][j] || 0).toFixed(3)}"/>`;
    }
    return svg + '</svg>';
  }

  return { render };
})();
