using Recur.Models.Tagging;
using Recur.Tasks.Tag;

namespace Recur.Cli.Commands;

/// <summary>
/// What <c>recur tag eval</c> writes beside eval.json, <c>tags.jsonl</c>: one line per sentence kept
/// (<see cref="ExampleSelection"/>; a sentence is right when every word's tag is): its split, index, words, true tags,
/// the tagger's tags, how many are wrong, and per word whether its word never occurs in training (<c>unseen</c>).
/// </summary>
internal static class TagExamples
{
    public const string FileName = "tags.jsonl";

    /// <summary>
    /// Writes the kept sentences of <paramref name="set"/> to <c>tags.jsonl</c> beside <paramref name="jsonPath"/>
    /// (<see cref="ExampleLines.Beside"/>).
    /// </summary>
    public static ExampleLines Write(string jsonPath, string split, TagDataset set, TaggedSentences tagged, TagVocabulary vocabulary,
        IReadOnlySet<string> seen)
    {
        var lines = ExampleLines.Beside(jsonPath, FileName);
        var selection = ExampleLines.Selection();
        for (int i = 0; i < set.Count; i++)
        {
            int wrong = tagged.WrongIn(i), index = i;
            if (!selection.Keep(wrong == 0)) continue;
            var words = set.Sentences[i].Words.Take(tagged.Gold[i].Length).ToArray();
            lines.Add(w =>
            {
                w.WriteString("split", split);
                w.WriteNumber("index", index);
                w.WriteBoolean("correct", wrong == 0);
                w.WriteNumber("wrong_tags", wrong);
                ExampleLines.Strings(w, "words", words);
                ExampleLines.Strings(w, "tags", tagged.Gold[index].Select(t => vocabulary.Tags[t]));
                ExampleLines.Strings(w, "predicted", tagged.Predicted[index].Select(t => vocabulary.Tags[t]));
                w.WriteStartArray("unseen");
                foreach (string word in words) w.WriteBooleanValue(!seen.Contains(word.ToLowerInvariant()));
                w.WriteEndArray();
            });
        }
        lines.Save();
        return lines;
    }
}
