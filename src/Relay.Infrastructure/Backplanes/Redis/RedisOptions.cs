using FluentValidation;

namespace Relay.Infrastructure.Backplanes.Redis;

/// <summary>`Relay:Redis:*`: the Redis that a cluster's nodes share, and how each node uses it.</summary>
public sealed class RedisOptions
{
    public const string SectionName = "Relay:Redis";

    /// <summary>StackExchange.Redis configuration string (`host:port,password=...,ssl=true`).</summary>
    public string ConnectionString { get; set; } = "localhost:6379";

    /// <summary>Every key and channel of the cluster is under this prefix, so several clusters can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "relay";

    /// <summary>How often each node proves it is alive; a node silent for 1.5 intervals is taken for dead.</summary>
    public double HeartbeatSeconds { get; set; } = 2;

    /// <summary>This node's id in the cluster; null draws a unique one at start.</summary>
    public string? NodeId { get; set; }

    /// <summary>
    /// The time budget of every Redis call: past it the call counts as failed (`unavailable`, 503) and a change that
    /// reaches Redis later is refused there, so a stall never turns into a late success.
    /// </summary>
    public double TimeoutSeconds { get; set; } = 1.5;
}

/// <summary>The rules of `Relay:Redis:*`.</summary>
public sealed class RedisOptionsValidator : AbstractValidator<RedisOptions>
{
    /// <param name="clustered">The backplane is Redis (`Relay:Backplane=Redis`): only then is a connection string required.</param>
    public RedisOptionsValidator(bool clustered)
    {
        RuleFor(o => o.ConnectionString).NotEmpty().When(_ => clustered);
        RuleFor(o => o.KeyPrefix).NotEmpty().Matches("^[A-Za-z0-9_.:-]{1,64}$").WithMessage("must be 1-64 letters, digits or _.:-");
        RuleFor(o => o.HeartbeatSeconds).InclusiveBetween(0.1, 60);
        RuleFor(o => o.TimeoutSeconds).InclusiveBetween(0.1, 60);
        RuleFor(o => o.NodeId).Matches("^[A-Za-z0-9_.-]{1,64}$").When(o => o.NodeId is not null)
            .WithMessage("must be 1-64 letters, digits or _.-");
    }
}
