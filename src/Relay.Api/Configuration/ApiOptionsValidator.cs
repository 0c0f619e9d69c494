using System.IO.Compression;
using FluentValidation;
using Relay.Api.Security;

namespace Relay.Api.Configuration;

/// <summary>The rules each of the API's `Relay:*` values must meet; a failure stops start-up naming the key.</summary>
public sealed class ApiOptionsValidator : AbstractValidator<ApiOptions>
{
    public ApiOptionsValidator()
    {
        RuleFor(o => o.MaxMessageBytes).InclusiveBetween(1024, 16 * 1024 * 1024);
        RuleFor(o => o.MaxConnections).InclusiveBetween(1, 10_000_000);
        RuleFor(o => o.ConnectTimeoutSeconds).InclusiveBetween(1, 3600);
        RuleFor(o => o.KeepAliveSeconds).InclusiveBetween(0, 3600);
        RuleFor(o => o.SendQueue.MaxMessages).InclusiveBetween(1, 1_000_000).OverridePropertyName("SendQueue:MaxMessages");
        RuleFor(o => o.SendQueue.MaxBytes).InclusiveBetween(1024, 1L << 32).OverridePropertyName("SendQueue:MaxBytes");
        RuleFor(o => o.Compression.MinBytes).InclusiveBetween(0, 16 * 1024 * 1024).OverridePropertyName("Compression:MinBytes");
        RuleFor(o => o.Compression.Level).Must(l => l is CompressionLevel.Fastest or CompressionLevel.Optimal or CompressionLevel.SmallestSize)
            .OverridePropertyName("Compression:Level").WithMessage("must be Fastest, Optimal or SmallestSize");
        RuleForEach(o => o.ApiKeys).NotEmpty().MinimumLength(16).WithMessage("each key must have at least 16 characters");
        RuleForEach(o => o.AllowedOrigins).Must(o => WebOrigin.TryNormalize(o, out _))
            .WithMessage("each entry must be an origin: a scheme, a host and an optional port, such as https://game.example");
    }
}
