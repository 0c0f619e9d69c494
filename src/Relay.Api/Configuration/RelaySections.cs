using Microsoft.Extensions.Options;
using Relay.Application.Common.Options;
using Relay.Infrastructure.Backplanes;
using Relay.Infrastructure.Backplanes.Redis;

namespace Relay.Api.Configuration;

/// <summary>
/// The options classes bound from the `Relay` section, each owned (and validated) by its layer: the application's
/// <see cref="RelayOptions"/>, the infrastructure's <see cref="BackplaneOptions"/> and <see cref="RedisOptions"/>,
/// the API's <see cref="ApiOptions"/>. Together their properties are the known `Relay:*` keys; no key belongs to two.
/// </summary>
internal static class RelaySections
{
    public static readonly RelaySection[] All =
    [
        RelaySection.Of<RelayOptions>(RelayOptions.SectionName),
        RelaySection.Of<BackplaneOptions>(BackplaneOptions.SectionName),
        RelaySection.Of<RedisOptions>(RedisOptions.SectionName),
        RelaySection.Of<ApiOptions>(ApiOptions.SectionName),
    ];
}

/// <summary>
/// One options class (<paramref name="Type"/>) bound from <paramref name="Path"/>: how to bind it from the readable
/// values of <see cref="RelayConfigurationCheck"/> (validated at start), and how to read its validated value.
/// </summary>
internal sealed record RelaySection(Type Type, string Path, Action<IServiceCollection> Bind, Func<IServiceProvider, object> Read)
{
    public static RelaySection Of<TOptions>(string path)
        where TOptions : class =>
        new(
            typeof(TOptions),
            path,
            services => services.AddOptions<TOptions>()
                .Configure<RelayConfigurationCheck>((options, check) => check.BindTo(options, path))
                .ValidateOnStart(),
            provider => provider.GetRequiredService<IOptions<TOptions>>().Value);
}
