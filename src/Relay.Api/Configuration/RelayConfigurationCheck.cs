using System.Reflection;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Relay.Application.Common.Options;

namespace Relay.Api.Configuration;

/// <summary>
/// Reads the `Relay` section of every configuration source (appsettings files, environment variables, the
/// command line) against the shape of the options classes of <see cref="RelaySections"/>, whose properties are the
/// known keys:
/// <list type="bullet">
/// <item>a key no option reads (a typo such as `Relay:MaxMesageBytes`) is a warning naming the nearest known key;</item>
/// <item>a value that cannot be read as its option's type (`Relay:MaxMessageBytes=abc`) is a configuration
/// problem (<see cref="Unreadable"/>), reported at start with every validation failure instead of stopping the
/// binding at the first.</item>
/// </list>
/// Options are bound from the section without those unreadable values (<see cref="BindTo"/>).
/// </summary>
internal sealed partial class RelayConfigurationCheck
{
    private static readonly SettingShape Shape = SettingShape.Combine(
        RelayOptions.SectionName, RelaySections.All.Select(section => (section.Type, section.Path)));
    private static readonly string[] KnownKeys = [.. Shape.AllPaths()];

    private readonly List<KeyValuePair<string, string?>> _readable = [];
    private readonly List<string> _unreadable = [];
    private readonly List<IgnoredKey> _ignored = [];

    private RelayConfigurationCheck()
    {
    }

    /// <summary>Keys of the `Relay` section that no option reads: they have no effect.</summary>
    public IReadOnlyList<IgnoredKey> IgnoredKeys => _ignored;

    /// <summary>`Relay:Key: problem` for each value that cannot be read as its option's type.</summary>
    public IReadOnlyList<string> Unreadable => _unreadable;

    public static RelayConfigurationCheck Inspect(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var check = new RelayConfigurationCheck();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in configuration.GetSection(RelayOptions.SectionName).AsEnumerable())
        {
            if (value is null)
            {
                continue;
            }

            var (shape, unknown) = Shape.Find(key);
            if (unknown is not null)
            {
                if (seen.Add(unknown))
                {
                    check._ignored.Add(new IgnoredKey(unknown, Nearest(unknown), SourceOf(configuration, key), IgnoredReason.Unknown));
                }

                continue;
            }

            if (shape!.ValueType is null || shape.IsList)
            {
                // A value on a section or a list (`Relay__ApiKeys=key` instead of `Relay__ApiKeys__0=key`) is not read.
                // An empty one is how a JSON file writes an empty array or object.
                if (value.Length > 0 && seen.Add(key))
                {
                    check._ignored.Add(shape.IsList
                        ? new IgnoredKey(key, $"{shape.Path}:0", SourceOf(configuration, key), IgnoredReason.ListValue)
                        : new IgnoredKey(key, shape.Path, SourceOf(configuration, key), IgnoredReason.SectionValue));
                }

                continue;
            }

            if (Problem(shape.ValueType, value) is { } problem)
            {
                check._unreadable.Add($"{shape.Path}: {problem}");
                continue;
            }

            check._readable.Add(new(key, value));
        }

        return check;
    }

    /// <summary>Binds the readable values of the section at <paramref name="path"/> (`Relay`, `Relay:Redis`) to <paramref name="options"/>.</summary>
    public void BindTo(object options, string path) =>
        new ConfigurationBuilder().AddInMemoryCollection(_readable).Build().GetSection(path).Bind(options);

    /// <summary>Logs one warning per ignored key.</summary>
    public void LogIgnoredKeys(ILogger logger)
    {
        foreach (var ignored in _ignored)
        {
            switch (ignored.Reason)
            {
                case IgnoredReason.Unknown:
                    LogUnknownKey(logger, ignored.Key, ignored.Source, ignored.Suggestion);
                    break;
                case IgnoredReason.ListValue:
                    LogListValue(logger, ignored.Key, ignored.Source, ignored.Suggestion);
                    break;
                default:
                    LogSectionValue(logger, ignored.Key, ignored.Source);
                    break;
            }
        }
    }

    /// <summary>Why a value cannot be read as <paramref name="type"/>, through the same conversion as the binder; null when it can.</summary>
    private static string? Problem(Type type, string value)
    {
        try
        {
            new ConfigurationBuilder().AddInMemoryCollection([new("value", value)]).Build().GetValue(type, "value");
            return null;
        }
        catch (InvalidOperationException)
        {
            var underlying = Nullable.GetUnderlyingType(type) ?? type;
            var expected = underlying == typeof(bool) ? "true or false"
                : underlying == typeof(int) || underlying == typeof(long) ? "a whole number"
                : underlying == typeof(double) ? "a number"
                : $"a {underlying.Name}";
            return $"must be {expected}; '{value}' is not";
        }
    }

    /// <summary>The known key closest to <paramref name="key"/> by edit distance (case-insensitive).</summary>
    internal static string Nearest(string key)
    {
        var best = KnownKeys[0];
        var bestDistance = int.MaxValue;
        foreach (var known in KnownKeys)
        {
            var distance = EditDistance(key, known);
            if (distance < bestDistance)
            {
                best = known;
                bestDistance = distance;
            }
        }

        return best;
    }

    /// <summary>Levenshtein distance, ignoring case.</summary>
    internal static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = char.ToUpperInvariant(a[i - 1]) == char.ToUpperInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + substitution);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    /// <summary>Where the value of <paramref name="key"/> comes from: the last source that has it, as configuration reads it.</summary>
    private static string SourceOf(IConfiguration configuration, string key)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return "configuration";
        }

        foreach (var provider in root.Providers.Reverse())
        {
            if (provider.TryGet(key, out _))
            {
                return provider switch
                {
                    FileConfigurationProvider file => file.Source.Path ?? "a configuration file",
                    EnvironmentVariablesConfigurationProvider => $"environment variable {key.Replace(":", "__", StringComparison.Ordinal)}",
                    CommandLineConfigurationProvider => "command line",
                    _ => provider.GetType().Name,
                };
            }
        }

        return "configuration";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unknown setting {Key} ({Source}) is ignored; the nearest known key is {Nearest}")]
    private static partial void LogUnknownKey(ILogger logger, string key, string source, string nearest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Setting {Key} ({Source}) is a list: its value is ignored; give each item its index, e.g. {Example}")]
    private static partial void LogListValue(ILogger logger, string key, string source, string example);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Setting {Key} ({Source}) is a section: its value is ignored; set the keys under it")]
    private static partial void LogSectionValue(ILogger logger, string key, string source);

    /// <summary>The known keys: a leaf with its value type, a list of values, or a section of named keys.</summary>
    private sealed class SettingShape
    {
        private readonly Dictionary<string, SettingShape>? _children;

        private SettingShape(string path, Type? valueType, bool isList, Dictionary<string, SettingShape>? children)
        {
            Path = path;
            ValueType = valueType;
            IsList = isList;
            _children = children;
        }

        public string Path { get; }

        /// <summary>The type of a leaf's value or of a list's items; null for a section.</summary>
        public Type? ValueType { get; }

        public bool IsList { get; }

        /// <summary>
        /// The section at <paramref name="root"/> with the keys of every options class in <paramref name="sections"/>,
        /// each bound at its path: the root itself, or a section right under it. A key two of them bind is a mistake.
        /// </summary>
        public static SettingShape Combine(string root, IEnumerable<(Type Type, string Path)> sections)
        {
            var combined = new SettingShape(root, valueType: null, isList: false, new Dictionary<string, SettingShape>(StringComparer.OrdinalIgnoreCase));
            foreach (var (type, path) in sections)
            {
                var shape = Describe(type, path);
                if (string.Equals(path, root, StringComparison.OrdinalIgnoreCase))
                {
                    foreach (var child in shape._children!.Values)
                    {
                        combined.Add(child);
                    }
                }
                else if (path.StartsWith(root + ":", StringComparison.OrdinalIgnoreCase) && path.IndexOf(':', root.Length + 1) < 0)
                {
                    combined.Add(shape);
                }
                else
                {
                    throw new InvalidOperationException($"{type.Name} is bound from {path}: only {root} and the sections right under it are checked.");
                }
            }

            return combined;
        }

        public static SettingShape Describe(Type type, string path)
        {
            if (IsScalar(type))
            {
                return new SettingShape(path, type, isList: false, children: null);
            }

            if (ItemType(type) is { } item)
            {
                return new SettingShape(path, item, isList: true, children: null);
            }

            var children = new Dictionary<string, SettingShape>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetIndexParameters().Length == 0)
                {
                    children[property.Name] = Describe(property.PropertyType, $"{path}:{property.Name}");
                }
            }

            return new SettingShape(path, valueType: null, isList: false, children);
        }

        public IEnumerable<string> AllPaths()
        {
            foreach (var child in _children?.Values ?? Enumerable.Empty<SettingShape>())
            {
                yield return child.Path;
                foreach (var path in child.AllPaths())
                {
                    yield return path;
                }
            }
        }

        /// <summary>The shape a full key names, or the first part of the key that names nothing known.</summary>
        public (SettingShape? Shape, string? Unknown) Find(string key)
        {
            var segments = key.Split(':');
            var shape = this;
            for (var i = 1; i < segments.Length; i++)
            {
                SettingShape? next = null;
                if (shape._children is { } children)
                {
                    children.TryGetValue(segments[i], out next);
                }
                else if (shape.IsList)
                {
                    // Any child of a list is one of its items (the binder does not look at the index).
                    next = new SettingShape($"{shape.Path}:{segments[i]}", shape.ValueType, isList: false, children: null);
                }

                if (next is null)
                {
                    return (null, string.Join(':', segments.Take(i + 1)));
                }

                shape = next;
            }

            return (shape, null);
        }

        /// <summary>Adds <paramref name="child"/> to this section, under the last part of its path.</summary>
        private void Add(SettingShape child)
        {
            var name = child.Path[(child.Path.LastIndexOf(':') + 1)..];
            if (!_children!.TryAdd(name, child))
            {
                throw new InvalidOperationException($"{child.Path} is bound by two options classes.");
            }
        }

        private static bool IsScalar(Type type) =>
            type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
            || (Nullable.GetUnderlyingType(type) is { } underlying && IsScalar(underlying));

        private static Type? ItemType(Type type) =>
            type.IsArray ? type.GetElementType()
            : type.IsGenericType && type.GetGenericArguments() is [var item] && typeof(IEnumerable<>).MakeGenericType(item).IsAssignableFrom(type) ? item
            : null;
    }
}

internal enum IgnoredReason
{
    /// <summary>No option has this key.</summary>
    Unknown,

    /// <summary>A value given to a list key itself instead of its items.</summary>
    ListValue,

    /// <summary>A value given to a section key itself.</summary>
    SectionValue,
}

/// <summary>A configuration key that has no effect, where it came from, and the key that was probably meant.</summary>
internal sealed record IgnoredKey(string Key, string Suggestion, string Source, IgnoredReason Reason);
