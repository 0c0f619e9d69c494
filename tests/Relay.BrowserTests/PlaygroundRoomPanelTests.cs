using System.Net;
using Microsoft.Playwright;
using Relay.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Relay.BrowserTests;

/// <summary>The playground's Room panel is on screen only while there is a room, and a deleted room leaves no trace.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PlaygroundRoomPanelTests(BrowserFixture fixture)
{
    [Fact]
    public Task The_room_panel_appears_with_a_room_and_a_deleted_room_clears_its_details() => fixture.RunAsync(async session =>
    {
        var page = await session.NewPageAsync();
        await page.GotoAsync(fixture.Open.Origin + "/");
        var details = page.Locator("#room-details");
        var delete = page.GetByRole(AriaRole.Button, new() { Name = "Delete room" });
        var copyJoin = page.GetByRole(AriaRole.Button, new() { Name = "Copy join details" });

        // Before any room: no Room panel, no buttons that would do nothing.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Create room" })).ToBeVisibleAsync();
        await Expect(details).ToBeHiddenAsync();
        await Expect(delete).ToBeHiddenAsync();
        await Expect(copyJoin).ToBeHiddenAsync();
        Assert.Equal("none", await details.EvaluateAsync<string>("e => getComputedStyle(e).display"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Create room" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("created");
        await Expect(details).ToBeVisibleAsync();
        await Expect(delete).ToBeVisibleAsync();
        var roomId = (await page.Locator("#room-id-value").TextContentAsync())!;
        Assert.False(string.IsNullOrEmpty(roomId));
        var pane = page.GetByRole(AriaRole.Region, new() { Name = "Client A", Exact = true });
        await Expect(pane.GetByLabel("Room id")).ToHaveValueAsync(roomId);

        await delete.ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync($"Room {roomId} deleted.");
        await Expect(details).ToBeHiddenAsync();
        await Expect(delete).ToBeHiddenAsync();
        await Expect(page.Locator("#room-id-value")).ToHaveTextAsync("");
        await Expect(page.Locator("#room-summary")).ToHaveTextAsync("");
        await Expect(page.Locator("#room-secret")).ToHaveValueAsync("");
        await Expect(page.Locator("#room-host-secret")).ToHaveValueAsync("");
        // A pane that is not connected no longer offers the deleted room.
        await Expect(pane.GetByLabel("Room id")).ToHaveValueAsync("");
        await Expect(pane.GetByLabel("Secret", new() { Exact = true })).ToHaveValueAsync("");
        // Focus does not fall to the page when the button that had it disappears.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Create room" })).ToBeFocusedAsync();
        using var gone = await fixture.Open.Http.GetAsync($"/v1/api/rooms/{roomId}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Empty(session.Errors);
    });
}
