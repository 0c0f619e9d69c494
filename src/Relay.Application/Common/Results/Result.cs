using FluentValidation.Results;

namespace Relay.Application.Common.Results;

public enum ResultStatus
{
    Ok,
    Invalid,
    NotFound,
    Conflict,
    Unavailable,
}

/// <summary>The outcome of a REST command or query: a value, or why there is none.</summary>
public readonly record struct Result<T> : IValidationFailure<Result<T>>
{
    public ResultStatus Status { get; private init; }

    public T? Value { get; private init; }

    public string? Detail { get; private init; }

    /// <summary>With <see cref="ResultStatus.Invalid"/>: field name to messages.</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; private init; }

    public bool IsOk => Status == ResultStatus.Ok;

    public static Result<T> Ok(T value) => new() { Status = ResultStatus.Ok, Value = value };

    public static Result<T> NotFound(string detail) => new() { Status = ResultStatus.NotFound, Detail = detail };

    public static Result<T> Conflict(string detail) => new() { Status = ResultStatus.Conflict, Detail = detail };

    public static Result<T> Unavailable(string detail) => new() { Status = ResultStatus.Unavailable, Detail = detail };

    public static Result<T> Invalid(string field, string message) =>
        new()
        {
            Status = ResultStatus.Invalid,
            Detail = message,
            Errors = new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] },
        };

    public static Result<T> FromValidationFailures(IReadOnlyList<ValidationFailure> failures) =>
        new()
        {
            Status = ResultStatus.Invalid,
            Detail = "One or more fields are invalid.",
            Errors = failures
                .GroupBy(f => JsonFieldName(f.PropertyName), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(f => f.ErrorMessage).Distinct(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal),
        };

    /// <summary>`MaxClients` becomes `maxClients`, `To[2]` becomes `to[2]`: the names clients send.</summary>
    private static string JsonFieldName(string propertyName) =>
        string.IsNullOrEmpty(propertyName) ? string.Empty : char.ToLowerInvariant(propertyName[0]) + propertyName[1..];
}
