namespace Relay.Client.Tests; public class Placeholder { [Fact] public void Builds() => Assert.True(typeof(Placeholder) is not null); }
