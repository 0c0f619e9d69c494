using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Relay.Api.Configuration;
using Relay.Api.Security;
using Relay.Application.Common.Options;
using Relay.Application.Common.Results;
using Relay.Application.Rooms;
using Relay.Application.Rooms.DeleteRoom;
using Relay.Application.Rooms.GetRoom;
using Relay.Application.Rooms.GetSummary;
using Relay.Application.Rooms.KickClient;
using Relay.Application.Rooms.ListRooms;
using Relay.Application.Rooms.PushMessage;

namespace Relay.Api.Rooms;

/// <summary>The REST API for backends: `/v1/api/rooms...` and `/v1/api/summary`.</summary>
internal static class RoomsEndpoints
{
    /// <summary>What a REST 503 (room store unavailable, `Relay:MaxRooms` reached) asks the caller to wait, in seconds.</summary>
    public const string RetryAfterSeconds = "1";

    public static RouteGroupBuilder MapRoomsApi(this IEndpointRouteBuilder endpoints)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<RelayOptions>>().Value;
        var apiOptions = endpoints.ServiceProvider.GetRequiredService<IOptions<ApiOptions>>().Value;
        var roomBody = RequestBodyLimit.ForRoom(options);
        var api = endpoints.MapGroup(ApiKeyPolicy.ProtectedPrefix)
            .AddEndpointFilter(RetryAfterOnUnavailable)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesValidationProblem()
            .WithTags("Rooms");

        var rooms = api.MapGroup("/rooms");
        rooms.MapPost("/", CreateRoom).WithName("CreateRoom").WithSummary("Create a room")
            .WithDescription("Returns the room with its `secret` and `hostSecret`: the only response that ever shows them.")
            .WithMetadata(roomBody).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        rooms.MapGet("/", ListRooms).WithName("ListRooms").WithSummary("List rooms, paged, in creation order");
        rooms.MapGet("/{id}", GetRoom).WithName("GetRoom").ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Get a room with its clients");
        rooms.MapPatch("/{id}", UpdateRoom).WithName("UpdateRoom").WithSummary("Change maxClients, locked or metadata")
            .WithMetadata(roomBody).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status404NotFound);
        rooms.MapDelete("/{id}", DeleteRoom).WithName("DeleteRoom").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Delete a room: its clients get room_closed (deleted) and close 4000");
        rooms.MapPost("/{id}/messages", PushMessage).WithName("PushMessage")
            .WithSummary("Send a message to the room's clients (from client id 0)")
            .WithMetadata(RequestBodyLimit.ForPush(apiOptions)).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status404NotFound);
        rooms.MapDelete("/{id}/clients/{clientId:int}", KickClient).WithName("KickClient").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Kick a client: it gets kicked and close 4001");
        api.MapGet("/summary", GetSummary).WithName("GetSummary").WithSummary("Totals over all rooms");
        return api;
    }

    private static async Task<Results<Created<CreatedRoomDetails>, ValidationProblem, ProblemHttpResult>> CreateRoom(
        [FromBody] CreateRoomRequest? body, ISender sender, CancellationToken ct)
    {
        var result = await sender.Send((body ?? new CreateRoomRequest()).ToCommand(), ct);
        return Respond(result, room => TypedResults.Created($"/v1/api/rooms/{room.Id}", room));
    }

    private static async Task<Results<Ok<RoomList>, ValidationProblem, ProblemHttpResult>> ListRooms(
        ISender sender, CancellationToken ct, int offset = 0, int limit = ListRoomsQuery.DefaultLimit)
    {
        var result = await sender.Send(new ListRoomsQuery(offset, limit), ct);
        return Respond(result, TypedResults.Ok);
    }

    private static async Task<Results<Ok<RoomDetails>, ValidationProblem, ProblemHttpResult>> GetRoom(
        string id, ISender sender, CancellationToken ct)
    {
        var result = await sender.Send(new GetRoomQuery(id), ct);
        return Respond(result, TypedResults.Ok);
    }

    private static async Task<Results<Ok<RoomDetails>, ValidationProblem, ProblemHttpResult>> UpdateRoom(
        string id, [FromBody] UpdateRoomRequest body, ISender sender, CancellationToken ct)
    {
        var result = await sender.Send(body.ToCommand(id), ct);
        return Respond(result, TypedResults.Ok);
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DeleteRoom(
        string id, ISender sender, CancellationToken ct)
    {
        var result = await sender.Send(new DeleteRoomCommand(id), ct);
        return Respond(result, _ => TypedResults.NoContent());
    }

    private static async Task<Results<Accepted<PushMessageResult>, ValidationProblem, ProblemHttpResult>> PushMessage(
        string id, [FromBody] PushMessageRequest body, ISender sender, CancellationToken ct)
    {
        var result = await sender.Send(body.ToCommand(id), ct);
        return Respond(result, pushed => TypedResults.Accepted((string?)null, pushed));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> KickClient(
        string id, int clientId, ISender sender, CancellationToken ct)
    {
        var result = await sender.Send(new KickClientCommand(id, clientId), ct);
        return Respond(result, _ => TypedResults.NoContent());
    }

    private static async Task<Results<Ok<Summary>, ValidationProblem, ProblemHttpResult>> GetSummary(
        ISender sender, CancellationToken ct)
    {
        var result = await sender.Send(new GetSummaryQuery(), ct);
        return Respond(result, TypedResults.Ok);
    }

    /// <summary>A 503 answer tells the caller when to try again, as the room-store exception handler's does.</summary>
    private static async ValueTask<object?> RetryAfterOnUnavailable(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        if (result is INestedHttpResult { Result: IStatusCodeHttpResult { StatusCode: StatusCodes.Status503ServiceUnavailable } })
        {
            context.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds;
        }

        return result;
    }

    /// <summary>A result as its success response, or as RFC 9457 problem details: 400 with `errors`, 404, 409 or 503.</summary>
    private static Results<TOk, ValidationProblem, ProblemHttpResult> Respond<T, TOk>(Result<T> result, Func<T, TOk> ok)
        where TOk : IResult
    {
        if (result.IsOk)
        {
            return ok(result.Value!);
        }

        if (result.Status == ResultStatus.Invalid)
        {
            return TypedResults.ValidationProblem(
                result.Errors!.ToDictionary(e => e.Key, e => e.Value),
                detail: result.Detail,
                title: "The request is invalid.");
        }

        return Problem(result);
    }

    private static ProblemHttpResult Problem<T>(Result<T> result) =>
        result.Status switch
        {
            ResultStatus.NotFound => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: result.Detail),
            ResultStatus.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: result.Detail),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Unavailable", detail: result.Detail),
        };
}
