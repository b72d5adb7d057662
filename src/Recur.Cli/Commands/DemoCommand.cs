namespace Recur.Cli.Commands;

/// <summary><c>recur demo NAME</c>: the lectures' small examples (<see cref="DemoHello"/>, <see cref="DemoRepeatedOnes"/>).</summary>
internal sealed class DemoCommand : ICommand
{
    public string Name => "demo";
    public string Summary => "lecture demos: hello (char RNN learns \"hello\"), repeated-ones (hand-built or learned ReLU RNN)";
    public string Usage => $"""
        usage: recur demo hello [--hidden 8] [--iterations 100] [--lr 0.01] [--seed 1] [--temperature 1] [--samples 8]
               recur demo repeated-ones [--input 0,1,0,1,1,1,0,1,1]
               recur demo repeated-ones --learn [--iterations 1000] [--lr 0.03] [--seed 1] [--input ...]

        {DemoHello.Usage}

        {DemoRepeatedOnes.Usage}
        """;

    public int Run(Args args)
    {
        string? name = args.Positional.Count > 0 ? args.Positional[0] : null;
        return name switch
        {
            "hello" => DemoHello.Run(args),
            "repeated-ones" => DemoRepeatedOnes.Run(args),
            null => throw new CliException("name a demo: recur demo hello, or recur demo repeated-ones [--learn]."),
            _ => throw new CliException($"unknown demo '{name}': the demos are hello and repeated-ones."),
        };
    }
}
