using FluentValidation;
using FluentValidation.Results;
using Mediator;
using NSubstitute;
using Relay.Application.Common;
using Relay.Application.Common.Behaviors;
using Relay.Application.Common.Results;
using Relay.Application.Realtime.Kick;
using Relay.Application.Rooms;
using Relay.Application.Rooms.CreateRoom;
using Relay.UnitTests.TestSupport;

namespace Relay.UnitTests.Validators;

public sealed class ValidationBehaviorTests
{
    private static readonly KickCommand Kick = new(new TestClient().Client, 2, null);

    private static IValidator<T> Failing<T>(params ValidationFailure[] failures)
    {
        var validator = Substitute.For<IValidator<T>>();
        validator.Validate(Arg.Any<T>()).Returns(new ValidationResult(failures));
        return validator;
    }

    private static IValidator<T> Passing<T>()
    {
        var validator = Substitute.For<IValidator<T>>();
        validator.Validate(Arg.Any<T>()).Returns(new ValidationResult());
        return validator;
    }

    [Fact]
    public async Task A_failing_realtime_message_is_a_bad_request_and_the_handler_is_not_called()
    {
        var behavior = new ValidationBehavior<KickCommand, RealtimeResult>([Failing<KickCommand>(new ValidationFailure("ClientId", "clientId is required"))]);
        var calls = 0;
        MessageHandlerDelegate<KickCommand, RealtimeResult> next = (_, _) =>
        {
            calls++;
            return ValueTask.FromResult(RealtimeResult.Ok);
        };

        var result = await behavior.Handle(Kick, next, CancellationToken.None);

        Assert.Equal(0, calls);
        Assert.Equal(ErrorCodes.BadRequest, result.ErrorCode);
        Assert.Equal("clientId is required", result.ErrorMessage);
    }

    [Fact]
    public async Task A_failing_rest_command_is_invalid_with_errors_keyed_by_camel_case_field()
    {
        var first = Failing<CreateRoomCommand>(
            new ValidationFailure("MaxClients", "too many"),
            new ValidationFailure("MaxClients", "too many"),
            new ValidationFailure("Id", "bad id"));
        var second = Failing<CreateRoomCommand>(
            new ValidationFailure("To[2]", "positive"),
            new ValidationFailure("MaxClients", "also bad"));
        var behavior = new ValidationBehavior<CreateRoomCommand, Result<CreatedRoomDetails>>([first, second]);
        var calls = 0;
        MessageHandlerDelegate<CreateRoomCommand, Result<CreatedRoomDetails>> next = (_, _) =>
        {
            calls++;
            return ValueTask.FromResult(Result<CreatedRoomDetails>.NotFound("should not run"));
        };

        var result = await behavior.Handle(new CreateRoomCommand(), next, CancellationToken.None);

        Assert.Equal(0, calls);
        Assert.Equal(ResultStatus.Invalid, result.Status);
        Assert.False(result.IsOk);
        var errors = result.Errors!;
        Assert.Equal(["id", "maxClients", "to[2]"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["too many", "also bad"], errors["maxClients"]);
        Assert.Equal(["bad id"], errors["id"]);
        Assert.Equal(["positive"], errors["to[2]"]);
    }

    [Fact]
    public async Task Without_validators_the_handler_runs()
    {
        var behavior = new ValidationBehavior<KickCommand, RealtimeResult>([]);
        var seen = new List<KickCommand>();
        MessageHandlerDelegate<KickCommand, RealtimeResult> next = (message, _) =>
        {
            seen.Add(message);
            return ValueTask.FromResult(RealtimeResult.Fail(ErrorCodes.UnknownClient, "from the handler"));
        };

        var result = await behavior.Handle(Kick, next, CancellationToken.None);

        Assert.Same(Kick, Assert.Single(seen));
        Assert.Equal(ErrorCodes.UnknownClient, result.ErrorCode);
    }

    [Fact]
    public async Task With_passing_validators_the_handler_runs_once()
    {
        var validator = Passing<KickCommand>();
        var behavior = new ValidationBehavior<KickCommand, RealtimeResult>([validator, Passing<KickCommand>()]);
        var calls = 0;
        MessageHandlerDelegate<KickCommand, RealtimeResult> next = (_, _) =>
        {
            calls++;
            return ValueTask.FromResult(RealtimeResult.Ok);
        };

        var result = await behavior.Handle(Kick, next, CancellationToken.None);

        Assert.Equal(1, calls);
        Assert.False(result.IsError);
        validator.Received(1).Validate(Kick);
    }

    [Fact]
    public async Task Every_validator_runs_even_after_a_failure()
    {
        var passing = Passing<KickCommand>();
        var behavior = new ValidationBehavior<KickCommand, RealtimeResult>([Failing<KickCommand>(new ValidationFailure("Reason", "too long")), passing]);

        var result = await behavior.Handle(Kick, (_, _) => ValueTask.FromResult(RealtimeResult.Ok), CancellationToken.None);

        Assert.True(result.IsError);
        passing.Received(1).Validate(Kick);
    }

    [Fact]
    public async Task Real_validators_plug_in()
    {
        var behavior = new ValidationBehavior<KickCommand, RealtimeResult>([new KickValidator()]);

        var result = await behavior.Handle(new KickCommand(Kick.Client, 0, null), (_, _) => ValueTask.FromResult(RealtimeResult.Ok), CancellationToken.None);

        Assert.Equal(ErrorCodes.BadRequest, result.ErrorCode);
        Assert.Equal("clientId is a positive integer", result.ErrorMessage);
    }

    [Fact]
    public void Result_invalid_has_a_single_field_error()
    {
        var result = Result<RoomDetails>.Invalid("metadata", "too big");

        Assert.Equal(ResultStatus.Invalid, result.Status);
        Assert.Equal(["too big"], result.Errors!["metadata"]);
    }
}
