using Recur.Data.Video;
using Recur.Tasks.Video;
using Xunit;

namespace Recur.Tests.Tasks.Video;

public sealed class VideoScoreTests
{
    [Fact]
    public void ScoresMatchAnExampleWorkedByHand()
    {
        // Two clips of 6 actions, 2 frames, 2 classes.
        // Clip 0 is action 1: logits peak at 1 (right). Clip 1 is action 4: logits tie between 2 and 4, the first wins (wrong).
        float[] act = [0, 3, 1, 0, 0, 0, /**/ 0, 0, 2, 0, 2, 0];
        int[] actions = [1, 4];
        // Visibility (N=2, T=2, C=2), predicted where the logit is above 0:
        //   truth     1 0 | 1 1 || 0 0 | 0 1
        //   logits   +1 -1 | +1 -2 || +3 -1 | -1 +2
        //   predicted 1 0 | 1 0 || 1 0 | 0 1
        // TP = 3 (frame 0 class 0, frame 1 class 0 of clip 0; clip 1 frame 1 class 1), FP = 1 (clip 1 frame 0 class 0),
        // FN = 1 (clip 0 frame 1 class 1). Precision 3/4, recall 3/4, F1 = 2*3 / (2*3 + 1 + 1) = 0.75.
        float[] truth = [1, 0, 1, 1, 0, 0, 0, 1];
        float[] vis = [1, -1, 1, -2, 3, -1, -1, 2];
        var s = VideoScore.FromLogits(act, actions, vis, truth, frames: 2, actionCount: 6);
        Assert.Equal(0.5, s.ActionAccuracy);
        Assert.Equal(0.75, s.VisiblePrecision, 12);
        Assert.Equal(0.75, s.VisibleRecall, 12);
        Assert.Equal(0.75, s.VisibleF1, 12);
        Assert.Equal(1.0, s.AccuracyOf(VideoAction.LeavesToLeft));
        Assert.Equal(0.0, s.AccuracyOf(VideoAction.Approach));
        Assert.True(double.IsNaN(s.AccuracyOf(VideoAction.Separate)));
        // Loss: cross-entropy of clip 0 = log(1 + e^-3 (e^0 x 4 + e^1)) ... computed here from its definition, with the
        // visibility term the mean over 4 frames of the summed BCE.
        double Ce(float[] z, int k)
        {
            double m = z.Max(), sum = z.Sum(v => Math.Exp(v - m));
            return Math.Log(sum) + m - z[k];
        }
        double ce = (Ce(act[..6], 1) + Ce(act[6..], 4)) / 2;
        double bce = 0;
        for (int i = 0; i < 8; i++) bce += Math.Log(1 + Math.Exp(-(truth[i] > 0 ? vis[i] : -vis[i])));
        Assert.Equal(ce + bce / 4, s.Loss, 5);
    }

    [Fact]
    public void NothingVisibleAndNothingPredictedIsAPerfectF1()
    {
        var s = VideoScore.FromLogits([1, 0], [0], [-1, -1], [0, 0], frames: 1, actionCount: 2);
        Assert.Equal(1.0, s.VisibleF1);
        Assert.Equal(1.0, s.ActionAccuracy);
        var missed = VideoScore.FromLogits([1, 0], [0], [-1, -1], [1, 0], frames: 1, actionCount: 2);
        Assert.Equal(0.0, missed.VisibleF1);
    }
}
