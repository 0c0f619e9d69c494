using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace Relay.Api.Rooms;

/// <summary>
/// The REST API's <see cref="JsonElement"/> values (room metadata, pushed data), kept as the text the backend
/// sent. Reading refuses a value whose strings are not valid UTF-8 (the JSON reader checks syntax, not the bytes
/// inside strings, and such a value could not be shown again): the binder answers 400 naming the field. Writing
/// copies the original text, so metadata is shown exactly as sent (not re-escaped).
/// </summary>
internal sealed class RawJsonConverter : JsonConverter<JsonElement>
{
    public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var element = JsonElement.ParseValue(ref reader);
        return Utf8.IsValid(JsonMarshal.GetRawUtf8Value(element)) ? element : throw new JsonException("The value is not valid UTF-8.");
    }

    public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) =>
        writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);
}
