using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Relay.Api.Hosting;

/// <summary>
/// Turns a request body that cannot be read as the endpoint's JSON (malformed JSON, a string where a
/// number belongs) into a 400 problem with an `errors` entry for the offending field, not a 500.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var json = badRequest.InnerException as JsonException;
        var field = FieldName(json?.Path);
        var message = json is null ? badRequest.Message : $"{(field.Length == 0 ? "the body" : field)} is not valid JSON of the expected type";
        httpContext.Response.StatusCode = badRequest.StatusCode;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ValidationProblemDetails(new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                [field] = [message],
            })
            {
                Status = badRequest.StatusCode,
                Title = "The request is invalid.",
                Detail = message,
            },
        });
    }

    /// <summary>`$.maxClients` becomes `maxClients`; the root becomes an empty key.</summary>
    private static string FieldName(string? path) =>
        path is null or "$" ? string.Empty : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
}
