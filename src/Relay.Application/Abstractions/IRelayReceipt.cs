namespace Relay.Application.Abstractions;

/// <summary>
/// Told what became of a relay a shared store numbers on its own time (a sequenced relay in a cluster): taken (it
/// reaches every member, in its place in the sequence) or refused (the store was not reached in time, so it was not
/// relayed through it; the relay handed to <see cref="Refused"/> holds its own copy of the payload).
/// </summary>
public interface IRelayReceipt
{
    void Taken();

    void Refused(in RelayMessage relay);
}
