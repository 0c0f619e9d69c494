using System.Globalization;
using System.Net;

namespace Relay.Api.Hosting;

/// <summary>
/// <c>dotnet Relay.Api.dll --healthcheck [url]</c>: a container health check for images without curl or wget. It
/// gets <c>/healthz</c> of the server running beside it and exits 0 on 200, 1 on anything else (refused, no answer
/// within 3 s, another status). Without <c>url</c> it asks <c>http://127.0.0.1:{port}/healthz</c>, the port taken
/// the way Kestrel takes its own: the first <c>http://</c> address of <c>ASPNETCORE_URLS</c>, else the first of
/// <c>ASPNETCORE_HTTP_PORTS</c> (the .NET container images set 8080), else Kestrel's default 5000.
/// </summary>
internal static class HealthCheckCommand
{
    public const string Argument = "--healthcheck";

    private const int KestrelDefaultPort = 5000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Argument;

    /// <summary>Runs the check and returns the process exit code; one line saying what happened goes to <paramref name="output"/>.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        Uri? target;
        if (args.Length > 1)
        {
            if (!Uri.TryCreate(args[1], UriKind.Absolute, out target) || target.Scheme is not ("http" or "https"))
            {
                await output.WriteLineAsync($"{Argument}: '{args[1]}' is not an http(s) URL");
                return 2;
            }
        }
        else
        {
            target = DefaultTarget(Environment.GetEnvironmentVariable);
        }

        using var http = new HttpClient { Timeout = Timeout };
        try
        {
            using var response = await http.GetAsync(target, HttpCompletionOption.ResponseHeadersRead);
            await output.WriteLineAsync($"{target}: {(int)response.StatusCode} {response.ReasonPhrase}");
            return response.StatusCode == HttpStatusCode.OK ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await output.WriteLineAsync($"{target}: {ex.Message}");
            return 1;
        }
    }

    /// <summary>`/healthz` on the loopback address and the port this server listens on (see the class remarks).</summary>
    internal static Uri DefaultTarget(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var port = PortOfUrls(environment("ASPNETCORE_URLS")) ?? FirstPort(environment("ASPNETCORE_HTTP_PORTS")) ?? KestrelDefaultPort;
        return new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/healthz"));
    }

    /// <summary>The port of the first `http://` address of a `;`-separated list such as `http://+:8080;https://+:8443`.</summary>
    private static int? PortOfUrls(string? urls)
    {
        foreach (var url in (urls ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            // The host may be a wildcard (`+`, `*`) that Uri does not parse: only the authority's port matters.
            var authority = url["http://".Length..].Split('/')[0];
            var colon = authority.LastIndexOf(':');
            return colon > authority.LastIndexOf(']') && int.TryParse(authority[(colon + 1)..], CultureInfo.InvariantCulture, out var port)
                ? port
                : 80;
        }

        return null;
    }

    private static int? FirstPort(string? ports)
    {
        var first = (ports ?? string.Empty).Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return int.TryParse(first, CultureInfo.InvariantCulture, out var port) ? port : null;
    }
}
