using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Relay.Application.Abstractions;

namespace Relay.Api.Hosting;

/// <summary>A cluster node that cannot reach Redis answers REST calls with a 503 problem and `Retry-After`, not a 500.</summary>
internal sealed class StoreUnavailableExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not RoomStoreUnavailableException)
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = Rooms.RoomsEndpoints.RetryAfterSeconds;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The room store is unavailable.",
                Detail = "This node cannot reach the cluster's Redis right now: try again shortly.",
            },
        });
    }
}
