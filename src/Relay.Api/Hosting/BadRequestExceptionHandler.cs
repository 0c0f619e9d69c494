using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Relay.Api.Hosting;

/// <summary>
/// Turns a request body that cannot be read as the endpoint's JSON (malformed JSON, a string where a
/// number belongs) into a 400 problem with an `errors` entry for the offending field, not a 500.
/// </summary>
internal sealed partial class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var json = badRequest.InnerException as JsonException;
        var field = json is null ? ParameterName(badRequest.Message) : FieldName(json.Path);
        var message = json is not null
            ? $"{(field.Length == 0 ? "the body" : field)} is not valid JSON of the expected type"
            : field.Length == 0 ? badRequest.Message : $"{field} has an invalid value";
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

    /// <summary>`Failed to bind parameter "int limit" from "abc".` names `limit`.</summary>
    private static string ParameterName(string message)
    {
        var match = ParameterPattern().Match(message);
        return match.Success ? match.Groups["name"].Value : string.Empty;
    }

    [GeneratedRegex("""parameter "(?:[^" ]+ )?(?<name>[A-Za-z0-9_]+)" """, RegexOptions.CultureInvariant)]
    private static partial Regex ParameterPattern();

    /// <summary>`$.maxClients` becomes `maxClients`; the root becomes an empty key.</summary>
    private static string FieldName(string? path) =>
        path is null or "$" ? string.Empty : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
}
