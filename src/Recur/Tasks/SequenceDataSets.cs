using Recur.IO;
using Recur.Models.Seq2Seq;
using Recur.Models.Sentiment;
using Recur.Tasks.G2p;
using Recur.Tasks.Sentiment;
using Recur.Tasks.Tag;
using Recur.Tasks.Translate;

namespace Recur.Tasks;

/// <summary>
/// The training sets of the sequence tasks' PyTorch packages (tag, g2p, translate), <c>train_set.safetensors</c>: every
/// training example of the run's split as its model reads it (the ids the task's own dataset makes for a batch, so the
/// corpus reader, the splits, the vocabularies and translate's BPE are not reimplemented in Python), in Recur's example
/// order, with each example's length that <c>--bucket</c> batches by; train.py shuffles and buckets them as Recur's epochs do.
/// A field is ragged: example i's part is <c>field[offsets[i] .. offsets[i + 1])</c>.
/// <code>
/// tag             words I64 (tokens), tags I64 (tokens), offsets I64 (N + 1)   sentences
///                 chars I64 (characters), char_offsets I64 (tokens + 1)       each token's characters, cut as the model cuts them
/// g2p, translate  source I64 (symbols), source_offsets I64 (N + 1)            the source ids
///                 target I64 (symbols), target_offsets I64 (N + 1)            y1 .. yn, without &lt;START&gt; and &lt;END&gt;
/// sentiment       words I64 (tokens), offsets I64 (N + 1), labels I64 (N)     reviews cut to max_tokens, 1 positive
/// all             lengths I64 (N)
/// </code>
/// </summary>
public static class SequenceDataSets
{
    /// <summary>The training sentences of a tagging run's checkpoint, from its Brown corpus folder <paramref name="data"/>.</summary>
    public static SafeTensorsFile Tag(string checkpoint, string data)
    {
        var definition = TagDefinition.Instance;
        var task = (TagTask)definition.TrainingTask(definition.Checkpoint.Load(checkpoint), definition.LoadData(data));
        Ragged words = new(), tags = new(), chars = new();
        for (int i = 0; i < task.Train.Count; i++)
        {
            var b = task.Train.Batch([i]);
            words.Add(b.Words);
            tags.Add(b.Targets);
            foreach (var c in b.Chars) chars.Add(c);
        }
        return new SafeTensorsFile(null, [words.Values("words"), tags.Values("tags"), words.Offsets("offsets"), chars.Values("chars"),
            chars.Offsets("char_offsets"), Lengths(task)]);
    }

    /// <summary>The training pairs of a pronunciation run's checkpoint, from its dictionary <paramref name="data"/>.</summary>
    public static SafeTensorsFile G2p(string checkpoint, string data)
    {
        var definition = G2pDefinition.Instance;
        var task = (G2pTask)definition.TrainingTask(definition.Checkpoint.Load(checkpoint), definition.LoadData(data));
        return Pairs(task.Train.Pairs.Count, i => task.Train.Batch([i]), task);
    }

    /// <summary>The training pairs of a translation run's checkpoint, from its catalogue folder <paramref name="data"/>.</summary>
    public static SafeTensorsFile Translate(string checkpoint, string data)
    {
        var definition = TranslateDefinition.Instance;
        var task = (TranslateTask)definition.TrainingTask(definition.Checkpoint.Load(checkpoint), definition.LoadData(data));
        return Pairs(task.Train.Pairs.Count, i => task.Train.Batch([i]), task);
    }

    /// <summary>
    /// The validation reviews of a sentiment run's checkpoint (what <c>recur sentiment eval</c> scores, for eval.py) and its
    /// training reviews (for train.py), from its reviews file <paramref name="data"/>.
    /// </summary>
    public static (SafeTensorsFile Eval, SafeTensorsFile Train) Sentiment(string checkpoint, string data)
    {
        var definition = SentimentDefinition.Instance;
        var task = (SentimentTask)definition.TrainingTask(definition.Checkpoint.Load(checkpoint), definition.LoadData(data));
        return (Reviews(task.Validation), Reviews(task.Train));
    }

    private static SafeTensorsFile Reviews(SentimentDataset set)
    {
        Ragged words = new();
        var labels = new long[set.Count];
        var lengths = new long[set.Count];
        for (int i = 0; i < set.Count; i++)
        {
            var b = set.Batch([i]);
            words.Add(b.Words);
            labels[i] = b.Labels![0];
            lengths[i] = b.Lengths[0];
        }
        return new SafeTensorsFile(null, [words.Values("words"), words.Offsets("offsets"), new("labels", new IntegerArray(labels)),
            new("lengths", new IntegerArray(lengths))]);
    }

    /// <summary>
    /// Pairs 0 .. <paramref name="count"/> - 1, each as a batch of one: its source ids and its target between <c>&lt;START&gt;</c>
    /// and <c>&lt;END&gt;</c>.
    /// </summary>
    private static SafeTensorsFile Pairs(int count, Func<int, Seq2SeqBatch> batch, EpochTask task)
    {
        Ragged source = new(), target = new();
        for (int i = 0; i < count; i++)
        {
            var b = batch(i);
            source.Add(b.Source);
            var row = b.Targets!.AsSpan();
            target.Add(row[1..row.IndexOf(Seq2SeqModel.End)]);
        }
        return new SafeTensorsFile(null, [source.Values("source"), source.Offsets("source_offsets"), target.Values("target"),
            target.Offsets("target_offsets"), Lengths(task)]);
    }

    private static KeyValuePair<string, IntegerArray> Lengths(EpochTask task)
    {
        var lengths = task.Lengths ?? throw new InvalidOperationException($"the {task.Name} task gives no example lengths.");
        return new("lengths", new IntegerArray([.. lengths.Select(n => (long)n)]));
    }

    /// <summary>Rows of ids as one flat array and the offsets where each row starts (and the last ends).</summary>
    private sealed class Ragged
    {
        private readonly List<long> _values = [], _offsets = [0];

        public void Add(ReadOnlySpan<int> row)
        {
            foreach (int v in row) _values.Add(v);
            _offsets.Add(_values.Count);
        }

        public KeyValuePair<string, IntegerArray> Values(string name) => new(name, new IntegerArray([.. _values]));

        public KeyValuePair<string, IntegerArray> Offsets(string name) => new(name, new IntegerArray([.. _offsets]));
    }
}
