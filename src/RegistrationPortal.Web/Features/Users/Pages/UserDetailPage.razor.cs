using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using RegistrationPortal.Web.Components.Shared;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Users.Pages;

public sealed partial class UserDetailPage
{
    public const int AuditPageSize = 20;

    private AdminScope? _scope;
    private UserDetail? _detail;
    private AuditRowPage? _audit;
    private int _auditPage;
    private bool _loading = true;
    private bool _busy;
    private bool _interactive;
    private string? _loadedUserId;

    [Parameter]
    public string UserId { get; set; } = default!;

    [CascadingParameter]
    private OrganizationSelection? Selection { get; set; }

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    [CascadingParameter]
    private ClientInfo? Client { get; set; }

    [CascadingParameter]
    private AdminClock? Clock { get; set; }

    [Inject]
    private OrgUserDetailService Detail { get; set; } = default!;

    [Inject]
    private OrgUserAdminService Users { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    private const string UsersHref = "users";

    private string AuditRange => _audit is null
        ? string.Empty
        : string.Create(CultureInfo.InvariantCulture, $"{(_auditPage * AuditPageSize) + 1}–{Math.Min((_auditPage + 1) * AuditPageSize, _audit.TotalItems)} of {_audit.TotalItems}");

    protected override async Task OnParametersSetAsync()
    {
        if (_interactive && _loadedUserId != UserId)
        {
            await LoadAsync();
        }
    }

    // Loading (and auditing a refused id) happens once the circuit is interactive, not again in the prerender pass.
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        _interactive = true;
        await LoadAsync();
        StateHasChanged();
    }

    private async Task LoadAsync()
    {
        _loading = true;
        _loadedUserId = UserId;
        _scope ??= Selection.ScopeFor((await AuthenticationState).User);
        _detail = _scope is null ? null : await Detail.GetAsync(_scope, UserId, Client?.Address);
        _auditPage = 0;
        _audit = _detail is null ? null : await Detail.AuditAsync(_scope!, UserId, 0, AuditPageSize);
        _loading = false;
    }

    private async Task ReloadAsync()
    {
        if (_scope is null)
        {
            return;
        }

        _detail = await Detail.GetAsync(_scope, UserId, Client?.Address);
        _audit = _detail is null ? null : await Detail.AuditAsync(_scope, UserId, _auditPage, AuditPageSize);
    }

    private async Task AuditPageAsync(int page)
    {
        if (_scope is null || page < 0)
        {
            return;
        }

        _auditPage = page;
        _audit = await Detail.AuditAsync(_scope, UserId, page, AuditPageSize);
    }

    private async Task ResendAsync()
    {
        if (_scope is null || _detail is not { } user)
        {
            return;
        }

        var cooldown = await Users.ResendCooldownEndsAsync(_scope, user.Id);
        var confirmed = await Dialogs.ConfirmAsync(
            "Resend registration code",
            $"Send a new registration code to {user.Email}? Every earlier code of this user stops working.",
            "Resend",
            warning: ResendMessages.CooldownWarning(cooldown, Clock));
        if (!confirmed)
        {
            return;
        }

        await RunAsync(async () =>
        {
            var outcome = await Users.ResendAsync(_scope, user.Id, Client?.Address);
            return ResendMessages.Describe(outcome, user.Email, Clock);
        });
    }

    private async Task DeactivateAsync()
    {
        if (_scope is null || _detail is not { } user)
        {
            return;
        }

        var confirmed = await Dialogs.ConfirmAsync(
            "Deactivate user",
            $"Deactivate {user.Email}? Their outstanding registration codes stop working, and no code can be sent to them until they are reactivated.",
            "Deactivate",
            destructive: true);
        if (!confirmed)
        {
            return;
        }

        await RunAsync(async () => UserActionMessages.Deactivated(await Detail.DeactivateAsync(_scope, user.Id, Client?.Address)));
    }

    private async Task ReactivateAsync()
    {
        if (_scope is null || _detail is not { } user)
        {
            return;
        }

        var confirmed = await Dialogs.ConfirmAsync(
            "Reactivate user",
            $"Reactivate {user.Email}? They become pending again; no code is sent until you resend one.",
            "Reactivate");
        if (!confirmed)
        {
            return;
        }

        await RunAsync(async () => UserActionMessages.Reactivated(await Detail.ReactivateAsync(_scope, user.Id, Client?.Address)));
    }

    private async Task CorrectEmailAsync()
    {
        if (_scope is null || _detail is not { } user)
        {
            return;
        }

        var parameters = new DialogParameters<CorrectEmailDialog>
        {
            { x => x.Scope, _scope },
            { x => x.UserId, user.Id },
            { x => x.CurrentEmail, user.Email },
            { x => x.ClientAddress, Client?.Address },
        };
        var dialog = await Dialogs.ShowAsync<CorrectEmailDialog>("Correct email and resend", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: CorrectEmailOutcome outcome })
        {
            var (message, severity) = UserActionMessages.EmailCorrected(outcome, Clock);
            Snackbar.Add(message, severity);
            await ReloadAsync();
        }
    }

    private async Task RunAsync(Func<Task<(string Message, Severity Severity)>> action)
    {
        _busy = true;
        try
        {
            var (message, severity) = await action();
            Snackbar.Add(message, severity);
            await ReloadAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private static string Time(DateTimeOffset? at) => UserActionMessages.Time(at);

    private static string StatusText(UserStatus status) => status switch
    {
        UserStatus.Pending => "Pending: invited, not registered yet",
        UserStatus.Registered => "Registered",
        _ => "Deactivated: no code works or can be sent",
    };

    private static string CredentialKindText(string kind) => kind switch
    {
        Fido2Credentials.Kind => "Passkey (Fido2)",
        RegistrationCompletionService.KeyKind => "Key",
        _ => kind,
    };

    /// <summary>The authenticator model's AAGUID; a Key credential has none, and an authenticator may keep it to itself (all zeros).</summary>
    private static string AaguidText(CredentialRow credential) => credential.Aaguid switch
    {
        null => "—",
        { } aaguid when aaguid == Guid.Empty => "Not disclosed (00000000-0000-0000-0000-000000000000)",
        { } aaguid => aaguid.ToString(),
    };

    private static string DoorText(ActorKind door) => door switch
    {
        ActorKind.Admin => "Admin portal",
        ActorKind.SelfService => "Self-service page",
        ActorKind.ApiApplication => "Public API",
        _ => "System",
    };

    private static string CodeOutcome(CodeHistoryRow code) => code.State switch
    {
        CodeState.Used => $"Used {Time(code.UsedAt)}",
        CodeState.Invalidated => $"Invalidated {Time(code.InvalidatedAt)} ({code.InvalidatedReason ?? "no reason recorded"})",
        CodeState.Expired => "Expired unused",
        _ => "Active",
    };

    private static string DeliveryText(OutboxStatus status) => status switch
    {
        OutboxStatus.Pending => "Queued",
        OutboxStatus.Sent => "Delivered",
        OutboxStatus.Failed => "Failed",
        _ => "Not sent: code replaced first",
    };

    private static Color StatusColor(UserStatus status) => status switch
    {
        UserStatus.Pending => Color.Warning,
        UserStatus.Registered => Color.Success,
        _ => Color.Default,
    };
}
