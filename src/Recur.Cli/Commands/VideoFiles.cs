using System.Globalization;
using System.Text.Json;
using Recur.Data;
using Recur.Data.Video;
using Recur.IO;
using Recur.Imaging;
using Recur.Plotting;
using Recur.Tasks.Video;
using Recur.Training;

namespace Recur.Cli.Commands;

/// <summary><c>recur video data</c> (clips written for a person to look at) and <c>recur video RUN CLIP.png</c> (a person's own clip read).</summary>
internal static class VideoFiles
{
    /// <summary>Draws the clips and writes DIR/clips.jsonl and the first --png clips of each split as PNG strips.</summary>
    public static int Data(Args args)
    {
        string outDir = args.String("out") ?? throw new CliException("video data needs --out DIR.");
        var d = new ClipOptions();
        var o = new ClipOptions
        {
            Train = args.Int("clips", d.Train, min: 0, max: 10_000_000),
            Test = args.Int("test-clips", d.Test, min: 0, max: 10_000_000),
            Frames = args.Int("frames", d.Frames, min: 8, max: 64),
            Seed = (ulong)args.Int("seed", 1, min: 0),
        };
        int png = args.Int("png", 100, min: 0);
        args.ThrowOnUnused(2);
        string dataDir = args.Positional.Count > 1 ? args.Positional[1] : FashionMnist.DefaultDirectory;
        var (train, test) = ClassifyCommand.LoadData(dataDir);
        var splits = new[] { ClipGenerator.Training(train, o), ClipGenerator.Validation(train, o, VideoDefinition.Instance.Defaults.ValFrac),
            ClipGenerator.Test(test, o) };
        Directory.CreateDirectory(outDir);
        string jsonl = Path.Combine(outDir, "clips.jsonl");
        using (var writer = new StreamWriter(jsonl))
        {
            foreach (var split in splits)
            {
                Directory.CreateDirectory(Path.Combine(outDir, split.Name));
                for (int i = 0; i < split.Clips.Count; i++)
                {
                    var clip = split.Clips[i];
                    string? file = null;
                    if (i < png)
                    {
                        file = Path.Combine(split.Name, $"{i:D5}.png");
                        Png.Save(Path.Combine(outDir, file), ClipStrip.Of(clip, split.Images));
                    }
                    writer.WriteLine(Line(split, i, clip, file));
                }
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{string.Join(", ", splits.Select(s => $"{s.Clips.Count:N0} {s.Name}"))} clips of {o.Frames} frames: {jsonl}; "
            + $"PNG strips of the first {png} of each split"));
        return 0;
    }

    private static string Line(ClipSplit split, int index, VideoClip clip, string? file)
    {
        var names = FashionMnist.ClassNames;
        var visible = clip.Visible(split.Images);
        int C = split.Images.ClassCount;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("split", split.Name);
            w.WriteNumber("index", index);
            if (file is not null) w.WriteString("file", file.Replace('\\', '/'));
            w.WriteString("action", VideoActions.Name(clip.Action));
            w.WriteString("sentence", VideoActions.Sentence(clip.Action, [.. clip.ActorClasses.Select(c => Recur.Data.Scenes.CaptionGrammar.Singular[c])]));
            w.WriteStartArray("objects");
            foreach (var ob in clip.Objects)
            {
                w.WriteStartObject();
                w.WriteString("class", names[ob.Class]);
                w.WriteNumber("image", ob.Image);
                w.WriteBoolean("actor", ob.Actor);
                w.WriteStartArray("x"); foreach (int x in ob.X) w.WriteNumberValue(x); w.WriteEndArray();
                w.WriteStartArray("y"); foreach (int y in ob.Y) w.WriteNumberValue(y); w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("visible");
            for (int t = 0; t < clip.Frames; t++)
            {
                w.WriteStartArray();
                for (int k = 0; k < C; k++) if (visible[t * C + k]) w.WriteStringValue(names[k]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads each PNG strip, prints the action the run's best model sees and, per frame, the classes it sees.</summary>
    public static int Classify(Args args)
    {
        args.ThrowOnUnused(int.MaxValue);
        if (args.Positional.Count < 2) throw new CliException("name a run and at least one clip: recur video RUN CLIP.png...");
        var ck = VideoCheckpoint.Instance.Load(args.Positional[0], CheckpointKind.Best);
        var names = FashionMnist.ClassNames;
        foreach (string path in args.Positional.Skip(1))
        {
            PixelImage read;
            try { read = PngDecoder.Read(path).ToGrey(); }
            catch (PngFormatException e) { throw new CliException(e.Message, 1); }
            catch (FileNotFoundException e) { throw new CliException(e.Message, 1); }
            IReadOnlyList<byte[]> frames;
            try { frames = ClipStrip.Frames(read); }
            catch (ArgumentException e) { throw new CliException($"{path}: {e.Message}", 1); }
            if (frames.Count < 2)
                throw new CliException($"{path}: one frame is not a clip; the model was trained on {ck.Clips.Frames} frames side by side.", 1);
            UnseenInput.CheckImage(path, read, read.Width, read.Height, anySize: false, "clips of Fashion-MNIST objects on black",
                "give a strip of 64x64 frames as recur video data writes them.");
            int T = frames.Count, side = VideoClip.DefaultSide;
            var features = ck.Encoder.Encode(frames, side, side);
            var x = new Tensor(T, 1, features.Length / T);
            features.Data.AsSpan().CopyTo(x.Data);
            var (act, vis) = ck.Model.Forward(x);
            int a = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(act.Data.AsSpan(0, VideoActions.Count));
            string note = T == ck.Clips.Frames ? "" : $" ({T} frames; the model was trained on {ck.Clips.Frames})";
            Console.WriteLine($"{path}{note}: {VideoActions.Name(VideoActions.All[a])}");
            int C = ck.Model.Config.Classes;
            for (int t = 0; t < T; t++)
            {
                var seen = Enumerable.Range(0, C).Where(k => vis.Data[t * C + k] > 0).Select(k => names[k]).ToArray();
                Console.WriteLine($"  frame {t + 1}: {(seen.Length == 0 ? "-" : string.Join(", ", seen))}");
            }
        }
        return 0;
    }
}
