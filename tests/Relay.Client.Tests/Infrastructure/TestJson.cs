using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Relay.Client.Tests.Infrastructure;

public sealed record ChatLine(string Text, int Seq);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ChatLine))]
public sealed partial class TestJsonContext : JsonSerializerContext;

public static class Json
{
    public static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    public static string Text(ReadOnlyMemory<byte> utf8) => Encoding.UTF8.GetString(utf8.Span);
}
