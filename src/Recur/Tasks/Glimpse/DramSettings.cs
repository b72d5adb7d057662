using Recur.Data;
using Recur.Data.Scenes;
using Recur.Models.Glimpse;
using Recur.Training;

namespace Recur.Tasks.Glimpse;

/// <summary>
/// What a DRAM run (<c>recur glimpse train --model dram</c>) needs beyond <see cref="TrainOptions"/> (whose <c>--hidden</c> is
/// the lower LSTM <c>r1</c>), each option declared once in <see cref="Specs"/>: the scenes and the model's sizes. Defaults are
/// <see cref="DramConfig"/>'s.
/// </summary>
public sealed record DramSettings
{
    private static readonly DramConfig Core = new();

    /// <summary>Training scenes.</summary>
    public int Scenes { get; init; } = 20_000;

    /// <summary>Test scenes of each kind (seen and held-out compositions).</summary>
    public int TestScenes { get; init; } = 1_000;

    /// <summary>The scenes' draw.</summary>
    public int SceneSeed { get; init; } = 1;

    /// <summary>Glimpses per object <c>G</c>.</summary>
    public int GlimpsesPerObject { get; init; } = Core.GlimpsesPerObject;

    /// <summary>Retina patch side <c>g</c>.</summary>
    public int Patch { get; init; } = Core.Patch;

    /// <summary>Retina scales <c>k</c>.</summary>
    public int Scales { get; init; } = Core.Scales;

    /// <summary>Width of <c>h_g</c>.</summary>
    public int GlimpseHidden { get; init; } = Core.GlimpseHidden;

    /// <summary>Width of <c>h_l</c>.</summary>
    public int LocationHidden { get; init; } = Core.LocationHidden;

    /// <summary>Width of <c>g_t</c>.</summary>
    public int GlimpseOut { get; init; } = Core.GlimpseOut;

    /// <summary>Width of the upper LSTM <c>r2</c>.</summary>
    public int UpperHidden { get; init; } = Core.UpperHidden;

    /// <summary>The context network's average pooling.</summary>
    public int ContextPool { get; init; } = Core.ContextPool;

    /// <summary>The location policy's standard deviation.</summary>
    public double Sigma { get; init; } = (double)(decimal)Core.Sigma; // 0.15 through decimal: 7 digits

    /// <summary>Whether REINFORCE also trains <c>r1</c> and the glimpse network through <c>r2</c>'s input.</summary>
    public bool ReinforceIntoLower { get; init; }

    private const string Data = "scenes (--model dram)";
    private const string Dram = "DRAM (--model dram; --hidden is the lower LSTM r1's width)";

    /// <summary>The task's own options: flag, default (this record's), range and help.</summary>
    public static IReadOnlyList<OptionSpec<DramSettings>> Specs { get; } =
    [
        SettingSpecs.Int<DramSettings>("scenes", "N", Data, "training scenes (validation scenes: --val-frac of N more, from other images)", 1, 10_000_000,
            s => s.Scenes, (s, v) => s with { Scenes = SettingSpecs.I(v) }),
        SettingSpecs.Int<DramSettings>("test-scenes", "N", Data, "scenes in each test split, seen and held-out compositions", 0, 10_000_000,
            s => s.TestScenes, (s, v) => s with { TestScenes = SettingSpecs.I(v) }),
        SettingSpecs.Int<DramSettings>("scene-seed", "S", Data, "the scenes' draw", 0, int.MaxValue,
            s => s.SceneSeed, (s, v) => s with { SceneSeed = SettingSpecs.I(v) }),
        SettingSpecs.Int<DramSettings>("glimpses-per-object", "G", Dram, "glimpses before each object's class (and before the end symbol)", 1, 16,
            s => s.GlimpsesPerObject, (s, v) => s with { GlimpsesPerObject = SettingSpecs.I(v) }),
        SettingSpecs.Int<DramSettings>("patch", "G", Dram, "retina patch side g: scale s covers g 2^s pixels pooled to g x g", 1, 64,
            s => s.Patch, (s, v) => s with { Patch = SettingSpecs.I(v) }),
        SettingSpecs.Int<DramSettings>("scales", "K", Dram, "retina scales k", 1, 8, s => s.Scales, (s, v) => s with { Scales = SettingSpecs.I(v) }),
        SettingSpecs.Int<DramSettings>("glimpse-hidden", "H", Dram, "width of h_g, the glimpse network's \"what\"", 1, 16384,
            s => s.GlimpseHidden, (s, v) => s with { GlimpseHidden = SettingSpecs.I(v) }),
        SettingSpecs.Int<DramSettings>("location-hidden", "H", Dram, "width of h_l, the glimpse network's \"where\"", 1, 16384,
            s => s.LocationHidden, (s, v) => s with { LocationHidden = SettingSpecs.I(v) }),
        SettingSpecs.Int<DramSettings>("glimpse-out", "G", Dram, "width of the glimpse feature g_t, r1's input", 1, 16384,
            s => s.GlimpseOut, (s, v) => s with { GlimpseOut = SettingSpecs.I(v) }),
        SettingSpecs.Int<DramSettings>("upper-hidden", "H", Dram, "width of the upper LSTM r2, which emits the locations", 1, 16384,
            s => s.UpperHidden, (s, v) => s with { UpperHidden = SettingSpecs.I(v) }),
        SettingSpecs.Int<DramSettings>("context-pool", "F", Dram, "the context network reads the scene average-pooled by F (must divide 84)", 1, 84,
            s => s.ContextPool, (s, v) => s with { ContextPool = SettingSpecs.I(v) }),
        SettingSpecs.Real<DramSettings>("sigma", "SD", Dram, "the location policy's fixed standard deviation (locations in [-1, 1])", 1e-4, 10,
            s => s.Sigma, (s, v) => s with { Sigma = SettingSpecs.D(v) }),
        SettingSpecs.Flag<DramSettings>("reinforce-into-lower", Dram, "REINFORCE also trains r1 and the glimpse network through r2's input",
            s => s.ReinforceIntoLower, (s, v) => s with { ReinforceIntoLower = (bool)v }),
    ];

    /// <summary>The scenes these settings describe.</summary>
    public SceneOptions ToScenes() => new() { Train = Scenes, TestSeen = TestScenes, TestHeldOut = TestScenes, Seed = (ulong)SceneSeed };

    /// <summary>The model for the 84x84 scenes (at most 4 objects) with a lower LSTM of <paramref name="lowerHidden"/>.</summary>
    public DramConfig ToConfig(int lowerHidden) => new()
    {
        Width = Scene.DefaultGridSide * Scene.CellSize, Height = Scene.DefaultGridSide * Scene.CellSize, Objects = SceneGenerator.MaxObjects,
        GlimpsesPerObject = GlimpsesPerObject, Patch = Patch, Scales = Scales, GlimpseHidden = GlimpseHidden, LocationHidden = LocationHidden,
        GlimpseOut = GlimpseOut, LowerHidden = lowerHidden, UpperHidden = UpperHidden, ContextPool = ContextPool,
        Classes = FashionMnist.ClassCount, Sigma = (float)Sigma, ReinforceIntoLower = ReinforceIntoLower,
    };
}
