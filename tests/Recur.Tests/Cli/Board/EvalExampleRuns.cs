using Recur.Cli.Commands;
using Recur.Data.Language;
using Recur.Imaging;
using Recur.Models.Tagging;
using Recur.Plotting;
using Recur.Tasks.G2p;
using Recur.Tasks.Tag;

namespace Recur.Tests.Cli.Board;

/// <summary>
/// Runs whose evals wrote their examples, for the board's examples tab: <c>g2p</c> (pronunciations.jsonl by the g2p
/// eval's own writer: "cat" right with its 3 x 3 alignment, "dog" wrong), <c>tag</c> (tags.jsonl by the tag eval's writer:
/// one sentence right, one with a wrong tag), <c>vqa</c> (answers.jsonl: one question wrong, one right, attention over
/// a 2 x 2 grid) and <c>dialog</c> (dialogs.jsonl: one dialog of two rounds, the second wrong, two hops of attention); and,
/// each with its picture under examples/, <c>video</c> (clips.jsonl: a clip of 4 frames, its action wrong and its third frame
/// wrong), <c>glimpse</c> (glimpses.jsonl: one canvas right, its path of 3 glimpses) and <c>draw</c> (draws.jsonl: one image's
/// bound, no verdict).
/// </summary>
internal static class EvalExampleRuns
{
    /// <summary>Writes the seven runs into <paramref name="runs"/>.</summary>
    public static void Write(string runs)
    {
        foreach (string name in new[] { "g2p", "tag", "vqa", "dialog", "video", "glimpse", "draw" })
        {
            Directory.CreateDirectory(Path.Combine(runs, name));
            File.WriteAllText(Path.Combine(runs, name, "metrics.jsonl"), BoardFixture.TrainLine(1, 2) + BoardFixture.ValLine(1, 1.5, best: true));
        }
        var lexicon = new Dictionary<string, IReadOnlyList<IReadOnlyList<string>>>
        {
            ["cat"] = [["K", "AE1", "T"]],
            ["dog"] = [["D", "AO1", "G"], ["D", "AA1", "G"]],
        };
        G2pOutput[] outputs =
        [
            new(["K", "AE1", "T"], [[0.9f, 0.1f, 0f], [0.05f, 0.9f, 0.05f], [0f, 0.2f, 0.8f]]),
            new(["D", "OW1"], [[1f, 0f, 0f], [0f, 0.6f, 0.4f]]),
        ];
        G2pExamples.Write(Path.Combine(runs, "g2p", "eval.json"), "validation", "greedy", ["cat", "dog"], outputs, lexicon);

        TaggedSentence[] sentences = [new(["The", "jury", "said"], ["DET", "NOUN", "VERB"]), new(["It", "ran"], ["PRON", "VERB"])];
        var vocabulary = TagVocabulary.Build(sentences, BrownCorpus.UniversalTags, "universal", minCount: 1);
        int Id(string tag) => vocabulary.Tags.ToList().IndexOf(tag);
        var tagged = new TaggedSentences(0, [[Id("DET"), Id("NOUN"), Id("VERB")], [Id("PRON"), Id("VERB")]],
            [[Id("DET"), Id("NOUN"), Id("VERB")], [Id("PRON"), Id("NOUN")]]);
        TagExamples.Write(Path.Combine(runs, "tag", "eval.json"), "validation", new TagDataset(sentences, vocabulary, 20), tagged, vocabulary,
            new HashSet<string> { "the", "jury", "it" });

        const string scene = "\"objects\":[{\"cell\":0,\"class\":\"bag\"},{\"cell\":8,\"class\":\"sandal\"}],\"scene_side\":3,\"grid_rows\":2,\"grid_cols\":2";
        File.WriteAllText(Path.Combine(runs, "vqa", "answers.jsonl"),
            "{\"split\":\"validation-seen\",\"index\":0,\"scene\":0,\"kind\":\"count\",\"question\":\"how many bags are there ?\","
            + "\"choices\":[\"one\",\"two\",\"zero\",\"three\"],\"answer\":\"one\",\"prediction\":\"two\",\"correct\":false,"
            + $"\"probabilities\":[0.3,0.5,0.1,0.1],{scene},\"attention\":[[0.7,0.1,0.1,0.1]]}}\n"
            + "{\"split\":\"validation-seen\",\"index\":1,\"scene\":0,\"kind\":\"position\",\"question\":\"what is in the top left ?\","
            + "\"choices\":[\"bag\",\"shirt\",\"coat\",\"boot\"],\"answer\":\"bag\",\"prediction\":\"bag\",\"correct\":true,"
            + $"\"probabilities\":[0.9,0.05,0.03,0.02],{scene},\"attention\":[[0.4,0.2,0.2,0.2]]}}\n");
        File.WriteAllText(Path.Combine(runs, "dialog", "dialogs.jsonl"),
            $"{{\"split\":\"validation-heldout\",\"index\":0,\"scene\":3,\"correct\":false,\"rounds_right\":1,{scene},\"rounds\":["
            + "{\"question\":\"is there a bag ?\",\"answer\":\"yes\",\"prediction\":\"yes\",\"correct\":true,\"needs_history\":false,"
            + "\"kind\":\"Exists\",\"attention\":[[0.25,0.25,0.25,0.25],[0.1,0.2,0.3,0.4]]},"
            + "{\"question\":\"where is it ?\",\"answer\":\"top-left\",\"prediction\":\"center\",\"correct\":false,\"needs_history\":true,"
            + "\"kind\":\"Where\",\"attention\":[[0.5,0.5,0,0],[0.6,0.2,0.1,0.1]]}]}\n");

        string Picture(string run, string name, int width, int height)
        {
            Directory.CreateDirectory(Path.Combine(runs, run, ExampleLines.PictureFolder));
            Png.Save(Path.Combine(runs, run, ExampleLines.PictureFolder, name), new PixelImage(width, height, 1, new byte[width * height]));
            return ExampleLines.PictureFolder + "/" + name;
        }
        string Frame(string visible, string predicted)
            => $"{{\"visible\":[{visible}],\"predicted\":[{predicted}],\"right\":{(visible == predicted ? "true" : "false")}}}";
        File.WriteAllText(Path.Combine(runs, "video", "clips.jsonl"),
            "{\"split\":\"validation\",\"index\":0,\"action\":\"enters-left\",\"prediction\":\"leaves-left\",\"correct\":false,"
            + "\"choices\":[\"enters-left\",\"leaves-left\"],\"probabilities\":[0.3,0.7],\"frames\":["
            + string.Join(",", Frame("", ""), Frame("\"bag\"", "\"bag\""), Frame("\"bag\"", "\"coat\""), Frame("\"bag\"", "\"bag\""))
            + $"],\"picture\":\"{Picture("video", "clips-validation-00000.png", 128, 32)}\"}}\n");
        File.WriteAllText(Path.Combine(runs, "glimpse", "glimpses.jsonl"),
            "{\"split\":\"validation\",\"index\":0,\"class\":\"bag\",\"prediction\":\"bag\",\"correct\":true,"
            + "\"locations\":[[0,0],[0.25,-0.5],[0.3,-0.45]],\"scales\":[8,16],"
            + $"\"picture\":\"{Picture("glimpse", "glimpses-validation-00000.png", 80, 80)}\"}}\n");
        File.WriteAllText(Path.Combine(runs, "draw", "draws.jsonl"),
            "{\"split\":\"validation\",\"index\":0,\"bound\":123.4567,\"reconstruction\":100,\"kl\":23.4567,\"steps\":3,"
            + $"\"picture\":\"{Picture("draw", "draws-validation-00000.png", 60, 20)}\"}}\n");
    }
}
