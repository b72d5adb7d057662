using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Recur.Analysis.Gallery;

/// <summary>
/// Writes the gallery page: one self-contained HTML file (inline CSS and JavaScript, data as JSON; nothing is fetched) that
/// shows, per corpus, the samples drawn as training went on and the cells found for the named features, each with the text
/// coloured by the cell's activation (<see cref="CellColours"/>, as the lectures show them) and the r it reaches; a cell
/// below the threshold is shown with its best r and said to be not found.
/// </summary>
public static class GalleryPage
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The page's HTML for <paramref name="corpora"/>, judging cells by |r| ≥ <paramref name="threshold"/> on test text.</summary>
    public static string Build(string title, string subtitle, IReadOnlyList<GalleryCorpusPage> corpora, double threshold = 0.8)
    {
        ArgumentNullException.ThrowIfNull(corpora);
        var sb = new StringBuilder(64_000);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>").Append(Escape(title)).Append("</title>\n");
        sb.Append("<style>").Append(Css).Append("</style>\n</head>\n<body>\n");
        sb.Append("<h1>").Append(Escape(title)).Append("</h1>\n<p class=\"sub\">").Append(Escape(subtitle)).Append("</p>\n");
        AppendSummary(sb, corpora, threshold);
        sb.Append(CellColours.Legend);
        for (int c = 0; c < corpora.Count; c++) AppendCorpus(sb, corpora[c], c, threshold);
        sb.Append("<div id=\"tip\"></div>\n");
        sb.Append("<script id=\"gallery-data\" type=\"application/json\">")
            .Append(PanelData(corpora).Replace("</", "<\\/", StringComparison.Ordinal)).Append("</script>\n");
        sb.Append("<script>").Append(CellColours.Script).Append(Script).Append("</script>\n</body></html>\n");
        return sb.ToString();
    }

    /// <summary>The verdict on one found cell, as the page and the console say it.</summary>
    public static string Verdict(FoundCell cell, double threshold)
    {
        ArgumentNullException.ThrowIfNull(cell);
        if (cell.Cell is null) return "constant in the validation text: no cell can be chosen";
        if (!double.IsFinite(cell.TestR)) return "constant in the test text: r cannot be measured";
        string r = Math.Abs(cell.TestR).ToString("F3", Inv), t = threshold.ToString("0.0##", Inv);
        return cell.Reaches(threshold) ? $"found: |r| = {r} ≥ {t}" : $"not found: the best cell reaches |r| = {r} < {t}";
    }

    /// <summary>A cell's label: <c>layer 2 c[17]</c> (layers from 1).</summary>
    public static string Label(CellId cell) => $"layer {cell.Layer + 1} {cell.Kind}[{cell.Index}]";

    private static void AppendSummary(StringBuilder sb, IReadOnlyList<GalleryCorpusPage> corpora, double threshold)
    {
        sb.Append("<table id=\"summary\"><thead><tr><th>corpus</th><th>status</th><th>cells reaching |r| ≥ ")
            .Append(threshold.ToString("0.0##", Inv)).Append(" on test text</th></tr></thead><tbody>\n");
        foreach (var c in corpora)
        {
            sb.Append("<tr><td><a href=\"#corpus-").Append(Escape(c.Name)).Append("\">").Append(Escape(c.Name)).Append("</a></td><td>")
                .Append(Escape(c.Status)).Append("</td><td>");
            if (c.Cells.Count == 0) sb.Append("not searched yet");
            else sb.Append(string.Join(", ", c.Cells.Select(f => $"{Escape(f.Feature)} {(f.Reaches(threshold) ? "✓" : "✗")}")));
            sb.Append("</td></tr>\n");
        }
        sb.Append("</tbody></table>\n");
    }

    private static void AppendCorpus(StringBuilder sb, GalleryCorpusPage corpus, int index, double threshold)
    {
        sb.Append("<section class=\"corpus\" id=\"corpus-").Append(Escape(corpus.Name)).Append("\">\n<h2>").Append(Escape(corpus.Name)).Append("</h2>\n");
        sb.Append("<p class=\"desc\">").Append(Escape(corpus.Description)).Append("</p>\n<p class=\"status\">").Append(Escape(corpus.Status)).Append("</p>\n");
        sb.Append("<h3>Samples as training goes on</h3>\n");
        if (corpus.Samples.Count == 0) sb.Append("<p class=\"none\">No samples yet.</p>\n");
        foreach (var s in corpus.Samples)
        {
            sb.Append("<div class=\"sample\"><h4>iteration ").Append(s.Iteration.ToString("N0", Inv));
            if (double.IsFinite(s.ValidationLoss))
                sb.Append(" <span class=\"loss\">(validation loss ").Append(s.ValidationLoss.ToString("F3", Inv)).Append(" nats/char)</span>");
            sb.Append("</h4><pre>").Append(Escape(s.Text)).Append("</pre></div>\n");
        }
        sb.Append("<h3>Cells found</h3>\n");
        if (corpus.Cells.Count == 0) { sb.Append("<p class=\"none\">Not searched yet (the search runs after the last iteration).</p>\n</section>\n"); return; }
        sb.Append("<p class=\"note\">").Append(Escape(corpus.CellsNote)).Append("</p>\n");
        sb.Append("<table class=\"cells\"><thead><tr><th>feature</th><th>meaning</th><th>best cell</th><th>r on test text</th>"
            + "<th>r on validation text (where it was chosen)</th><th>verdict</th></tr></thead><tbody>\n");
        foreach (var f in corpus.Cells)
        {
            string cls = f.Reaches(threshold) ? "found" : "missed";
            sb.Append("<tr class=\"").Append(cls).Append("\"><td>").Append(Escape(f.Feature)).Append("</td><td>").Append(Escape(f.Description))
                .Append("</td><td>").Append(f.Cell is { } id ? Escape(Label(id)) : "—").Append("</td><td>").Append(R(f.TestR))
                .Append("</td><td>").Append(R(f.ValidationR)).Append("</td><td>").Append(Escape(Verdict(f, threshold))).Append("</td></tr>\n");
        }
        sb.Append("</tbody></table>\n");
        for (int k = 0; k < corpus.Cells.Count; k++)
        {
            var f = corpus.Cells[k];
            if (f.Cell is not { } id) continue;
            sb.Append("<div class=\"panel ").Append(f.Reaches(threshold) ? "found" : "missed").Append("\"><h4>").Append(Escape(f.Feature)).Append(": ")
                .Append(Escape(Label(id))).Append(", r = ").Append(R(f.TestR)).Append(" — ").Append(Escape(Verdict(f, threshold))).Append("</h4>");
            sb.Append("<div class=\"text\" data-corpus=\"").Append(index).Append("\" data-panel=\"").Append(k).Append("\">")
                .Append(Escape(string.Concat(f.ExcerptText))).Append("</div>");
            sb.Append("<div class=\"featurebar\" data-corpus=\"").Append(index).Append("\" data-panel=\"").Append(k).Append("\"></div></div>\n");
        }
        sb.Append("</section>\n");
    }

    private static string R(double r) => double.IsFinite(r) ? r.ToString("+0.000;-0.000", Inv) : "—";

    /// <summary>Per corpus, per found cell: the excerpt, the cell's values and kind, and the feature's values.</summary>
    private static string PanelData(IReadOnlyList<GalleryCorpusPage> corpora)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var c in corpora)
            {
                w.WriteStartArray();
                foreach (var f in c.Cells)
                {
                    w.WriteStartObject();
                    w.WriteString("feature", f.Feature);
                    w.WriteString("kind", f.Cell?.Kind ?? "");
                    w.WriteString("text", string.Concat(f.ExcerptText));
                    float largest = 0;
                    foreach (float v in f.Activations) largest = Math.Max(largest, Math.Abs(v));
                    w.WriteNumber("largest", Math.Round(largest, 4));
                    w.WriteStartArray("values");
                    foreach (float v in f.Activations) w.WriteNumberValue(Math.Round(v, 3));
                    w.WriteEndArray();
                    w.WriteStartArray("feature_values");
                    foreach (float v in f.FeatureValues) w.WriteNumberValue(Math.Round(v, 3));
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);

    private const string Css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;max-width:1200px;color:#222}
        h1{font-size:22px;margin:0 0 4px} h2{font-size:19px;margin:34px 0 6px;border-bottom:2px solid #bbb} h3{font-size:15px;margin:18px 0 6px}
        h4{font-size:13px;margin:8px 0 3px;font-weight:600} .sub,.desc,.status{color:#555;margin:2px 0} .none{color:#999;font-style:italic}
        .note{background:#fff8dc;border:1px solid #e8d9a0;padding:6px 10px;font-size:13px}
        table{border-collapse:collapse;font-size:13px;width:100%;margin:6px 0} td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}
        tr.found td:last-child{color:#176a1d} tr.missed td:last-child{color:#a33}
        pre{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px;line-height:1.35;white-space:pre-wrap;word-break:break-all;
            border:1px solid #ccc;background:#fafafa;padding:6px 8px;margin:0;max-height:260px;overflow:auto}
        .text{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px;line-height:1.45;white-space:pre-wrap;word-break:break-all;
              border:1px solid #ccc;padding:8px;max-height:320px;overflow:auto;background:#fff}
        .panel{margin:12px 0 18px} .panel.missed h4{color:#a33}
        .featurebar{font-size:11px;color:#555;margin-top:2px} .ch{border-radius:2px} .on{text-decoration:underline;text-decoration-color:#0a0}
        #tip{position:fixed;pointer-events:none;background:#222;color:#fff;font:12px monospace;padding:3px 6px;border-radius:3px;display:none;z-index:10}
        """;

    private const string Script = """
        (function(){
        'use strict';
        var D = JSON.parse(document.getElementById('gallery-data').textContent);
        function panelOf(el) { return D[+el.dataset.corpus][+el.dataset.panel]; }
        document.querySelectorAll('.text[data-panel]').forEach(function (box) {
          var P = panelOf(box), chars = Array.from(P.text), m = cellScale(P.kind, P.largest), out = [];
          var binary = P.feature_values.every(function (v) { return v === 0 || v === 1; });
          for (var p = 0; p < chars.length; p++) {
            var cls = 'ch' + (binary && P.feature_values[p] === 1 ? ' on' : '');
            out.push('<span class="' + cls + '" data-i="' + p + '" style="background-color:' + cellColour(P.values[p], m) + '">'
              + escChar(shownChar(chars[p])) + '</span>');
          }
          box.innerHTML = out.join('');
        });
        document.querySelectorAll('.featurebar[data-panel]').forEach(function (bar) {
          var P = panelOf(bar);
          var binary = P.feature_values.every(function (v) { return v === 0 || v === 1; });
          bar.textContent = binary ? 'Underlined: where ' + P.feature + ' is 1.' : 'Hover a character for the value of ' + P.feature + '.';
        });
        var tip = document.getElementById('tip');
        document.addEventListener('mouseover', function (e) {
          var t = e.target;
          if (!t.classList || !t.classList.contains('ch')) { tip.style.display = 'none'; return; }
          var P = panelOf(t.parentNode), p = +t.dataset.i, c = Array.from(P.text)[p];
          tip.textContent = 'char ' + p + ' "' + (c === '\n' ? '\\n' : c) + '"  cell ' + P.values[p].toFixed(3) + '  ' + P.feature + ' ' + P.feature_values[p];
          tip.style.display = 'block';
        });
        document.addEventListener('mousemove', function (e) { tip.style.left = (e.clientX + 12) + 'px'; tip.style.top = (e.clientY + 14) + 'px'; });
        document.body.dataset.ready = '1';
        })();
        """;
}
