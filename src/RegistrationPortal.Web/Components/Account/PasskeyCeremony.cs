namespace RegistrationPortal.Web.Components.Account;

/// <summary>
/// A passkey sign-in or passkey creation finished with the browser's answer. Identity keeps the ceremony's challenge in
/// a short-lived cookie and removes it at every attempt, so a form posted again (a reload after a refused try, the
/// answer of a second tab, a cookie expired while the person hesitated) finds no ceremony under way and Identity
/// throws; the page says so and the person starts again, instead of an error page.
/// </summary>
internal static class PasskeyCeremony
{
    public const string Lapsed = "Error: The passkey request had expired or was already used. Please try again.";

    /// <summary>The ceremony's result, or null when no ceremony was under way for this browser.</summary>
    public static async Task<T?> TryAsync<T>(Func<Task<T>> finish)
        where T : class
    {
        try
        {
            return await finish();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
