using System.Text;
using System.Text.Json;
using Recur.Data.Scenes;
using Recur.Models.Captioning;
using Recur.Tasks.Caption;

namespace Recur.Cli.Commands;

/// <summary>What <c>recur caption eval</c> writes: <c>eval.json</c> (the scores) and <c>captions.jsonl</c> (every caption).</summary>
internal static class CaptionEvalFiles
{
    /// <summary>
    /// Writes the scores to <paramref name="jsonPath"/>: which split was scored (<c>"split"</c>: validation or test), the run,
    /// the captioner's kind, how many captioners decoded, per scene split and decoding the BLEU, exact-match and attention
    /// figures, and how many scenes the encoder's own classifier gets wholly right per scene split.
    /// </summary>
    public static void WriteJson(string jsonPath, LoadedCaptioner ck, ICaptionDecoder decoder, string split, IReadOnlyList<CaptionSplitScore> scores,
        IReadOnlyDictionary<string, double> reference)
    {
        using (var stream = File.Create(jsonPath))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("split", split);
            w.WriteString("run", ck.RunDirectory ?? ck.Directory);
            w.WriteString("kind", ck.Model.Config.Kind);
            w.WriteNumber("captioners", decoder is CaptionEnsemble ensemble ? ensemble.Count : 1);
            w.WriteStartArray("scores");
            foreach (var s in scores)
            {
                w.WriteStartObject();
                w.WriteString("split", s.Split);
                w.WriteString("decoding", s.Decoding);
                w.WriteNumber("scenes", s.Scenes);
                for (int n = 0; n < 4; n++) w.WriteNumber($"bleu{n + 1}", s.Bleu.Scores[n]);
                w.WriteNumber("brevity_penalty", s.Bleu.BrevityPenalty);
                w.WriteNumber("exact_match", s.ExactMatch);
                if (s.AttentionAccuracy is double acc && double.IsFinite(acc))
                {
                    w.WriteNumber("attention_accuracy", acc); w.WriteNumber("attention_words", s.AttentionWords);
                }
                if (s.AttentionAccuracyAll is double all && double.IsFinite(all))
                {
                    w.WriteNumber("attention_accuracy_all", all); w.WriteNumber("attention_words_all", s.AttentionWordsAll);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("encoder_all_objects_right");
            foreach (var (name, value) in reference) w.WriteNumber(name, value);
            w.WriteEndObject();
            w.WriteEndObject();
        }
    }

    /// <summary>
    /// One JSON line per scene: split, decoding, index, the caption, whether it is exactly right, the references, the
    /// scene's objects (cell, class) and, for attention captioners, each word's most-attended scene cell with the share
    /// of attention that fell in that cell.
    /// </summary>
    public static void WriteCaptions(StreamWriter lines, string split, string decoding, IReadOnlyList<Scene> scenes, IReadOnlyList<DecodedCaption> captions,
        int gridRows, int gridCols)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using var w = new Utf8JsonWriter(buffer);
        for (int i = 0; i < scenes.Count; i++)
        {
            buffer.Clear();
            w.Reset(buffer);
            w.WriteStartObject();
            w.WriteString("split", split);
            w.WriteString("decoding", decoding);
            w.WriteNumber("scene", i);
            w.WriteString("caption", captions[i].Text);
            w.WriteBoolean("exact", CaptionParser.Parse(captions[i].Text) is { } m && m.IsTrueOf(scenes[i]));
            w.WriteStartArray("references");
            foreach (var r in CaptionGrammar.References(scenes[i])) w.WriteStringValue(r);
            w.WriteEndArray();
            w.WriteStartArray("objects");
            foreach (var item in scenes[i].Items)
            {
                w.WriteStartObject();
                w.WriteNumber("cell", item.Cell);
                w.WriteString("class", CaptionGrammar.Singular[item.Class]);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (captions[i].Attention.Count > 0)
            {
                w.WriteStartArray("attended");
                foreach (var (cell, weight) in CaptionEvaluation.AttendedCells(scenes[i], captions[i], gridRows, gridCols))
                {
                    w.WriteStartObject();
                    w.WriteNumber("cell", cell);
                    w.WriteNumber("weight", Math.Round(weight, 4));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.Flush();
            lines.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
        }
    }
}
