using MudBlazor;

namespace RegistrationPortal.Web.Components.Shared;

public static class Confirmations
{
    /// <summary>Asks before an action; true only when the admin chose <paramref name="confirmText"/>.</summary>
    public static async Task<bool> ConfirmAsync(this IDialogService dialogs, string title, string message, string confirmText, bool destructive = false)
    {
        ArgumentNullException.ThrowIfNull(dialogs);
        var dialog = await dialogs.ShowAsync<ConfirmDialog>(
            title,
            new DialogParameters<ConfirmDialog>
            {
                { x => x.Message, message },
                { x => x.ConfirmText, confirmText },
                { x => x.Destructive, destructive },
            },
            new DialogOptions { MaxWidth = MaxWidth.ExtraSmall, FullWidth = true });
        return await dialog.Result is { Canceled: false };
    }
}
