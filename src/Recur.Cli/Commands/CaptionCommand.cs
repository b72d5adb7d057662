namespace Recur.Cli.Commands;

/// <summary><c>recur caption ...</c>: image captioning on scenes made from Fashion-MNIST (issue 13). Sub-commands: <c>data</c>.</summary>
internal sealed class CaptionCommand : ICommand
{
    public string Name => "caption";
    public string Summary => "image captioning on scenes of Fashion-MNIST images: data (write the captioned scenes)";
    public string Usage => $"""
        usage: recur caption data [FASHION_DIR] --out DIR [--train N] [--test-seen N] [--test-heldout N]
                                  [--heldout-pairs K] [--seed S] [--png N]

        {CaptionData.Usage}
        """;

    public int Run(Args args)
    {
        string? sub = args.Positional.Count > 0 ? args.Positional[0] : null;
        return sub switch
        {
            "data" => CaptionData.Run(args),
            null => throw new CliException("name what to do: recur caption data --out DIR."),
            _ => throw new CliException($"unknown caption command '{sub}': the commands are data."),
        };
    }
}
