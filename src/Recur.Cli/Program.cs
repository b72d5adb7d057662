namespace Recur.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] is "--version")
        {
            Console.WriteLine($"recur {typeof(Recur.Tensor).Assembly.GetName().Version}");
            return 0;
        }
        Console.WriteLine("usage: recur <command> [options]   (see recur --help)");
        return args.Length == 0 || args[0] is "--help" or "-h" ? 0 : 2;
    }
}
