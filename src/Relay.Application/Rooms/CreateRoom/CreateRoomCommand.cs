using System.Text.Json;
using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.CreateRoom;

/// <summary>`POST /v1/api/rooms` (the body is the Api's `CreateRoomRequest`). Every field is optional.</summary>
/// <param name="Id">The room id (1-64 of A-Z a-z 0-9 _ -); generated when absent.</param>
/// <param name="Secret">The join secret (8-256 characters); generated when absent.</param>
/// <param name="Protocol">`mesh` (default) or `host`.</param>
/// <param name="HostAssignment">`first` (default) or `secret`.</param>
/// <param name="MaxClients">1 to the server cap; the server default when absent.</param>
/// <param name="Metadata">A JSON object of at most 4 KiB, shown to clients.</param>
/// <param name="ResumeWindowSeconds">How long a resumable client that dropped keeps its seat (0..3600; 0: resume off); the server default when absent.</param>
public sealed record CreateRoomCommand(
    string? Id = null,
    string? Secret = null,
    string? Protocol = null,
    string? HostAssignment = null,
    int? MaxClients = null,
    JsonElement? Metadata = null,
    int? ResumeWindowSeconds = null) : ICommand<Result<CreatedRoomDetails>>;
