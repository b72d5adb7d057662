using Recur.Tasks.Caption;
using Xunit;

namespace Recur.Tests.Tasks;

/// <summary>The captioning recipe's attention-only defaults, for the captioners without attention.</summary>
public class CaptionRecipeTests
{
    private static readonly CaptionSettings Recipe = new() { AttentionEntropy = 0.01f, AttentionEntropyOn = "objects", ContextDropout = 0.2f };

    [Fact]
    public void AttentionKeepsEveryOption()
    {
        Assert.Same(Recipe, Recipe.ForModel("attention", _ => false));
        Recipe.Validate("attention");
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("rnn")]
    public void RnnAndLstmDropTheAttentionOnlyDefaults(string model)
    {
        Assert.Throws<ArgumentException>(() => Recipe.Validate(model));
        var s = Recipe.ForModel(model, _ => false);
        Assert.False(s.VisualWords);
        Assert.Equal((0f, "all", 0f), (s.AttentionEntropy, s.AttentionEntropyOn, s.ContextDropout));
        Assert.Equal((Recipe.FeatureDropout, Recipe.LabelSmoothing, Recipe.Features), (s.FeatureDropout, s.LabelSmoothing, s.Features));
        s.Validate(model);
    }

    [Fact]
    public void AnAttentionOnlyOptionGivenForLstmIsStillRefused()
    {
        var s = new CaptionSettings().ForModel("lstm", flag => flag == "visual-words");
        Assert.True(s.VisualWords);
        var e = Assert.Throws<ArgumentException>(() => s.Validate("lstm"));
        Assert.Contains("--model attention", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutACommandLineAnOptionOffItsDefaultCountsAsGiven()
    {
        var plain = new CaptionSettings().ForModel("lstm");
        Assert.False(plain.VisualWords);
        plain.Validate("lstm");
        var entropy = new CaptionSettings { AttentionEntropy = 0.01f }.ForModel("rnn");
        Assert.Equal(0.01f, entropy.AttentionEntropy);
        Assert.False(entropy.VisualWords);
        Assert.Throws<ArgumentException>(() => entropy.Validate("rnn"));
    }
}
