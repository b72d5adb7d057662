using System.Diagnostics;
using System.Text.Json;
using Recur.Data.Translation;
using Recur.Tasks.Translate;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// Issue 30's translation race: the plain <c>recur translate train --minutes M --threads 1</c> against the same model and
/// recipe in PyTorch 1.13 (bench/translate_ref.py, 1 thread), both started at once on the same pairs and the same BPE ids
/// (this bench builds the corpus and the vocabulary as a new run does and writes the ids for PyTorch), each keeping its best
/// state by validation loss; then both translate the test sources greedily without the placeholder constraint (PyTorch has
/// none) and are scored by the same sacreBLEU-exact BLEU and chrF. Prints one line per side and the gap.
/// PyTorch runs in its best setting here: one thread and <c>OPENBLAS_CORETYPE=Haswell</c>. <c>--torch-only true</c> trains only the
/// PyTorch side again in an existing race folder (its ids and Recur's run kept); <c>--score-only true</c> only scores a finished folder.
/// Usage: race-translate [--minutes 20] [--out /tmp/translate-race] [--data DIR] [--recur PATH/Recur.Cli.dll]
/// </summary>
internal static class TranslateRaceBench
{
    public static int Run(string[] args)
    {
        double minutes = double.Parse(TorchRef.Option(args, "--minutes", "20"), System.Globalization.CultureInfo.InvariantCulture);
        string root = MinCharBench.FindRepoRoot();
        string outDir = Path.GetFullPath(TorchRef.Option(args, "--out", "/tmp/translate-race"));
        string folder = TorchRef.Option(args, "--data", CatalogueList.DefaultFolder);
        string recur = TorchRef.Option(args, "--recur", Path.Combine(root, "src/Recur.Cli/bin/Release/net10.0/Recur.Cli.dll"));
        bool torchOnly = TorchRef.Option(args, "--torch-only", "false") == "true", scoreOnly = TorchRef.Option(args, "--score-only", "false") == "true";
        if (Directory.Exists(outDir) && !torchOnly && !scoreOnly) throw new ArgumentException($"{outDir} exists: give a new --out.");
        Directory.CreateDirectory(outDir);

        var settings = new TranslateSettings();
        var options = TranslateDefinition.Instance.Defaults;
        var corpus = TranslateDefinition.Corpus(CatalogueSet.Load(folder, CatalogueList.Debian), new CorpusRecipe(settings.SplitSeed, settings.MaxCharacters));
        var vocabulary = TranslationVocabulary.Build(corpus.Train, settings.Merges);
        var train = new TranslationDataset(corpus.Train, vocabulary, settings.MaxTokens, training: true);
        var valid = new TranslationDataset(corpus.Validation, vocabulary, settings.MaxTokens, training: false);
        var test = new TranslationDataset(corpus.Test, vocabulary, settings.MaxTokens, training: false);
        if (!torchOnly && !scoreOnly)
        {
            WriteIds(Path.Combine(outDir, "train.jsonl"), train);
            WriteIds(Path.Combine(outDir, "valid.jsonl"), valid);
            WriteIds(Path.Combine(outDir, "test.jsonl"), test);
        }
        var config = new Dictionary<string, object>
        {
            ["source_vocab"] = vocabulary.SourceSymbols.Count, ["target_vocab"] = vocabulary.TargetSymbols.Count, ["embed"] = options.Embed,
            ["hidden"] = options.Hidden, ["layers"] = options.Layers, ["decoder_hidden"] = settings.DecoderHidden, ["attention"] = settings.Attention,
            ["attention_dim"] = settings.AttentionDim, ["dropout"] = options.Dropout, ["label_smoothing"] = settings.LabelSmoothing,
            ["batch"] = options.BatchSize, ["bucket"] = options.Bucket, ["lr"] = options.LearningRate, ["lr_min"] = options.LrMin,
            ["clip"] = options.GradClip, ["eval_every"] = options.EvalEvery, ["max_target"] = settings.MaxTokens, ["seed"] = 1,
        };
        File.WriteAllText(Path.Combine(outDir, "config.json"), JsonSerializer.Serialize(config));
        Console.WriteLine($"translation race: {train.Sources.Count:N0} training pairs ({train.LeftOut} too long), {valid.Sources.Count:N0} validation, "
            + $"{test.Sources.Count:N0} test; {vocabulary.SourceSymbols.Count:N0} / {vocabulary.TargetSymbols.Count:N0} symbols; "
            + $"{minutes} minutes, 1 thread each");

        string runDir = Path.Combine(outDir, "recur");
        string m = minutes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var recurProc = torchOnly || scoreOnly ? null
            : Start("dotnet", [recur, "translate", "train", folder, "--minutes", m, "--threads", "1", "--out", runDir], Path.Combine(outDir, "recur.log"));
        using var torchProc = scoreOnly ? null
            : Start("/usr/bin/python3", [Path.Combine(root, "bench/translate_ref.py"), outDir, "--minutes", m, "--threads", "1"],
                Path.Combine(outDir, "torch.log"));
        recurProc?.WaitForExit();
        torchProc?.WaitForExit();
        if (recurProc is { ExitCode: not 0 } || torchProc is { ExitCode: not 0 })
            throw new InvalidOperationException($"recur exited {recurProc?.ExitCode}, PyTorch {torchProc?.ExitCode}: see {outDir}/*.log");

        var run = TranslateCheckpoint.Instance.Load(runDir);
        if (!run.Vocabulary.TargetSymbols.SequenceEqual(vocabulary.TargetSymbols) || !run.Vocabulary.SourceSymbols.SequenceEqual(vocabulary.SourceSymbols))
            throw new InvalidOperationException("the run's vocabulary differs from the one given to PyTorch.");
        var references = test.Pairs.Select(p => (IReadOnlyList<string>)[p.Target]).ToList();
        var recurText = Translator.Translate(run.Model, run.Vocabulary, test.Sources, beam: 1, greedy: true, constrained: false).Select(t => t.Text).ToList();
        var hyps = File.ReadAllLines(Path.Combine(outDir, "hyp.jsonl")).Select(l => JsonSerializer.Deserialize<int[]>(l)!).ToList();
        var torchText = hyps.Select((ids, i) => vocabulary.Decode(ids, test.Sources[i].Slots).Text).ToList();
        double recurBleu = SacreBleu.Corpus(recurText, references).Score, torchBleu = SacreBleu.Corpus(torchText, references).Score;
        double recurChrf = ChrF.Default.Corpus(recurText, references), torchChrf = ChrF.Default.Corpus(torchText, references);
        string torchLine = File.ReadAllLines(Path.Combine(outDir, "torch.log")).Last(l => l.StartsWith('{'));
        Console.WriteLine($"Recur   : test BLEU {recurBleu:F2}, chrF {recurChrf:F2} (greedy, unconstrained; {run.Model.Store.Count:N0} parameters; {runDir})");
        Console.WriteLine($"PyTorch : test BLEU {torchBleu:F2}, chrF {torchChrf:F2} (greedy; {torchLine})");
        Console.WriteLine($"gap     : {recurBleu - torchBleu:+0.00;-0.00} BLEU (Recur - PyTorch)");
        File.WriteAllText(Path.Combine(outDir, "race.json"), JsonSerializer.Serialize(new
        {
            minutes, recur_bleu = recurBleu, torch_bleu = torchBleu, recur_chrf = recurChrf, torch_chrf = torchChrf, torch = torchLine,
        }));
        return 0;
    }

    private static void WriteIds(string path, TranslationDataset set)
    {
        using var w = new StreamWriter(path);
        for (int i = 0; i < set.Sources.Count; i++)
            w.WriteLine(JsonSerializer.Serialize(new { s = set.Sources[i].Ids, t = set.Targets[i] }));
    }

    private static Process Start(string file, IEnumerable<string> arguments, string log)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.Environment["OPENBLAS_CORETYPE"] = "Haswell"; // PyTorch's best setting on these machines (Recur does not read it)
        var p = Process.Start(psi)!;
        var writer = new StreamWriter(log) { AutoFlush = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }
}
