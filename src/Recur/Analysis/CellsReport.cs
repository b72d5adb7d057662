using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Recur.Analysis;

/// <summary>Settings of <see cref="CellsReport.Build"/>.</summary>
public sealed record CellsReportOptions
{
    /// <summary>Page title.</summary>
    public string Title { get; init; } = "recur cells";

    /// <summary>A line describing the model and the text (shown under the title).</summary>
    public string Subtitle { get; init; } = "";

    /// <summary>Most characters shown in the page (the viewer text; activations embedded for each).</summary>
    public int MaxChars { get; init; } = 20_000;

    /// <summary>Most embedded activation bytes (characters x embedded cells); fewer characters are shown for big models.</summary>
    public long ByteBudget { get; init; } = 8_000_000;

    /// <summary>Characters shown in each top-cell panel.</summary>
    public int PanelChars { get; init; } = 1_000;

    /// <summary>Top cells drawn as panels per feature.</summary>
    public int PanelsPerFeature { get; init; } = 2;
}

/// <summary>
/// Writes the <c>recur cells</c> report: one self-contained HTML page (inline CSS and JavaScript, data
/// embedded as JSON and base64, images as data URLs; nothing is fetched). The page shows, per feature,
/// the best-matching cells with their correlation and the text coloured by each (blue negative, red
/// positive, intensity by magnitude, as the paper's figures); a viewer for any layer and cell of h and c
/// (LSTM) with the value under the mouse; and the gate-saturation scatter plots.
/// Activations are stored as signed bytes per cell (scale = the cell's largest |value| in the shown text).
/// </summary>
public static class CellsReport
{
    /// <summary>Builds the page's HTML.</summary>
    public static string Build(CellsAnalysis analysis, CellsReportOptions? options = null, IReadOnlyList<(int Layer, byte[] Png)>? saturationPngs = null)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        options ??= new CellsReportOptions();
        var layout = analysis.Layout;
        // Embedded rows: every h (and c) cell, plus gate cells named in the top lists.
        var rows = new List<int>();
        for (int l = 0; l < layout.Layers; l++)
        {
            for (int j = 0; j < layout.Hidden; j++) rows.Add(layout.Offset(l, "h", j));
            if (layout.Kinds.Contains("c")) for (int j = 0; j < layout.Hidden; j++) rows.Add(layout.Offset(l, "c", j));
        }
        foreach (var top in analysis.Top)
            foreach (var t in top)
                if (!rows.Contains(t.Offset)) rows.Add(t.Offset);
        int chars = (int)Math.Min(Math.Min(options.MaxChars, analysis.RenderChars), Math.Max(200, options.ByteBudget / rows.Count));
        chars = Math.Min(chars, analysis.RenderChars);

        var bytes = new byte[(long)rows.Count * chars];
        var rowMeta = new List<(CellId Cell, double Scale)>();
        for (int ri = 0; ri < rows.Count; ri++)
        {
            var src = analysis.RenderRow(rows[ri])[..chars];
            float max = 0;
            foreach (float v in src) max = Math.Max(max, Math.Abs(v));
            float scale = max > 0 ? max : 1;
            for (int p = 0; p < chars; p++) bytes[(long)ri * chars + p] = (byte)(sbyte)Math.Round(src[p] / scale * 127f);
            var id = layout.At(rows[ri]);
            rowMeta.Add((id, scale));
        }
        var rowIndex = new Dictionary<int, int>();
        for (int ri = 0; ri < rows.Count; ri++) rowIndex[rows[ri]] = ri;

        // Correlation of every embedded row with every feature (for the viewer's stats line).
        var rowCorr = rows.Select(o => analysis.Correlation.Select(c => double.IsFinite(c[o]) ? Math.Round(c[o], 3) : (double?)null).ToArray()).ToList();

        string text = string.Concat(analysis.RenderText.Take(chars));
        string note = chars < analysis.Characters
            ? $"Correlations and gate statistics are over all {analysis.Characters:N0} characters analysed; the page shows the first {chars:N0} characters"
              + (chars < options.MaxChars && chars < analysis.RenderChars
                  ? $" (capped so the embedded activations of {rows.Count:N0} cells stay under {options.ByteBudget / 1_000_000.0:0.#} MB)."
                  : ".")
            : $"All {analysis.Characters:N0} characters are shown.";
        // The page's data, written field by field (no reflection, so trimmed NativeAOT builds keep it).
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("title", options.Title);
            w.WriteString("subtitle", options.Subtitle);
            w.WriteNumber("layers", layout.Layers);
            w.WriteNumber("hidden", layout.Hidden);
            w.WriteStartArray("kinds");
            foreach (var k in layout.Kinds.Where(k => k is "h" or "c")) w.WriteStringValue(k);
            w.WriteEndArray();
            w.WriteNumber("characters", analysis.Characters);
            w.WriteNumber("shown", chars);
            w.WriteString("note", note);
            w.WriteNumber("panelChars", Math.Min(options.PanelChars, chars));
            w.WriteNumber("panels", options.PanelsPerFeature);
            w.WriteString("text", text);
            w.WriteStartArray("rows");
            foreach (var (cell, scale) in rowMeta)
            {
                w.WriteStartObject();
                WriteCell(w, cell);
                w.WriteNumber("scale", scale);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("rowCorr");
            foreach (int o in rows)
            {
                w.WriteStartArray();
                foreach (var c in analysis.Correlation)
                    if (double.IsFinite(c[o])) w.WriteNumberValue(Math.Round(c[o], 3));
                    else w.WriteNullValue();
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteStartArray("features");
            for (int f = 0; f < analysis.FeatureNames.Count; f++)
            {
                w.WriteStartObject();
                w.WriteString("name", analysis.FeatureNames[f]);
                w.WriteString("description", analysis.FeatureDescriptions[f]);
                w.WriteBoolean("constant", analysis.FeatureConstant[f]);
                w.WriteStartArray("top");
                foreach (var t in analysis.Top[f])
                {
                    w.WriteStartObject();
                    WriteCell(w, t.Cell);
                    w.WriteNumber("row", rowIndex[t.Offset]);
                    w.WriteNumber("r", Math.Round(t.R, 4));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("featureNames");
            foreach (var n in analysis.FeatureNames) w.WriteStringValue(n);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        var json = Encoding.UTF8.GetString(buffer.WrittenSpan);
        var b64 = Convert.ToBase64String(bytes);

        var sb = new StringBuilder(json.Length + b64.Length + 16_000);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>");
        sb.Append(Escape(options.Title));
        sb.Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n");
        sb.Append("<h1>").Append(Escape(options.Title)).Append("</h1>\n");
        sb.Append("<p class=\"sub\">").Append(Escape(options.Subtitle)).Append("</p>\n");
        sb.Append("<p id=\"note\" class=\"note\">").Append(Escape(note)).Append("</p>\n");
        sb.Append(CellColours.Legend);
        sb.Append("<h2>Features and their best-matching cells</h2>\n<table id=\"features\"><thead><tr><th>feature</th><th>meaning</th>"
            + "<th>best cells (Pearson r over all characters)</th></tr></thead><tbody></tbody></table>\n");
        sb.Append("<div id=\"panels\"></div>\n");
        sb.Append("<h2>Any cell</h2>\n<div id=\"controls\">layer <select id=\"sel-layer\"></select> kind <select id=\"sel-kind\"></select> "
            + "cell <button id=\"prev\" type=\"button\">&lt;</button><input id=\"sel-index\" type=\"number\" min=\"0\" value=\"0\">"
            + "<button id=\"next\" type=\"button\">&gt;</button> "
            + "<span id=\"cell-stats\"></span></div>\n<div id=\"viewer\" class=\"text\"></div>\n");
        sb.Append("<h2>Gate saturation</h2>\n<div id=\"saturation\">");
        if (saturationPngs is null || saturationPngs.Count == 0)
            sb.Append("<p>No sigmoid gates in this model (a plain RNN has none).</p>");
        else
        {
            sb.Append("<p>Per unit of every sigmoid gate: fraction of characters with the gate below 0.1 (left-saturated, x) and above 0.9 "
                + "(right-saturated, y), as Figure 3 of Karpathy, Johnson and Fei-Fei (2015).</p>");
            foreach (var (layer, png) in saturationPngs)
                sb.Append("<img alt=\"gate saturation, layer ").Append(layer + 1).Append("\" src=\"data:image/png;base64,")
                    .Append(Convert.ToBase64String(png)).Append("\">");
        }
        sb.Append("</div>\n<div id=\"tip\"></div>\n");
        sb.Append("<script id=\"cells-data\" type=\"application/json\">").Append(json.Replace("</", "<\\/", StringComparison.Ordinal)).Append("</script>\n");
        sb.Append("<script id=\"cells-values\" type=\"text/plain\">").Append(b64).Append("</script>\n");
        sb.Append("<script>").Append(CellColours.Script).Append(Script).Append("</script>\n</body></html>\n");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);

    private const string Css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;max-width:1200px;color:#222}
        h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
        .sub{color:#555;margin:0 0 6px} .note{background:#fff8dc;border:1px solid #e8d9a0;padding:6px 10px}
        table{border-collapse:collapse;font-size:13px;width:100%} td:nth-child(2){width:30%} td:nth-child(1){white-space:nowrap}
        td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}
        .cellref{cursor:pointer;color:#1a4fb0;text-decoration:underline;margin-right:10px;white-space:nowrap}
        .const{color:#999;font-style:italic}
        .text{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px;line-height:1.45;white-space:pre-wrap;word-break:break-all;
              border:1px solid #ccc;padding:8px;max-height:520px;overflow:auto;background:#fff}
        .panel{margin:10px 0 18px} .panel h3{font-size:13px;margin:0 0 4px;font-weight:600}
        .panel .text{max-height:220px}
        .ch{border-radius:2px}
        #controls{margin:6px 0;font-size:14px} #sel-index{width:70px} #cell-stats{color:#444;font-size:12px;margin-left:10px}
        #tip{position:fixed;pointer-events:none;background:#222;color:#fff;font:12px monospace;padding:3px 6px;border-radius:3px;display:none;z-index:10}
        #saturation img{margin:4px;border:1px solid #ddd}
        """;

    private const string Script = """
        (function(){
        'use strict';
        var D = JSON.parse(document.getElementById('cells-data').textContent);
        var raw = atob(document.getElementById('cells-values').textContent.trim());
        var Q = new Int8Array(raw.length);
        for (var i = 0; i < raw.length; i++) { var b = raw.charCodeAt(i); Q[i] = b > 127 ? b - 256 : b; }
        var chars = Array.from(D.text);
        var n = D.shown;
        function value(row, p) { return Q[row * n + p] / 127 * D.rows[row].scale; }
        function colour(row, v) { return cellColour(v, cellScale(D.rows[row].kind, D.rows[row].scale)); }
        function spans(count) {
          var out = [];
          for (var p = 0; p < count; p++) out.push('<span class="ch" data-i="' + p + '">' + escChar(shownChar(chars[p])) + '</span>');
          return out.join('');
        }
        function paint(container, row) {
          container.dataset.row = row;
          var s = container.children;
          for (var p = 0; p < s.length; p++) s[p].style.backgroundColor = colour(row, value(row, p));
        }
        function label(r) { return 'layer ' + (r.layer + 1) + ' ' + r.kind + '[' + r.index + ']'; }
        function rowOf(layer, kind, index) {
          for (var i = 0; i < D.rows.length; i++) { var r = D.rows[i]; if (r.layer === layer && r.kind === kind && r.index === index) return i; }
          return -1;
        }
        // Feature table and panels.
        var tbody = document.querySelector('#features tbody');
        var panels = document.getElementById('panels');
        D.features.forEach(function (f) {
          var tr = document.createElement('tr');
          var td0 = document.createElement('td'); td0.textContent = f.name; tr.appendChild(td0);
          var td1 = document.createElement('td'); td1.textContent = f.description; tr.appendChild(td1);
          var td2 = document.createElement('td');
          if (f.constant || f.top.length === 0) { td2.className = 'const'; td2.textContent = 'constant in this text: no correlation can be measured'; }
          else f.top.forEach(function (t) {
            var a = document.createElement('span'); a.className = 'cellref';
            a.textContent = label(t) + ' r=' + t.r.toFixed(3);
            a.addEventListener('click', function () { select(t.layer, t.kind, t.index); });
            td2.appendChild(a);
          });
          tr.appendChild(td2); tbody.appendChild(tr);
        });
        // Panels, strongest feature first.
        D.features.filter(function (f) { return !f.constant && f.top.length > 0; })
          .sort(function (a, b) { return Math.abs(b.top[0].r) - Math.abs(a.top[0].r); })
          .forEach(function (f) {
          f.top.slice(0, D.panels).forEach(function (t, k) {
            var div = document.createElement('div'); div.className = 'panel'; div.id = 'panel-' + f.name + '-' + k;
            var h = document.createElement('h3');
            h.textContent = f.name + ': ' + label(t) + ', r = ' + t.r.toFixed(3) + ' (first ' + D.panelChars + ' characters)';
            var tx = document.createElement('div'); tx.className = 'text';
            tx.innerHTML = spans(D.panelChars);
            div.appendChild(h); div.appendChild(tx); panels.appendChild(div);
            paint(tx, t.row);
          });
        });
        // Viewer.
        var viewer = document.getElementById('viewer');
        viewer.innerHTML = spans(n);
        var selL = document.getElementById('sel-layer'), selK = document.getElementById('sel-kind'), selI = document.getElementById('sel-index');
        for (var l = 0; l < D.layers; l++) { var o = document.createElement('option'); o.value = l; o.textContent = l + 1; selL.appendChild(o); }
        D.kinds.forEach(function (k) { var o = document.createElement('option'); o.value = k; o.textContent = k; selK.appendChild(o); });
        selI.max = D.hidden - 1;
        function update() {
          var l = +selL.value, k = selK.value, i = Math.max(0, Math.min(D.hidden - 1, +selI.value || 0));
          selI.value = i;
          var row = rowOf(l, k, i);
          if (row < 0) return;
          paint(viewer, row);
          var st = D.rowCorr[row].map(function (r, f) { return r === null ? null : D.featureNames[f] + ' ' + r.toFixed(2); })
            .filter(function (x) { return x; });
          document.getElementById('cell-stats').textContent = label(D.rows[row]) + ': r with ' + st.join(', ');
        }
        function select(l, k, i) {
          if (D.kinds.indexOf(k) < 0) { var o = document.createElement('option'); o.value = k; o.textContent = k; selK.appendChild(o); D.kinds.push(k); }
          selL.value = l; selK.value = k; selI.value = i; update();
          viewer.scrollIntoView({block: 'center'});
        }
        selL.addEventListener('change', update); selK.addEventListener('change', update); selI.addEventListener('change', update);
        document.getElementById('prev').addEventListener('click', function () { selI.value = +selI.value - 1; update(); });
        document.getElementById('next').addEventListener('click', function () { selI.value = +selI.value + 1; update(); });
        var first = D.features.filter(function (f) { return !f.constant && f.top.length > 0; })[0];
        if (first && D.kinds.indexOf(first.top[0].kind) >= 0) {
          selL.value = first.top[0].layer; selK.value = first.top[0].kind; selI.value = first.top[0].index;
        }
        update();
        // cells.html#FEATURE: that feature's panels move to the top of the page and its best cell goes to the viewer.
        var want = decodeURIComponent(location.hash.slice(1));
        var target = want && document.getElementById('panel-' + want + '-0');
        if (target) {
          var wf = D.features.filter(function (f) { return f.name === want; })[0];
          if (D.kinds.indexOf(wf.top[0].kind) >= 0) { selL.value = wf.top[0].layer; selK.value = wf.top[0].kind; selI.value = wf.top[0].index; update(); }
          var anchor = document.querySelector('.sub');
          for (var k = D.panels - 1; k >= 0; k--) {
            var pk = document.getElementById('panel-' + want + '-' + k);
            if (pk) anchor.parentNode.insertBefore(pk, anchor.nextSibling);
          }
        }
        // Hover: the value under the mouse.
        var tip = document.getElementById('tip');
        document.addEventListener('mouseover', function (e) {
          var t = e.target;
          if (!t.classList || !t.classList.contains('ch')) { tip.style.display = 'none'; return; }
          var row = +t.parentNode.dataset.row, p = +t.dataset.i;
          var c = chars[p] === '\n' ? '\\n' : chars[p];
          tip.textContent = label(D.rows[row]) + '  char ' + p + ' "' + c + '"  value ' + value(row, p).toFixed(3);
          tip.style.display = 'block';
        });
        document.addEventListener('mousemove', function (e) { tip.style.left = (e.clientX + 12) + 'px'; tip.style.top = (e.clientY + 14) + 'px'; });
        document.body.dataset.ready = '1';
        })();
        """;

    /// <summary>Formats a correlation table for the console: per feature, its top cells with r.</summary>
    public static string Summary(CellsAnalysis analysis, int perFeature = 3)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        var sb = new StringBuilder();
        for (int f = 0; f < analysis.FeatureNames.Count; f++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  {analysis.FeatureNames[f],-20} ");
            if (analysis.FeatureConstant[f]) { sb.Append("constant in this text (not measurable)\n"); continue; }
            sb.Append(string.Join("   ", analysis.Top[f].Take(perFeature).Select(t =>
                string.Create(CultureInfo.InvariantCulture, $"{t.Cell.Kind}{t.Cell.Layer + 1}[{t.Cell.Index}] r={t.R:+0.000;-0.000}"))));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static void WriteCell(Utf8JsonWriter w, CellId cell)
    {
        w.WriteNumber("layer", cell.Layer);
        w.WriteString("kind", cell.Kind);
        w.WriteNumber("index", cell.Index);
    }
}
