using Recur.Nn;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Training;

public sealed class OptimizerRegistryTests
{
    // A learning rate and weight decay that differ from every constructor default, so a factory that dropped
    // either would step differently from the direct construction.
    private const double Lr = 0.05, Wd = 0.02;

    /// <summary>
    /// What each name must make, written out with every hyperparameter: the settings runs have always used
    /// (rmsprop: char-rnn's alpha 0.95, eps 1e-8), and the state buffers checkpoints store under each name.
    /// </summary>
    private static (Type Type, Func<ParameterStore, Optimizer> Direct, string[] State) Expected(string name) => name switch
    {
        "adam" => (typeof(Adam), s => new Adam(s, Lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: Wd, amsgrad: false),
            ["exp_avg", "exp_avg_sq"]),
        "adamw" => (typeof(AdamW), s => new AdamW(s, Lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: Wd, amsgrad: false),
            ["exp_avg", "exp_avg_sq"]),
        "rmsprop" => (typeof(RmsProp), s => new RmsProp(s, Lr, alpha: 0.95, eps: 1e-8, weightDecay: Wd, momentum: 0, centered: false),
            ["square_avg"]),
        "adagrad" => (typeof(Adagrad), s => new Adagrad(s, Lr, lrDecay: 0, weightDecay: Wd, initialAccumulatorValue: 0, eps: 1e-10,
            epsilonInsideSqrt: false),
            ["sum"]),
        "sgd" => (typeof(Sgd), s => new Sgd(s, Lr, momentum: 0, dampening: 0, nesterov: false, weightDecay: Wd), []),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no expectation written for this optimizer; add one."),
    };

    // The names run folders record: each must stay registered, or those runs stop resuming.
    private static readonly string[] KnownNames = ["adam", "adamw", "rmsprop", "adagrad", "sgd"];

    public static TheoryData<string> Names() => [.. OptimizerRegistry.Names];

    private static ParameterStore MakeStore()
    {
        var store = new ParameterStore();
        store.Add("w", 5, 7);
        store.Add("b", 11);
        var rng = new Rng(17);
        for (int i = 0; i < store.Count; i++) store.Values[i] = rng.NextGaussian();
        return store;
    }

    /// <summary>Takes three steps on fresh gradients drawn from the same seed; returns the values and state.</summary>
    private static (float[] Values, Dictionary<string, float[]> State) Run(Optimizer opt)
    {
        var rng = new Rng(29);
        for (int step = 0; step < 3; step++)
        {
            for (int i = 0; i < opt.Store.Count; i++) opt.Store.Grads[i] = rng.NextGaussian();
            opt.Step();
        }
        return ((float[])opt.Store.Values.Clone(), opt.State.ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Clone()));
    }

    [Fact]
    public void Registers_every_optimizer_runs_have_used_once_each()
    {
        Assert.Subset(OptimizerRegistry.Names.ToHashSet(StringComparer.Ordinal), KnownNames.ToHashSet(StringComparer.Ordinal));
        Assert.Equal(OptimizerRegistry.Names.Count, OptimizerRegistry.Names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(OptimizerRegistry.All, e => Assert.False(string.IsNullOrWhiteSpace(e.Description), e.Name));
        Assert.All(OptimizerRegistry.All, e => Assert.DoesNotContain('\n', e.Description));
        string usage = OptimizerRegistry.Usage();
        Assert.Equal(OptimizerRegistry.Names.Count, usage.Split('\n').Length);
        Assert.All(OptimizerRegistry.All, e => Assert.Contains($"  {e.Name}", usage, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_name_makes_its_optimizer_and_steps_bit_for_bit_as_a_direct_construction(string name)
    {
        var (type, direct, state) = Expected(name);
        var fromRegistry = OptimizerRegistry.Create(name, MakeStore(), Lr, Wd);
        var fromTrainer = Trainer.CreateOptimizer(new TrainOptions { Optimizer = name, LearningRate = Lr, WeightDecay = Wd }, MakeStore());
        var reference = direct(MakeStore());

        var (refValues, refState) = Run(reference);
        foreach (var opt in new[] { fromRegistry, fromTrainer })
        {
            Assert.IsType(type, opt, exactMatch: true);
            Assert.Equal(Lr, opt.LearningRate);
            Assert.Equal(state.Order(StringComparer.Ordinal), opt.State.Keys.Order(StringComparer.Ordinal));
            var (values, optState) = Run(opt);
            Assert.Equal(refValues, values);
            foreach (var s in state) Assert.Equal(refState[s], optState[s]);
            Assert.Equal(3, opt.StepCount);
        }
        // The steps moved the weights, so equality above says something.
        Assert.NotEqual(MakeStore().Values, refValues);
    }

    [Fact]
    public void The_optimizer_option_offers_exactly_the_registered_names()
    {
        var spec = TrainOptionSpecs.Get("optimizer");
        Assert.Equal(OptionKind.Choice, spec.Kind);
        Assert.Equal(OptimizerRegistry.Names, spec.Choices);
        Assert.Equal(string.Join("|", OptimizerRegistry.Names), spec.Value);
        Assert.All(OptimizerRegistry.Names, n => Assert.True(spec.Accepts(n), n));
        Assert.False(spec.Accepts("lion"));
        Assert.Contains(new TrainOptions().Optimizer, OptimizerRegistry.Names);
    }

    [Fact]
    public void An_unknown_name_is_refused_with_the_accepted_names()
    {
        var ex = Assert.Throws<ArgumentException>(() => OptimizerRegistry.Create("lion", MakeStore(), Lr, Wd));
        Assert.Equal("name", ex.ParamName);
        Assert.Contains("'lion'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(OptimizerRegistry.NamesText, ex.Message, StringComparison.Ordinal);
        Assert.All(KnownNames, n => Assert.Contains(n, ex.Message, StringComparison.Ordinal));

        var viaTrainer = Assert.Throws<ArgumentException>(() => Trainer.CreateOptimizer(new TrainOptions { Optimizer = "Adam" }, MakeStore()));
        Assert.Contains("'Adam'", viaTrainer.Message, StringComparison.Ordinal);
        Assert.Null(OptimizerRegistry.Find("Adam"));
        Assert.False(OptimizerRegistry.Contains(null));
        Assert.Throws<ArgumentNullException>(() => OptimizerRegistry.Create("adam", null!, Lr, Wd));
    }
}
