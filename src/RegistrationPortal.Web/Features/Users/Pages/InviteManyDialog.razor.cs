using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.JSInterop;
using MudBlazor;
using RegistrationPortal.Web.Components.Shared;
using RegistrationPortal.Web.Features.Organizations;

namespace RegistrationPortal.Web.Features.Users.Pages;

/// <summary>Paste or upload a list, preview what will happen to each line, then invite the ready ones with progress and a summary.</summary>
public sealed partial class InviteManyDialog : IAsyncDisposable
{
    /// <summary>The module that hands over the pasted list (see the .razor.js beside this file).</summary>
    public const string ModulePath = "./Features/Users/Pages/InviteManyDialog.razor.js";

    private readonly string _pasteBoxId = "paste-" + Guid.NewGuid().ToString("N");
    private ElementReference _pasteBox;
    private IJSObjectReference? _module;
    private Step _step = Step.Input;
    private UserKind _defaultKind = UserKind.EndUser;
    private string? _listError;
    private string? _source;
    private InviteList? _list;
    private bool _problemsOnly;
    private bool _busy;
    private int _done;
    private BulkInviteSummary? _summary;

    private enum Step
    {
        Input,
        Preview,
        Inviting,
    }

    [CascadingParameter]
    private IMudDialogInstance MudDialog { get; set; } = default!;

    [Inject]
    private OrgUserInviteService Invites { get; set; } = default!;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Parameter, EditorRequired]
    public AdminScope Scope { get; set; } = default!;

    [Parameter]
    public string? ClientAddress { get; set; }

    private InviteList Preview => _list ?? throw new InvalidOperationException("No list is previewed.");

    private IEnumerable<InviteLine> VisibleLines => _problemsOnly ? _list!.Lines.Where(l => !l.IsReady) : _list!.Lines;

    private string InviteButtonText => _list!.Ready == 1 ? "Invite 1 user" : string.Create(CultureInfo.InvariantCulture, $"Invite {_list.Ready:N0} users");

    private int Total => _list?.Ready ?? 0;

    private double Percent => Total == 0 ? 100 : 100.0 * _done / Total;

    private string ProgressText => _summary is null
        ? string.Create(CultureInfo.InvariantCulture, $"Inviting… {_done:N0} of {Total:N0} done.")
        : $"Done: {(Lines == 1 ? "the 1 line" : $"all {UserActionMessages.Count(Lines, "line")}")} handled.";

    /// <summary>Every line of the list, ready or not: the summary accounts for each.</summary>
    private int Lines => _list?.Lines.Count ?? 0;

    // A line break inside the attribute: Razor would print an HTML character reference (&#10;) as it is.
    private const string PastePlaceholder = "ana@example.com, EndUser\nben@example.com";

    private void Cancel() => MudDialog.Cancel();

    private void Close() => MudDialog.Close(DialogResult.Ok(_summary));

    private void Back()
    {
        _step = Step.Input;
        _list = null;
        _source = null;
        _listError = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_module is not null)
        {
            try
            {
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is gone, and the module with it.
            }
        }
    }

    private Task PreviewPastedAsync() => PreviewAsync(
        async () =>
        {
            _module ??= await JS.InvokeAsync<IJSObjectReference>("import", ModulePath);
            var text = await _module.InvokeAsync<IJSStreamReference?>("readText", _pasteBox);
            if (text is null)
            {
                return InviteListParser.Parse(null, _defaultKind);
            }

            await using (text)
            {
                if (text.Length > InviteListParser.MaxBytes)
                {
                    return new InviteList([], InviteListParser.TooManyBytesMessage);
                }

                await using var stream = await text.OpenReadStreamAsync(InviteListParser.MaxBytes);
                return await InviteListParser.ParseAsync(stream, text.Length, _defaultKind);
            }
        },
        source: null);

    private Task UploadAsync(IBrowserFile? file)
    {
        if (file is null)
        {
            return Task.CompletedTask;
        }

        return PreviewAsync(
            async () =>
            {
                if (file.Size > InviteListParser.MaxBytes)
                {
                    return new InviteList([], InviteListParser.TooManyBytesMessage);
                }

                try
                {
                    await using var stream = file.OpenReadStream(InviteListParser.MaxBytes);
                    return await InviteListParser.ParseAsync(stream, file.Size, _defaultKind);
                }
                catch (Exception ex) when (ChosenFile.CouldNotBeRead(ex))
                {
                    return new InviteList([], ChosenFile.Unreadable);
                }
            },
            source: file.Name);
    }

    private async Task PreviewAsync(Func<Task<InviteList>> parse, string? source)
    {
        _busy = true;
        _listError = null;
        try
        {
            var list = await parse();
            if (list.Error is not null)
            {
                _listError = list.Error;
                return;
            }

            _list = await Invites.PreviewAsync(Scope, list);
            _source = source;
            _problemsOnly = _list.Ready < _list.Lines.Count;
            _step = Step.Preview;
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task InviteAsync()
    {
        // A second click that reached the server before the first one's render did (a double-click on a slow
        // connection) finds the invitations started: it changes nothing.
        if (_list is null || _step != Step.Preview)
        {
            return;
        }

        _step = Step.Inviting;
        _done = 0;
        _summary = null;
        StateHasChanged();
        _summary = await Invites.InviteManyAsync(Scope, _list, ClientAddress, async done =>
        {
            _done = done;
            try
            {
                await InvokeAsync(StateHasChanged);
            }
            catch (ObjectDisposedException)
            {
                // The admin closed the tab: the invitations still run to the end, as the summary would have said.
            }
        });
    }

    /// <summary>
    /// The lines that will not be invited, one a line as they were given (email, and the kind if one was), to be fixed
    /// and pasted again; with their languages when any has one, under the header that names the columns (without a
    /// header a line is read as an email and a kind only, and the language would be lost).
    /// </summary>
    private string RejectedText
    {
        get
        {
            var rejected = Preview.Lines.Where(l => !l.IsReady).ToList();
            return rejected.Any(l => (l.LanguageText ?? l.Language) is not null)
                ? string.Join('\n', ["email,kind,language", .. rejected.Select(l => $"{l.Email},{l.KindText},{l.LanguageText ?? l.Language}")])
                : string.Join('\n', rejected.Select(l => l.KindText is null ? l.Email : $"{l.Email},{l.KindText}"));
        }
    }
}
