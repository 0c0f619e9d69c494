using Mediator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Relay.Application;
using Relay.Application.Common.Behaviors;
using Relay.Application.Common.Options;
using Relay.Application.Realtime.Connect;
using Relay.Infrastructure;

namespace Relay.Benchmarks.Support;

/// <summary>The application's services registered as Relay.Api's RelayServer does, without the web host.</summary>
public static class RelayServices
{
    public static ServiceProvider Build()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions<RelayOptions>();
        services.AddApplication();
        services.AddInfrastructure(new ConfigurationBuilder().Build());
        services.AddMediator((MediatorOptions options) =>
        {
            options.ServiceLifetime = ServiceLifetime.Singleton;
            options.Assemblies = [typeof(ConnectCommand)];
            options.PipelineBehaviors = [typeof(ValidationBehavior<,>)];
        });
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
