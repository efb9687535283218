using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace RegistrationPortal.BrowserTests.Infrastructure;

/// <summary>What an admin does on the portal's pages, found by role and name as a person reads them.</summary>
public static partial class Portal
{
    /// <summary>Opens the Users page, signs in on the sign-in page it leads to, and waits until the page is live.</summary>
    public static async Task SignInToUsersAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("users");
        await Expect(page).ToHaveURLAsync(LoginUrl());
        await page.GetByLabel("Email", new() { Exact = true }).FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(UsersUrl());
        await WaitUntilInteractiveAsync(page);
    }

    /// <summary>Opens <paramref name="path"/>, signs in on the sign-in page it leads to, and waits to be back on it.</summary>
    public static async Task SignInAtAsync(IPage page, string path, string email, string password)
    {
        await page.GotoAsync(path);
        await Expect(page).ToHaveURLAsync(LoginUrl());
        await page.GetByLabel("Email", new() { Exact = true }).FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(page).Not.ToHaveURLAsync(LoginUrl());
        await WaitForCircuitAsync(page);
    }

    /// <summary>
    /// Waits until the page's circuit runs. A link clicked while a prerendered page is still connecting changes the
    /// address but Blazor's router, not yet reachable, never renders the new page; the app bar's theme switch stays
    /// disabled until then, so an enabled one is the sign that the page is live.
    /// </summary>
    public static async Task WaitForCircuitAsync(IPage page) =>
        await Expect(page.GetByRole(AriaRole.Button, new() { NameRegex = ThemeSwitchName() })).ToBeEnabledAsync();

    /// <summary>
    /// The Users page is prerendered, then connects its circuit; a keystroke or click before that is lost. Its
    /// filters stay disabled until the circuit runs, so an enabled search field is the sign that the page is live.
    /// </summary>
    public static async Task WaitUntilInteractiveAsync(IPage page) => await Expect(SearchField(page)).ToBeEnabledAsync();

    public static ILocator SearchField(IPage page) => page.GetByRole(AriaRole.Textbox, new() { Name = "Search email" });

    /// <summary>The "Resend code" button of every listed user.</summary>
    public static ILocator ResendButtons(IPage page) => page.GetByRole(AriaRole.Button, new() { NameRegex = ResendButtonName() });

    public static ILocator ResendButton(IPage page, string email) => page.GetByRole(AriaRole.Button, new() { Name = $"Resend code to {email}", Exact = true });

    /// <summary>
    /// Resends to <paramref name="email"/> from the Users page as an admin does: the row's button, then, once the
    /// confirmation names the user, its Resend; the confirmation closes.
    /// </summary>
    public static async Task ConfirmResendAsync(IPage page, string email)
    {
        await ResendButton(page, email).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync($"Send a new registration code to {email}?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Resend", Exact = true }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
    }

    [GeneratedRegex("/Account/Login")]
    private static partial Regex LoginUrl();

    [GeneratedRegex("/users$")]
    private static partial Regex UsersUrl();

    [GeneratedRegex("^Switch to (dark|light) theme$")]
    private static partial Regex ThemeSwitchName();

    [GeneratedRegex("^Resend code to ")]
    private static partial Regex ResendButtonName();
}
