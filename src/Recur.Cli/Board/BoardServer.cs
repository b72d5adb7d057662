using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Recur.Cli.Board;

/// <summary>
/// The web server of <c>recur board</c>: ASP.NET Core's Kestrel (the SDK's shared framework) on one address, by default
/// 127.0.0.1, port 0 choosing a free one (<see cref="Port"/> reads back the port bound). Every request goes to
/// <see cref="BoardRoutes"/>; nothing is configured by reflection, so NativeAOT builds keep it.
/// </summary>
internal sealed class BoardServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BoardServer(WebApplication app, int port, string host)
    {
        _app = app;
        Port = port;
        Url = $"http://{(host.Contains(':') ? $"[{host}]" : host)}:{port}/";
    }

    /// <summary>The port bound.</summary>
    public int Port { get; }

    /// <summary>The board's address.</summary>
    public string Url { get; }

    /// <summary>Starts serving <paramref name="runsDirectory"/> on <paramref name="address"/>:<paramref name="port"/> (0: any free port).</summary>
    public static async Task<BoardServer> StartAsync(string runsDirectory, IPAddress address, int port, CancellationToken token = default)
    {
        var routes = new BoardRoutes(new RunCatalog(new RunsRoot(runsDirectory)), address);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(address, port);
        });
        var app = builder.Build();
        app.Run(routes.HandleAsync);
        await app.StartAsync(token).ConfigureAwait(false);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        int bound = addresses.Select(a => new Uri(a.Replace("[::]", "localhost", StringComparison.Ordinal)).Port).FirstOrDefault(port);
        string host = address.Equals(IPAddress.Loopback) ? "127.0.0.1" : address.Equals(IPAddress.IPv6Loopback) ? "::1" : address.ToString();
        return new BoardServer(app, bound, host);
    }

    /// <summary>Waits until <paramref name="token"/> is cancelled.</summary>
    public Task WaitAsync(CancellationToken token) => Task.Delay(Timeout.Infinite, token).ContinueWith(_ => { }, TaskScheduler.Default);

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
