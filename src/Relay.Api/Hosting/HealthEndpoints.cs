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
        endpoints.MapGet("/readyz", IResult (Readiness readiness) =>
                readiness.NotReadyReason is { } reason
                    ? TypedResults.Json(new HealthStatus(reason), statusCode: StatusCodes.Status503ServiceUnavailable)
                    : TypedResults.Ok(new HealthStatus("ready")))
            .WithTags("Health").WithSummary("Readiness")
            .Produces<HealthStatus>().Produces<HealthStatus>(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }
}

/// <summary>A health answer.</summary>
public sealed record HealthStatus(string Status);
