using System.ComponentModel.DataAnnotations;
using Relay.Application.Abstractions;

namespace Relay.Api.Hosting;

internal static class HealthEndpoints
{
    /// <summary>
    /// `/healthz` (the process is alive) and `/readyz` (it accepts work: not while shutting down, nor while a
    /// cluster node cannot reach Redis).
    /// </summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => TypedResults.Ok(new HealthStatus("ok")))
            .WithTags("Health").WithSummary("Liveness");
        endpoints.MapGet("/readyz", IResult (IHostApplicationLifetime lifetime, IRoomManager rooms) =>
                lifetime.ApplicationStopping.IsCancellationRequested
                    ? TypedResults.Json(new HealthStatus("stopping"), statusCode: StatusCodes.Status503ServiceUnavailable)
                    : !rooms.IsAvailable
                        ? TypedResults.Json(new HealthStatus("backplane unavailable"), statusCode: StatusCodes.Status503ServiceUnavailable)
                        : TypedResults.Ok(new HealthStatus("ready")))
            .WithTags("Health").WithSummary("Readiness")
            .Produces<HealthStatus>().Produces<HealthStatus>(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }
}

/// <summary>A health answer.</summary>
/// <param name="Status">`ok` (`/healthz`); `ready`, `stopping` or `backplane unavailable` (`/readyz`).</param>
public sealed record HealthStatus([property: AllowedValues("ok", "ready", "stopping", "backplane unavailable")] string Status);
