using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.KickClient;

/// <summary>`DELETE /v1/api/rooms/{id}/clients/{clientId}`: kick a client from the backend.</summary>
public sealed record KickClientCommand(string Id, int ClientId) : ICommand<Result<bool>>;
