using System.Text;
using System.Text.Json;
using FluentValidation;
using Relay.Application.Common.Options;
using Relay.Domain.Rooms;

namespace Relay.Application.Rooms;

/// <summary>Rules shared by the create and update validators.</summary>
internal static class RoomRules
{
    public static IRuleBuilderOptions<T, int?> ValidMaxClients<T>(this IRuleBuilder<T, int?> rule, RelayOptions options) =>
        rule.InclusiveBetween(1, options.MaxClientsCap)
            .WithMessage($"maxClients must be between 1 and {options.MaxClientsCap}");

    public static IRuleBuilderOptions<T, JsonElement?> ValidMetadata<T>(this IRuleBuilder<T, JsonElement?> rule, RelayOptions options) =>
        rule.Must(m => m is not { } e || e.ValueKind is JsonValueKind.Object or JsonValueKind.Null)
            .WithMessage("metadata must be a JSON object")
            .Must(m => m is not { ValueKind: JsonValueKind.Object } e || Encoding.UTF8.GetByteCount(e.GetRawText()) <= options.MaxMetadataBytes)
            .WithMessage($"metadata must be at most {options.MaxMetadataBytes} bytes of JSON");

    public const int MaxResumeWindowSeconds = 3600;

    public static IRuleBuilderOptions<T, int?> ValidResumeWindow<T>(this IRuleBuilder<T, int?> rule) =>
        rule.InclusiveBetween(0, MaxResumeWindowSeconds)
            .WithMessage($"resumeWindowSeconds must be between 0 and {MaxResumeWindowSeconds}");

    /// <summary>The metadata to store: null when absent or JSON null (keep what is there).</summary>
    public static RoomMetadata? ToMetadata(JsonElement? element) =>
        element is { ValueKind: JsonValueKind.Object } e ? RoomMetadata.FromJson(e.GetRawText()) : null;
}
