namespace Relay.Application.Abstractions;

/// <summary>
/// Told what became of a relay a shared store numbers on its own time (a sequenced relay in a cluster): taken (it
/// reaches every member, in its place in the sequence) or refused (the store was not reached in time: nothing is
/// delivered, and the sender is told).
/// </summary>
public interface IRelayReceipt
{
    void Taken();

    void Refused();
}
