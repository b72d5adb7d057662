using Recur.Data;
using Recur.Models;
using Recur.Tasks.CharLm;
using Recur.Training;

namespace Recur.Tests.TestUtil;

/// <summary>Character runs for tests: a new or resumed run of <see cref="CharLmDefinition"/>, and its task's parts on the trainer.</summary>
internal static class CharRuns
{
    /// <summary>A new run over <paramref name="tokens"/>, from <paramref name="init"/>'s weights when given.</summary>
    public static Trainer New(TrainOptions o, Vocabulary vocabulary, int[] tokens, CharModel? init = null, string? dataSource = null,
        string? runDirectory = null)
    {
        var trainer = CharLmDefinition.Instance.Create(o, new CharSettings { InitFrom = init }, new CharText(vocabulary, tokens),
            dataSource ?? o.Data ?? "<memory>");
        trainer.OutputDirectory = runDirectory;
        return trainer;
    }

    /// <summary>Continues the run of <paramref name="checkpoint"/> over the same tokens.</summary>
    public static Trainer Resume(LoadedCheckpoint checkpoint, int[] tokens, TrainOptions o)
        => CharLmDefinition.Instance.Resume(checkpoint, new CharText(checkpoint.Vocabulary, tokens), o);

    extension(Trainer trainer)
    {
        /// <summary>The character task the trainer runs.</summary>
        public CharLmTask Lm => (CharLmTask)trainer.Task;

        /// <summary>The model being trained.</summary>
        public CharModel Model => trainer.Lm.Model;

        /// <summary>The model's characters.</summary>
        public Vocabulary Vocabulary => trainer.Lm.Vocabulary;

        /// <summary>The train / validation / test splits.</summary>
        public DataSplits Splits => trainer.Lm.Splits;

        /// <summary>The training batcher.</summary>
        public StreamBatcher Batcher => trainer.Lm.Batcher;

        /// <summary>The text's record.</summary>
        public Recur.IO.DataInfo Data => trainer.Lm.Data;

        /// <summary>Mean cross-entropy of the evaluation weights on <paramref name="tokens"/>.</summary>
        public double Evaluate(ReadOnlyMemory<int> tokens) => trainer.WithEvaluationWeights(() => trainer.Lm.Evaluate(tokens));

        /// <summary>A sample from the evaluation weights.</summary>
        public string Sample(int length, double temperature = 1.0, ulong seed = 1, string prime = "")
            => trainer.WithEvaluationWeights(() => CharLmTask.SampleText(trainer.Lm.Model, trainer.Lm.Vocabulary, length, temperature, seed, prime));
    }
}
