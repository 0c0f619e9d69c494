using FluentValidation;
using Microsoft.Extensions.Options;
using Relay.Application.Common.Options;
using Relay.Application.Protocols;

namespace Relay.Application.Rooms.CreateRoom;

public sealed class CreateRoomValidator : AbstractValidator<CreateRoomCommand>
{
    public CreateRoomValidator(ProtocolRegistry protocols, IOptions<RelayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(protocols);
        ArgumentNullException.ThrowIfNull(options);
        RuleFor(c => c.Id).Matches(@"^[A-Za-z0-9_-]{1,64}\z").When(c => c.Id is not null)
            .WithMessage("id must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -");
        RuleFor(c => c.Secret).Length(8, 256).When(c => c.Secret is not null)
            .WithMessage("secret must have 8 to 256 characters");
        RuleFor(c => c.Protocol).Must(p => protocols.TryGet(p!, out _)).When(c => c.Protocol is not null)
            .WithMessage($"protocol must be one of: {string.Join(", ", protocols.Names)}");
        RuleFor(c => c.HostAssignment).Must(h => h is RoomDetails.FirstHostAssignment or RoomDetails.SecretHostAssignment).When(c => c.HostAssignment is not null)
            .WithMessage("hostAssignment must be first or secret");
        RuleFor(c => c.MaxClients).ValidMaxClients(options.Value);
        RuleFor(c => c.Metadata).ValidMetadata(options.Value);
        RuleFor(c => c.ResumeWindowSeconds).ValidResumeWindow();
    }
}
