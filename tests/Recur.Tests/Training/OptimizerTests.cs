using Recur.IO;
using Recur.Nn;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Training;

public sealed class OptimizerTests
{
    private static readonly string[] ParamNames = ["w", "b"];

    private static ParameterStore MakeStore(int padding = 0)
    {
        var store = new ParameterStore();
        if (padding > 0) store.Add("pad", padding);
        store.Add("w", 5, 7);
        store.Add("b", 11);
        return store;
    }

    /// <summary>Builds the optimizer a fixture's metadata describes.</summary>
    private static Optimizer FromMetadata(SafeTensorsFile f, ParameterStore store, double lr)
    {
        double N(string k, double d) => TrainingFixtures.Number(f, k, d);
        bool B(string k) => TrainingFixtures.Flag(f, k);
        return f.Metadata["optimizer"] switch
        {
            "sgd" => new Sgd(store, lr, N("momentum", 0), N("dampening", 0), B("nesterov"), N("weight_decay", 0)),
            "adagrad" => new Adagrad(store, lr, N("lr_decay", 0), N("weight_decay", 0), N("initial_accumulator_value", 0), N("eps", 1e-10)),
            "rmsprop" => new RmsProp(store, lr, N("alpha", 0.99), N("eps", 1e-8), N("weight_decay", 0), N("momentum", 0), B("centered")),
            "adam" => new Adam(store, lr, N("beta1", 0.9), N("beta2", 0.999), N("eps", 1e-8), N("weight_decay", 0), B("amsgrad")),
            "adamw" => new AdamW(store, lr, N("beta1", 0.9), N("beta2", 0.999), N("eps", 1e-8), N("weight_decay", 1e-2), B("amsgrad")),
            var other => throw new InvalidOperationException($"unknown optimizer '{other}' in fixture"),
        };
    }

    public static TheoryData<string> Configs() =>
    [
        "sgd_plain", "sgd_momentum", "sgd_nesterov", "adagrad_minchar", "adagrad_full", "rmsprop_charrnn",
        "rmsprop_centered_momentum", "adam", "adam_wd_amsgrad", "adamw", "adamw_amsgrad",
    ];

    [Theory]
    [MemberData(nameof(Configs))]
    public void Replays_pytorch_1_13(string config)
    {
        var f = TrainingFixtures.Load($"optim_{config}.safetensors");
        int steps = (int)TrainingFixtures.Number(f, "steps");
        double[] lrs = f.Metadata["lrs"].Split(',').Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        string[] states = f.Metadata["states"].Split(',', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(steps, lrs.Length);

        // An odd-sized parameter first, so w and b straddle vector boundaries in the arena.
        var store = MakeStore(padding: 3);
        foreach (var n in ParamNames) store[n].CopyFrom(f.GetTensor($"p0.{n}"));
        var opt = FromMetadata(f, store, lrs[0]);
        Assert.Equal(states.OrderBy(s => s, StringComparer.Ordinal), opt.State.Keys.OrderBy(s => s, StringComparer.Ordinal));

        for (int k = 1; k <= steps; k++)
        {
            opt.LearningRate = lrs[k - 1];
            foreach (var n in ParamNames) f.GetTensor($"g{k}.{n}").Data.CopyTo(store[n].Grad);
            opt.Step();
            Assert.Equal(k, opt.StepCount);
            foreach (var n in ParamNames)
            {
                TrainingFixtures.Close($"{config} step {k} {n}", store[n].Value, f.GetTensor($"p{k}.{n}").Data);
                foreach (var s in states)
                    TrainingFixtures.Close($"{config} step {k} {s}.{n}", opt.StateOf(s, store[n]), f.GetTensor($"s{k}.{s}.{n}").Data);
            }
        }
    }

    private static Optimizer Make(string kind, ParameterStore store) => kind switch
    {
        "sgd" => new Sgd(store, 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
        "nesterov" => new Sgd(store, 0.1, momentum: 0.9, nesterov: true),
        "adagrad" => new Adagrad(store, 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1),
        "minchar" => new Adagrad(store, 0.1, eps: 1e-8, epsilonInsideSqrt: true),
        "rmsprop" => new RmsProp(store, 0.01, alpha: 0.95, momentum: 0.3, centered: true, weightDecay: 0.01),
        "adam" => new Adam(store, 0.01, weightDecay: 0.01, amsgrad: true),
        "adamw" => new AdamW(store, 0.01, amsgrad: true),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static TheoryData<string> Kinds() => ["sgd", "nesterov", "adagrad", "minchar", "rmsprop", "adam", "adamw"];

    private static void RandomGrads(ParameterStore store, Rng rng)
    {
        for (int i = 0; i < store.Count; i++) store.Grads[i] = rng.NextGaussian();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Thread_count_does_not_change_a_single_bit(string kind)
    {
        // an arena long enough to be split, with a ragged vector tail
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var store = new ParameterStore();
            store.Add("w", 3 * (1 << 16) + 13);
            var rng = new Rng(5);
            for (int i = 0; i < store.Count; i++) store.Values[i] = rng.NextGaussian();
            var opt = Make(kind, store);
            opt.Threads = threads;
            for (int step = 0; step < 3; step++)
            {
                RandomGrads(store, rng);
                opt.Step();
            }
            if (first is null) first = (float[])store.Values.Clone();
            else Assert.Equal(first, store.Values);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(kind, MakeStore()).Threads = -1);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void State_round_trip_continues_bit_for_bit(string kind)
    {
        var rng = new Rng(17);
        var a = MakeStore();
        for (int i = 0; i < a.Count; i++) a.Values[i] = rng.NextGaussian();
        var optA = Make(kind, a);
        for (int s = 0; s < 3; s++) { RandomGrads(a, rng); optA.Step(); }

        // "Checkpoint": copies of the values, the state buffers and the step count.
        var savedValues = (float[])a.Values.Clone();
        var savedState = optA.State.ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Clone());
        long savedStep = optA.StepCount;

        var b = MakeStore();
        savedValues.CopyTo(b.Values, 0);
        var optB = Make(kind, b);
        optB.LoadState(savedState, savedStep);
        Assert.Equal(3, optB.StepCount);

        for (int s = 0; s < 2; s++)
        {
            RandomGrads(a, rng);
            a.Grads.CopyTo(b.Grads, 0);
            optA.Step();
            optB.Step();
            Assert.Equal(a.Values, b.Values);
            foreach (var (name, buf) in optA.State) Assert.Equal(buf, optB.State[name]);
        }
        Assert.NotEqual(savedValues, a.Values); // the steps did something
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Update_does_not_depend_on_position_in_the_arena(string kind)
    {
        // Same values and gradients at offsets 0 and 5 of the arena: the vector body / padded-tail
        // split differs, the results must not.
        var rng = new Rng(3);
        var s0 = MakeStore();
        var s5 = MakeStore(padding: 5);
        var o0 = Make(kind, s0);
        var o5 = Make(kind, s5);
        for (int i = 0; i < s0.Count; i++) s0.Values[i] = s5.Values[i + 5] = rng.NextGaussian();
        for (int step = 0; step < 3; step++)
        {
            for (int i = 0; i < s0.Count; i++) s0.Grads[i] = s5.Grads[i + 5] = rng.NextGaussian();
            o0.Step();
            o5.Step();
            Assert.Equal(s0.Values, s5.Values.AsSpan(5).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Step_allocates_nothing(string kind)
    {
        var store = new ParameterStore();
        store.Add("x", 1003);
        var opt = Make(kind, store);
        RandomGrads(store, new Rng(1));
        for (int i = 0; i < 3; i++) opt.Step(); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) opt.Step();
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
    }

    [Fact]
    public void Minchar_adagrad_matches_the_numpy_formula()
    {
        // min-char-rnn: mem += dparam * dparam; param += -learning_rate * dparam / np.sqrt(mem + 1e-8)
        var store = new ParameterStore();
        store.Add("x", 19);
        var rng = new Rng(5);
        for (int i = 0; i < store.Count; i++) store.Values[i] = rng.NextGaussian();
        var p = store.Values.Select(v => (double)v).ToArray();
        var mem = new double[store.Count];
        var opt = new Adagrad(store, 0.1, eps: 1e-8, epsilonInsideSqrt: true);
        for (int step = 0; step < 5; step++)
        {
            RandomGrads(store, rng);
            if (step == 0) store.Grads[4] = 0; // mem = 0 there: only the eps keeps 0/0 away
            for (int i = 0; i < p.Length; i++)
            {
                double g = store.Grads[i];
                mem[i] += g * g;
                p[i] += -0.1 * g / Math.Sqrt(mem[i] + 1e-8);
            }
            opt.Step();
            TrainingFixtures.Close($"min-char-rnn adagrad step {step}", store.Values, p.Select(v => (float)v).ToArray(), 1e-5);
        }
        Assert.Equal(["sum"], opt.State.Keys);
    }

    [Fact]
    public void Learning_rate_changes_take_effect_and_zero_freezes_sgd()
    {
        var store = MakeStore();
        store.Values.AsSpan().Fill(1f);
        store.Grads.AsSpan().Fill(2f);
        var opt = new Sgd(store, 0.5);
        opt.Step();
        Assert.All(store.Values, v => Assert.Equal(0f, v));
        opt.LearningRate = 0;
        opt.Step();
        Assert.All(store.Values, v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => opt.LearningRate = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => opt.LearningRate = double.NaN);
    }

    [Fact]
    public void Misuse_is_reported()
    {
        var store = MakeStore();
        var adam = new Adam(store);
        Assert.Equal(["exp_avg", "exp_avg_sq"], adam.State.Keys);

        var missing = new Dictionary<string, float[]> { ["exp_avg"] = new float[store.Count] };
        Assert.Contains("exp_avg_sq", Assert.Throws<ArgumentException>(() => adam.LoadState(missing, 1)).Message);
        var extra = new Dictionary<string, float[]> { ["exp_avg"] = new float[store.Count], ["exp_avg_sq"] = new float[store.Count], ["sum"] = new float[store.Count] };
        Assert.Contains("sum", Assert.Throws<ArgumentException>(() => adam.LoadState(extra, 1)).Message);
        var shortBuf = new Dictionary<string, float[]> { ["exp_avg"] = new float[3], ["exp_avg_sq"] = new float[store.Count] };
        Assert.Contains("length 3", Assert.Throws<ArgumentException>(() => adam.LoadState(shortBuf, 1)).Message);
        Assert.Throws<KeyNotFoundException>(() => adam.StateOf("momentum_buffer", store["w"]));
        Assert.Throws<ArgumentException>(() => adam.StateOf("exp_avg", MakeStore()["w"]));

        Assert.Throws<ArgumentException>(() => new Sgd(store, 0.1, momentum: 0, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(store, beta1: 1.0));
        Assert.Empty(new Sgd(store, 0.1).State);

        store.Add("late", 4);
        Assert.Contains("create the optimizer after all layers", Assert.Throws<InvalidOperationException>(adam.Step).Message);
    }
}
