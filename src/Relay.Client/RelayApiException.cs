using System.Net;

namespace Relay.Client;

/// <summary>
/// A REST call that the server answered with an error status. Carries the RFC 9457 problem details the server
/// sent: <see cref="Status"/>, <see cref="Title"/>, <see cref="Detail"/> and, for validation failures (400), the
/// <see cref="Errors"/> map of field name to messages.
/// </summary>
public sealed class RelayApiException : Exception
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoErrors = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Creates an exception with a message and no problem details.</summary>
    public RelayApiException()
        : this("The Relay API answered with an error.")
    {
    }

    /// <summary>Creates an exception with a message and no problem details.</summary>
    /// <param name="message">What went wrong.</param>
    public RelayApiException(string message)
        : base(message)
    {
        Errors = NoErrors;
    }

    /// <summary>Creates an exception with a message, an inner exception and no problem details.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public RelayApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = NoErrors;
    }

    /// <summary>Creates an exception from a server's problem details.</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="title">The problem's title (or the HTTP reason phrase).</param>
    /// <param name="detail">The problem's detail, if any.</param>
    /// <param name="problemType">The problem's <c>type</c> URI, if any.</param>
    /// <param name="errors">Field name to messages, for validation failures.</param>
    /// <param name="traceId">The server's trace id, if any.</param>
    public RelayApiException(
        int status,
        string? title,
        string? detail,
        string? problemType = null,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? errors = null,
        string? traceId = null)
        : base(Describe(status, title, detail, errors))
    {
        Status = status;
        Title = title;
        Detail = detail;
        ProblemType = problemType;
        Errors = errors ?? NoErrors;
        TraceId = traceId;
    }

    /// <summary>The HTTP status code, e.g. 400, 401, 404, 409 or 503.</summary>
    public int Status { get; }

    /// <summary>The HTTP status code as <see cref="HttpStatusCode"/>.</summary>
    public HttpStatusCode StatusCode => (HttpStatusCode)Status;

    /// <summary>The problem's title, e.g. <c>"Not found"</c>, or the HTTP reason phrase when the body was not problem details.</summary>
    public string? Title { get; }

    /// <summary>The problem's detail, e.g. <c>"No room with id 'nope'."</c>.</summary>
    public string? Detail { get; }

    /// <summary>The problem's <c>type</c> URI.</summary>
    public string? ProblemType { get; }

    /// <summary>For validation failures (400): field name (<c>""</c> for the body as a whole) to messages. Empty otherwise.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Errors { get; }

    /// <summary>The server's trace id, to find the request in its logs.</summary>
    public string? TraceId { get; }

    private static string Describe(int status, string? title, string? detail, IReadOnlyDictionary<string, IReadOnlyList<string>>? errors)
    {
        var text = $"Relay API {status}";
        if (!string.IsNullOrEmpty(title))
        {
            text += $" {title}";
        }

        if (!string.IsNullOrEmpty(detail))
        {
            text += $": {detail}";
        }

        if (errors is { Count: > 0 })
        {
            text += " (" + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")) + ")";
        }

        return text;
    }
}
