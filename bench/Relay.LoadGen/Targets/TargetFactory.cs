using System.Reflection;

namespace Relay.LoadGen.Targets;

/// <summary>Makes a target by name: `relay` and `node-ws` speak Relay's protocol; other names find an <see cref="ITarget"/> class.</summary>
public static class TargetFactory
{
    public static ITarget Create(string name, Uri baseAddress, string? apiKey)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name is "relay" or "node-ws")
        {
            return new RelayTarget(name, baseAddress, apiKey);
        }

        // e.g. `signalr` -> SignalRTarget, constructed from the server's base address.
        var wanted = name.Replace("-", string.Empty, StringComparison.Ordinal) + "Target";
        var type = typeof(TargetFactory).Assembly.GetTypes()
            .FirstOrDefault(t => !t.IsAbstract && typeof(ITarget).IsAssignableFrom(t) && string.Equals(t.Name, wanted, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown target '{name}': no class {wanted} implements ITarget", nameof(name));
        foreach (var ctor in type.GetConstructors().OrderByDescending(c => c.GetParameters().Length))
        {
            var parameters = ctor.GetParameters();
            var args = new object?[parameters.Length];
            var ok = true;
            for (var i = 0; i < parameters.Length && ok; i++)
            {
                var p = parameters[i].ParameterType;
                args[i] = p == typeof(Uri) ? baseAddress
                    : p == typeof(string) && i == 0 ? baseAddress.ToString()
                    : p == typeof(string) ? apiKey
                    : parameters[i].HasDefaultValue ? parameters[i].DefaultValue
                    : null;
                ok = args[i] is not null || parameters[i].HasDefaultValue || p == typeof(string);
            }

            if (ok)
            {
                try
                {
                    return (ITarget)ctor.Invoke(args);
                }
                catch (TargetInvocationException ex) when (ex.InnerException is not null)
                {
                    throw ex.InnerException;
                }
            }
        }

        throw new ArgumentException($"target class {type.Name} needs a constructor taking the server's base address (Uri)", nameof(name));
    }
}
