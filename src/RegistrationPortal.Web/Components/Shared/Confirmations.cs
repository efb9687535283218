using MudBlazor;

namespace RegistrationPortal.Web.Components.Shared;

public static class Confirmations
{
    /// <summary>Asks before an action; true only when the admin chose <paramref name="confirmText"/>.</summary>
    /// <param name="warning">Shown under the message as a warning, when there is something to weigh before confirming.</param>
    public static async Task<bool> ConfirmAsync(this IDialogService dialogs, string title, string message, string confirmText, bool destructive = false, string? warning = null)
    {
        ArgumentNullException.ThrowIfNull(dialogs);
        var dialog = await dialogs.ShowAsync<ConfirmDialog>(
            title,
            new DialogParameters<ConfirmDialog>
            {
                { x => x.Message, message },
                { x => x.ConfirmText, confirmText },
                { x => x.Destructive, destructive },
                { x => x.Warning, warning },
            },
            new DialogOptions { MaxWidth = MaxWidth.ExtraSmall, FullWidth = true });
        return await dialog.Result is { Canceled: false };
    }
}
