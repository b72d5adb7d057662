namespace Recur.Cli.Commands;

/// <summary><c>recur caption ...</c>: image captioning on scenes made from Fashion-MNIST (data, train, eval, and captions of a person's own images).</summary>
internal sealed class CaptionCommand : ICommand
{
    public string Name => "caption";
    public string Summary => "image captioning (CNN + RNN, soft or hard attention) on scenes of Fashion-MNIST images: data, train, eval, RUN IMAGE.png...";
    public string Usage => $"""
        usage: recur caption data [FASHION_DIR] --out DIR [options]
               recur caption train [FASHION_DIR] [--encoder CNN_RUN] [--model rnn|lstm|attention] [options]
               recur caption eval RUN [FASHION_DIR] [--split validation|test] [--beam K] [--attention report.html]
               recur caption RUN IMAGE.png... [--beam K] [--attention report.html] [--resize]

        recur caption data [FASHION_DIR] --out DIR [--train N] [--test-seen N] [--test-heldout N] [--heldout-pairs K] [--seed S] [--png N]
        {CaptionData.Usage}
        {CaptionTrain.Usage}
        {CaptionTrain.OptionsUsage}
        {CaptionEval.Usage}
        {CaptionImages.Usage}
        """;

    public int Run(Args args)
    {
        string? sub = args.Positional.Count > 0 ? args.Positional[0] : null;
        return sub switch
        {
            "data" => CaptionData.Run(args),
            "train" => CaptionTrain.Run(args),
            "eval" => CaptionEval.Run(args),
            null => throw new CliException("name what to do: recur caption data|train|eval, or recur caption RUN IMAGE.png..."),
            _ when Directory.Exists(sub) => CaptionImages.Run(args),
            _ => throw new CliException($"unknown caption command '{sub}': the commands are data, train and eval, or a run folder followed by images."),
        };
    }
}
