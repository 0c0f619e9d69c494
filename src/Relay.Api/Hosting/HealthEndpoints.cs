using System.ComponentModel.DataAnnotations;

namespace Relay.Api.Hosting;

internal static class HealthEndpoints
{
    /// <summary>
    /// `/healthz` (the process is alive, and its version) and `/readyz` (it accepts work: not while shutting
    /// down, nor while a cluster node cannot reach Redis; see <see cref="Readiness"/>). Both also answer `HEAD`,
    /// with the status and no body, as load balancers probe.
    /// </summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => TypedResults.Ok(new LivenessStatus("ok", BuildInfo.Version)))
            .WithTags("Health").WithSummary("Liveness and version");
        endpoints.MapGet("/readyz", IResult (Readiness readiness) =>
                readiness.NotReadyReason is { } reason
                    ? TypedResults.Json(new HealthStatus(reason), statusCode: StatusCodes.Status503ServiceUnavailable)
                    : TypedResults.Ok(new HealthStatus("ready")))
            .WithTags("Health").WithSummary("Readiness")
            .Produces<HealthStatus>().Produces<HealthStatus>(StatusCodes.Status503ServiceUnavailable);
        endpoints.MapMethods("/healthz", [HttpMethods.Head], () => TypedResults.Ok())
            .ExcludeFromDescription();
        endpoints.MapMethods("/readyz", [HttpMethods.Head], (Readiness readiness) =>
                TypedResults.StatusCode(readiness.NotReadyReason is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable))
            .ExcludeFromDescription();
        return endpoints;
    }
}

/// <summary>A readiness answer.</summary>
/// <param name="Status">`ready`; `stopping` or `backplane unavailable` (with 503).</param>
public sealed record HealthStatus([property: AllowedValues("ready", "stopping", "backplane unavailable")] string Status);

/// <summary>The liveness answer: `ok` and the server's version.</summary>
/// <param name="Status">Always `ok`: the process is alive.</param>
/// <param name="Version">The server's version (the build's `Version`, then `+` and the commit it was built from).</param>
public sealed record LivenessStatus([property: AllowedValues("ok")] string Status, string Version);
