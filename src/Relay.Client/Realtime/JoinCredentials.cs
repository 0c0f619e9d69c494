using System.Text.Json;

namespace Relay.Client;

/// <summary>
/// What a <c>connect</c> presents: the room, its secret (or host secret) and the name to show, or a client token
/// minted by the backend (which names the room). The client keeps the latest ones for its reconnects
/// (<see cref="RelayRealtimeClient.JoinAsync"/> replaces them).
/// </summary>
internal sealed record JoinCredentials(string RoomId, string Secret, string? Name, string? Token = null)
{
    public static JoinCredentials From(RelayRealtimeOptions options) =>
        new(options.RoomId ?? string.Empty, options.Secret ?? string.Empty, options.Name, options.Token);

    /// <summary>The fields of <c>connect</c>; with <c>resume: true</c> when <paramref name="resume"/>.</summary>
    public Action<Utf8JsonWriter> ConnectFields(bool resume) => writer =>
    {
        if (Token is not null)
        {
            writer.WriteString("token"u8, Token);
        }
        else
        {
            writer.WriteString("roomId"u8, RoomId);
            writer.WriteString("secret"u8, Secret);
        }

        if (Name is not null)
        {
            writer.WriteString("name"u8, Name);
        }

        if (resume)
        {
            writer.WriteBoolean("resume"u8, true);
        }
    };
}
