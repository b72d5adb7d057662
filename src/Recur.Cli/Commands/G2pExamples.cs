using Recur.Tasks.G2p;

namespace Recur.Cli.Commands;

/// <summary>
/// What <c>recur g2p eval</c> writes beside eval.json, <c>pronunciations.jsonl</c>: one line per word kept
/// (<see cref="ExampleSelection"/>): its split, index, the decoding, the word, the model's phonemes, the dictionary's
/// pronunciations, whether it is right (any of them, as the WER counts it), the edit distance to the closest, and for a
/// model with attention its alignment (<c>alignment</c>: per phoneme the weights over the letters, with
/// <c>source_tokens</c> the letters and <c>output_tokens</c> the phonemes).
/// </summary>
internal static class G2pExamples
{
    public const string FileName = "pronunciations.jsonl";

    /// <summary>Writes the kept words to <c>pronunciations.jsonl</c> beside <paramref name="jsonPath"/> (<see cref="ExampleLines.Beside"/>).</summary>
    public static ExampleLines Write(string jsonPath, string split, string decoding, IReadOnlyList<string> words, IReadOnlyList<G2pOutput> outputs,
        IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyList<string>>> lexicon)
    {
        var lines = ExampleLines.Beside(jsonPath, FileName);
        var selection = ExampleLines.Selection();
        for (int i = 0; i < words.Count; i++)
        {
            var refs = lexicon[words[i]];
            var closest = G2pScore.Closest(outputs[i].Phonemes, refs);
            if (!selection.Keep(closest.Distance == 0)) continue;
            int index = i;
            lines.Add(w =>
            {
                w.WriteString("split", split);
                w.WriteNumber("index", index);
                w.WriteString("decoding", decoding);
                w.WriteString("word", words[index]);
                w.WriteString("prediction", string.Join(' ', outputs[index].Phonemes));
                ExampleLines.Strings(w, "references", refs.Select(r => string.Join(' ', r)));
                w.WriteBoolean("correct", closest.Distance == 0);
                w.WriteNumber("phoneme_errors", closest.Distance);
                if (outputs[index].Alignment.Count == 0) return;
                ExampleLines.Strings(w, "source_tokens", words[index].ToLowerInvariant().Select(c => c.ToString()));
                ExampleLines.Strings(w, "output_tokens", outputs[index].Phonemes);
                w.WriteStartArray("alignment");
                foreach (var row in outputs[index].Alignment) ExampleLines.Weights(w, null, row);
                w.WriteEndArray();
            });
        }
        lines.Save();
        return lines;
    }
}
