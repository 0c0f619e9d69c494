using FluentValidation;
using Microsoft.Extensions.Options;
using Relay.Application.Common.Options;

namespace Relay.Application.Rooms.UpdateRoom;

public sealed class UpdateRoomValidator : AbstractValidator<UpdateRoomCommand>
{
    public UpdateRoomValidator(IOptions<RelayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        RuleFor(c => c.MaxClients).ValidMaxClients(options.Value);
        RuleFor(c => c.Metadata).ValidMetadata(options.Value);
        RuleFor(c => c.ResumeWindowSeconds).ValidResumeWindow();
    }
}
