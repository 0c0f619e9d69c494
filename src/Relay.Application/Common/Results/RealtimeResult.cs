using FluentValidation.Results;

namespace Relay.Application.Common.Results;

/// <summary>
/// The outcome of a realtime command: success (replies were already queued to the session) or a protocol
/// error that the caller turns into an `error` frame echoing the message's `ref`.
/// </summary>
public readonly record struct RealtimeResult(string? ErrorCode, string? ErrorMessage) : IValidationFailure<RealtimeResult>
{
    public static RealtimeResult Ok => default;

    public bool IsError => ErrorCode is not null;

    public static RealtimeResult Fail(string code, string message) => new(code, message);

    public static RealtimeResult FromValidationFailures(IReadOnlyList<ValidationFailure> failures) =>
        Fail(ErrorCodes.BadRequest, failures.Count == 0 ? "invalid message" : failures[0].ErrorMessage);
}
