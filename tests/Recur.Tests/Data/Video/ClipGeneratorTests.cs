using Recur.Data;
using Recur.Data.Scenes;
using Recur.Data.Video;
using Xunit;

namespace Recur.Tests.Data.Video;

public sealed class ClipGeneratorTests
{
    /// <summary>
    /// 60 synthetic 28x28 images, 6 per class: image i is all <c>i + 1</c> (so every pixel has ink, spread evenly), labels
    /// cycling through the 10 classes.
    /// </summary>
    private static LabeledImages Uniform(int count = 60)
    {
        var pixels = new byte[count * 28 * 28];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)(i % 10);
            pixels.AsSpan(i * 784, 784).Fill((byte)(i + 1));
        }
        return new LabeledImages(pixels, labels, 28, 28, 10, "uniform");
    }

    private static VideoClip OneObject(int x, int y, int image = 0, int cls = 0) =>
        new(VideoAction.EntersFromLeft, [new ClipObject(cls, image, [x], [y], Actor: true)], Frames: 1);

    [Fact]
    public void AnObjectIsVisibleWhenHalfItsInkIsInsideTheFrame()
    {
        var images = Uniform();
        // Evenly spread ink: at x = -14, columns 14..27 of 28 are inside (14/28 = 0.5: visible); at -15, 13/28 < 0.5.
        Assert.True(OneObject(-14, 0).Visible(images)[0]);
        Assert.False(OneObject(-15, 0).Visible(images)[0]);
        // The right edge: x = 50 leaves columns 0..13 inside (14/28: visible); 51 leaves 13.
        Assert.True(OneObject(50, 10).Visible(images)[0]);
        Assert.False(OneObject(51, 10).Visible(images)[0]);
        // Rows count the same way: y = 36 + 14 = 50 keeps rows 0..13.
        Assert.True(OneObject(0, 50).Visible(images)[0]);
        Assert.False(OneObject(0, 51).Visible(images)[0]);
        // The label is the object's class, in a (T, 10) layout.
        var v = OneObject(0, 0, image: 3, cls: 3).Visible(images);
        Assert.Equal(10, v.Length);
        Assert.Equal([3], Enumerable.Range(0, 10).Where(k => v[k]));
    }

    [Fact]
    public void RenderPastesObjectsWhereTheyAreAndOverlapsTakeTheBrighterPixel()
    {
        var images = Uniform();
        var clip = new VideoClip(VideoAction.Approach,
            [new ClipObject(0, 4, [60], [0], Actor: true), new ClipObject(1, 9, [-20], [30], Actor: true), new ClipObject(2, 2, [0], [20], Actor: false)],
            Frames: 1);
        var frame = new byte[64 * 64];
        clip.Render(images, 0, frame);
        Assert.Equal(5, frame[0 * 64 + 63]);   // image 4 (value 5) at columns 60..63 (4 of its 28), rows 0..27
        Assert.Equal(0, frame[0 * 64 + 59]);
        Assert.Equal(3, frame[20 * 64 + 27]);  // image 2 (value 3) at columns 0..27, rows 20..47
        Assert.Equal(0, frame[20 * 64 + 28]);
        Assert.Equal(3, frame[25 * 64 + 0]);
        Assert.Equal(10, frame[30 * 64 + 7]);  // image 9 (value 10) at columns 0..7 (x = -20), rows 30..57: over image 2, the brighter
        Assert.Equal(3, frame[30 * 64 + 8]);   // image 2 alone
        Assert.Equal(10, frame[50 * 64 + 0]);  // image 9 alone (image 2 ends at row 47)
        Assert.Equal(0, frame[58 * 64 + 0]);
        var floats = new float[64 * 64];
        clip.Render(images, 0, floats);
        Assert.Equal(5 / 255f, floats[63]);
    }

    [Fact]
    public void ReversedActionsAreTheForwardClipsPlayedBackwards()
    {
        var images = Uniform();
        var clips = ClipGenerator.Draw(images, 300, 16, new Rng(5));
        var clip = clips.First(c => c.Action == VideoAction.LeavesToLeft);
        var back = clip.Reversed();
        Assert.Equal(VideoAction.EntersFromLeft, back.Action);
        var twice = back.Reversed();
        Assert.Equal(clip.Action, twice.Action);
        Assert.Equal(clip.Objects.SelectMany(o => o.X.Concat(o.Y)), twice.Objects.SelectMany(o => o.X.Concat(o.Y)));
        Assert.Equal(clip.Objects[0].X.Reverse(), back.Objects[0].X);
        var a = new byte[64 * 64];
        var b = new byte[64 * 64];
        for (int t = 0; t < 16; t++)
        {
            clip.Render(images, t, a);
            back.Render(images, 15 - t, b);
            Assert.Equal(a, b);
        }
        foreach (var action in VideoActions.All) Assert.Equal(action, VideoActions.Reverse(VideoActions.Reverse(action)));
    }

    [Fact]
    public void ActorsDoWhatTheirActionSays()
    {
        var images = Uniform();
        var clips = ClipGenerator.Draw(images, 600, 16, new Rng(11));
        foreach (var action in VideoActions.All) Assert.InRange(clips.Count(c => c.Action == action), 70, 130);
        foreach (var clip in clips)
        {
            var actors = clip.Objects.Where(o => o.Actor).ToArray();
            Assert.Equal(VideoActions.HasTwoActors(clip.Action) ? 2 : 1, actors.Length);
            Assert.InRange(clip.Objects.Count, 1, 3);
            var first = actors[0];
            var visible = clip.Visible(images);
            bool Seen(int t) => visible[t * 10 + first.Class];
            switch (clip.Action)
            {
                case VideoAction.EntersFromLeft:
                    Assert.InRange(first.X[0], -28, -24);
                    Assert.InRange(first.X[^1], 8, 36);
                    Assert.True(Seen(15));
                    break;
                case VideoAction.LeavesToLeft:
                    Assert.InRange(first.X[^1], -28, -24);
                    Assert.True(Seen(0));
                    break;
                case VideoAction.EntersFromRight:
                    Assert.InRange(first.X[0], 60, 64);
                    Assert.True(Seen(15));
                    break;
                case VideoAction.LeavesToRight:
                    Assert.InRange(first.X[^1], 60, 64);
                    break;
                case VideoAction.Approach:
                    Assert.True(actors[1].X[0] - first.X[0] > actors[1].X[^1] - first.X[^1]);
                    Assert.InRange(actors[1].X[^1] - first.X[^1], 28, 32);
                    break;
                case VideoAction.Separate:
                    Assert.True(actors[1].X[0] - first.X[0] < actors[1].X[^1] - first.X[^1]);
                    break;
            }
            foreach (var d in clip.Objects.Where(o => !o.Actor))
                Assert.All(Enumerable.Range(0, 16), t => { Assert.InRange(d.X[t], 0, 36); Assert.InRange(d.Y[t], 0, 36); });
            // Objects never cover each other: actors share a band of rows (0-31 or 32-63), the distractor has the other.
            for (int t = 0; t < 16; t++)
                for (int i = 0; i < clip.Objects.Count; i++)
                    for (int j = i + 1; j < clip.Objects.Count; j++)
                    {
                        var (a, b) = (clip.Objects[i], clip.Objects[j]);
                        bool apart = a.X[t] + 28 <= b.X[t] || b.X[t] + 28 <= a.X[t] || a.Y[t] + 28 <= b.Y[t] || b.Y[t] + 28 <= a.Y[t];
                        Assert.True(apart, $"clip {clip.Action}: objects {i} and {j} overlap in frame {t}");
                    }
        }
    }

    [Fact]
    public void SplitsDrawOnlyFromTheirOwnImagesAndFollowTheSeed()
    {
        var images = Uniform(120);
        var options = new ClipOptions { Train = 200, Test = 50, Seed = 3 };
        var train = ClipGenerator.Training(images, options);
        var val = ClipGenerator.Validation(images, options, 0.1);
        var test = ClipGenerator.Test(images, options);
        int cut = SceneImages.ValidationStart(120);
        Assert.All(train.Clips.SelectMany(c => c.Objects), o => Assert.InRange(o.Image, 0, cut - 1));
        Assert.All(val.Clips.SelectMany(c => c.Objects), o => Assert.InRange(o.Image, cut, 119));
        Assert.Equal(20, val.Clips.Count);
        Assert.Equal(50, test.Clips.Count);
        Assert.All(train.Clips.SelectMany(c => c.Objects), o => Assert.Equal(images.Labels[o.Image], o.Class));
        var again = ClipGenerator.Training(images, options);
        Assert.Equal(train.Clips.Select(Describe), again.Clips.Select(Describe));
        var other = ClipGenerator.Training(images, options with { Seed = 4 });
        Assert.NotEqual(train.Clips.Select(Describe), other.Clips.Select(Describe));
        Assert.Throws<ArgumentException>(() => ClipGenerator.Training(images, options with { Frames = 4 }));
    }

    private static string Describe(VideoClip c) =>
        $"{c.Action}:" + string.Join(";", c.Objects.Select(o => $"{o.Class},{o.Image},{string.Join(",", o.X)},{string.Join(",", o.Y)}"));
}
