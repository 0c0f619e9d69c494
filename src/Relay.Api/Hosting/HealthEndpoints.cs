using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Relay.Application.Abstractions;

namespace Relay.Api.Hosting;

internal static class HealthEndpoints
{
    /// <summary>
    /// `/healthz` (the process is alive, and its version) and `/readyz` (it accepts work: not while shutting
    /// down, nor while a cluster node cannot reach Redis). Both also answer `HEAD`, with the status and no body,
    /// as load balancers probe.
    /// </summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => TypedResults.Ok(new LivenessStatus("ok", BuildInfo.Version)))
            .WithTags("Health").WithSummary("Liveness and version");
        endpoints.MapGet("/readyz", (IHostApplicationLifetime lifetime, IRoomManager rooms) => Readiness(lifetime, rooms))
            .WithTags("Health").WithSummary("Readiness")
            .Produces<HealthStatus>().Produces<HealthStatus>(StatusCodes.Status503ServiceUnavailable);
        endpoints.MapMethods("/healthz", [HttpMethods.Head], () => TypedResults.Ok())
            .ExcludeFromDescription();
        endpoints.MapMethods("/readyz", [HttpMethods.Head], (IHostApplicationLifetime lifetime, IRoomManager rooms) =>
                TypedResults.StatusCode(Readiness(lifetime, rooms).StatusCode ?? StatusCodes.Status200OK))
            .ExcludeFromDescription();
        return endpoints;
    }

    private static JsonHttpResult<HealthStatus> Readiness(IHostApplicationLifetime lifetime, IRoomManager rooms) =>
        lifetime.ApplicationStopping.IsCancellationRequested
            ? TypedResults.Json(new HealthStatus("stopping"), statusCode: StatusCodes.Status503ServiceUnavailable)
            : !rooms.IsAvailable
                ? TypedResults.Json(new HealthStatus("backplane unavailable"), statusCode: StatusCodes.Status503ServiceUnavailable)
                : TypedResults.Json(new HealthStatus("ready"), statusCode: StatusCodes.Status200OK);
}

/// <summary>A readiness answer.</summary>
/// <param name="Status">`ready`; `stopping` or `backplane unavailable` (with 503).</param>
public sealed record HealthStatus([property: AllowedValues("ready", "stopping", "backplane unavailable")] string Status);

/// <summary>The liveness answer: `ok` and the server's version.</summary>
/// <param name="Status">Always `ok`: the process is alive.</param>
/// <param name="Version">The server's version (the build's `Version`, then `+` and the commit it was built from).</param>
public sealed record LivenessStatus([property: AllowedValues("ok")] string Status, string Version);
