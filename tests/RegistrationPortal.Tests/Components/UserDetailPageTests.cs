using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Features.Users.Pages;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Components;

public sealed class UserDetailPageTests(PortalServices portal) : PortalComponentTest(portal)
{
    private const string AppId = "ap-abcde-fghij-klmnopqrstuvwxyz";

    [Fact]
    public async Task Lists_every_code_with_its_door_and_who_asked_and_its_delivery_but_never_a_code()
    {
        var org = await Portal.CreateOrganizationAsync();
        await SignInAsAdminOfAsync(org, "boss@example.com");
        const string email = "history@example.com";
        var invited = await Service<OrgUserInviteService>().InviteAsync(ScopeOf(org), email, UserKind.EndUser, "10.0.0.1");
        var userId = invited.UserId!;
        var registration = Service<RegistrationService>();

        // Three more doors, one after another; the throttle would refuse a second resend within the minute.
        foreach (var actor in new[] { Actor.Api(AppId, "10.0.0.2"), Actor.SelfService("10.0.0.3"), Actor.Operator("cli") })
        {
            await ClearThrottleAsync(org);
            Assert.Equal(ResendStatus.Sent, (await registration.ResendAsync(org, email, actor)).Status);
        }

        var plaintexts = await PlaintextCodesAsync(userId);
        var hashes = await WithDbAsync(db => db.RegistrationCodes.Where(c => c.UserId == userId).Select(c => c.CodeHash).ToListAsync());
        Assert.Equal(4, plaintexts.Count);
        await Service<OutboxDispatcher>().DispatchDueAsync(CancellationToken.None);

        var page = RenderDetail(userId);

        page.WaitForAssertion(() => Assert.Equal(4, Rows(page, "Registration codes").Count), Deadline);
        var codes = Rows(page, "Registration codes").Select(Cells).ToList();
        Assert.Equal(["System", "system", "Active"], Pick(codes[0], 1, 2, 4));
        Assert.Equal(["Self-service page", "self-service"], Pick(codes[1], 1, 2));
        Assert.Equal(["Public API", AppId], Pick(codes[2], 1, 2));
        Assert.Equal(["Admin portal", "boss@example.com"], Pick(codes[3], 1, 2));
        Assert.All(codes.Skip(1), row => Assert.Matches(@"^Invalidated \d{4}-\d\d-\d\d \d\d:\d\d \(replaced\)$", row[4]));

        var deliveries = Rows(page, "Email delivery").Select(Cells).ToList();
        Assert.Equal(4, deliveries.Count);
        Assert.Equal(["history@example.com", "Delivered", "1"], Pick(deliveries[0], 1, 2, 3));
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d$", deliveries[0][6]);
        Assert.All(deliveries.Skip(1), row => Assert.Equal("Not sent: code replaced first", row[2]));

        var audit = Rows(page, "Audit events").Select(Cells).ToList();
        Assert.Contains(audit, row => row[1] == AuditActions.UserInvited && row[2] == "boss@example.com");
        Assert.Contains(audit, row => row[1] == AuditActions.CodeSent && row[2] == AppId);
        Assert.Contains(audit, row => row[1] == AuditActions.EmailDelivered && row[2] == "system (email-dispatcher)");

        foreach (var code in plaintexts)
        {
            Assert.DoesNotContain(code, page.Markup, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(code.Replace("-", string.Empty, StringComparison.Ordinal), page.Markup, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var hash in hashes)
        {
            Assert.DoesNotContain(Convert.ToHexString(hash), page.Markup, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(hash), page.Markup, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_registered_user_shows_the_used_code_and_when_they_registered_and_offers_no_action()
    {
        var org = await Portal.CreateOrganizationAsync();
        await SignInAsAdminOfAsync(org);
        var userId = await Portal.InviteAsync(org, "done@example.com");
        var at = new DateTimeOffset(2026, 11, 20, 10, 30, 0, TimeSpan.Zero);
        await WithDbAsync(async db =>
        {
            await db.RegistrationCodes.Where(c => c.UserId == userId).ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, at));
            return await db.OrgUsers.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsRegistered, true).SetProperty(u => u.RegisteredAt, at));
        });

        var page = RenderDetail(userId);

        page.WaitForAssertion(() => Assert.Single(Rows(page, "Registration codes")), Deadline);
        Assert.Equal("Used 2026-11-20 10:30", Cells(Rows(page, "Registration codes")[0])[4]);
        Assert.Equal("2026-11-20 10:30", DetailValue(page, "Registered"));
        Assert.Equal("Registered", DetailValue(page, "Status"));
        Assert.Equal("EndUser", DetailValue(page, "Kind"));
        Assert.DoesNotContain(page.FindAll("button"), b => b.TextContent.Trim() is "Resend code" or "Deactivate" or "Reactivate" or "Correct email and resend");
    }

    [Fact]
    public async Task A_registered_user_lists_their_credentials_with_kind_name_time_and_authenticator()
    {
        var org = await Portal.CreateOrganizationAsync();
        await SignInAsAdminOfAsync(org);
        var userId = await Portal.InviteAsync(org, "passkey@example.com");
        var at = new DateTimeOffset(2026, 11, 21, 9, 15, 0, TimeSpan.Zero);
        var aaguid = Guid.Parse("01020304-0506-0708-090a-0b0c0d0e0f10");
        await WithDbAsync(async db =>
        {
            db.Credentials.Add(new Credential
            {
                Id = Ids.New(Ids.Credential),
                OrgId = org,
                UserId = userId,
                Kind = "Fido2",
                Name = "Passkey",
                CredId = "cGFzc2tleQ",
                PublicKeyCose = [0xa5, 0x01, 0x02],
                SignCount = 0,
                Aaguid = aaguid,
                AttestationFormat = "packed",
                Transports = "internal,hybrid",
                CreatedAt = at,
            });
            await db.SaveChangesAsync();
            return await db.OrgUsers.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsRegistered, true).SetProperty(u => u.RegisteredAt, at));
        });

        var page = RenderDetail(userId);

        page.WaitForAssertion(() => Assert.Single(Rows(page, "Credentials")), Deadline);
        Assert.Equal(["Passkey (Fido2)", "Passkey", "2026-11-21 09:15", aaguid.ToString(), "packed", "internal, hybrid"], Cells(Rows(page, "Credentials")[0]));
    }

    [Fact]
    public async Task A_pending_user_has_no_credential_yet()
    {
        var org = await Portal.CreateOrganizationAsync();
        await SignInAsAdminOfAsync(org);
        var userId = await Portal.InviteAsync(org, "pending-credentials@example.com");

        var page = RenderDetail(userId);

        page.WaitForAssertion(() => Assert.Contains("No credential yet: the user registers one with their code.", page.Markup, StringComparison.Ordinal), Deadline);
    }

    [Fact]
    public async Task A_failing_delivery_shows_its_attempts_and_last_error()
    {
        var org = await Portal.CreateOrganizationAsync();
        await SignInAsAdminOfAsync(org);
        var userId = await Portal.InviteAsync(org, "bounce@example.com");
        var lastAttempt = new DateTimeOffset(2026, 11, 21, 8, 15, 0, TimeSpan.Zero);

        // The dispatcher's record of a server that kept refusing the mailbox (the SMTP path is covered by the integration tests).
        await WithDbAsync(db => db.OutboxMessages.Where(m => m.UserId == userId).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.Status, OutboxStatus.Failed)
            .SetProperty(m => m.Attempts, 8)
            .SetProperty(m => m.LastAttemptAt, lastAttempt)
            .SetProperty(m => m.LastError, "SmtpCommandException: 550 5.1.1 mailbox unavailable")));

        var page = RenderDetail(userId);

        page.WaitForAssertion(() => Assert.Single(Rows(page, "Email delivery")), Deadline);
        Assert.Equal(
            ["bounce@example.com", "Failed", "8", "2026-11-21 08:15", "SmtpCommandException: 550 5.1.1 mailbox unavailable", "—"],
            Cells(Rows(page, "Email delivery")[0]).Skip(1));
    }

    [Fact]
    public async Task Audit_events_are_newest_first_twenty_to_a_page()
    {
        var org = await Portal.CreateOrganizationAsync();
        await SignInAsAdminOfAsync(org, "pager@example.com");
        var userId = await Portal.InviteAsync(org, "busy@example.com");
        var detail = Service<OrgUserDetailService>();
        for (var i = 0; i < 12; i++)
        {
            await detail.DeactivateAsync(ScopeOf(org), userId, null);
            await detail.ReactivateAsync(ScopeOf(org), userId, null);
        }

        var page = RenderDetail(userId);

        page.WaitForAssertion(() => Assert.Contains("1–20 of 26", page.Markup), Deadline);
        var first = Rows(page, "Audit events").Select(Cells).ToList();
        Assert.Equal(20, first.Count);
        Assert.Equal([AuditActions.UserReactivated, "pager@example.com"], Pick(first[0], 1, 2));
        Assert.True(page.Find("button[aria-label='Newer events']").HasAttribute("disabled"));

        await page.Find("button[aria-label='Older events']").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("21–26 of 26", page.Markup), Deadline);
        var second = Rows(page, "Audit events").Select(Cells).ToList();
        Assert.Equal(6, second.Count);
        Assert.Equal([AuditActions.UserInvited, "system (test)", "kind EndUser"], Pick(second[^1], 1, 2, 3));
        Assert.True(page.Find("button[aria-label='Older events']").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Deactivate_asks_first_kills_the_outstanding_code_and_reactivate_brings_the_user_back()
    {
        var org = await Portal.CreateOrganizationAsync();
        await SignInAsAdminOfAsync(org);
        var userId = await Portal.InviteAsync(org, "leaver@example.com");
        var dialogs = Bunit.Render<MudDialogProvider>();
        var snackbars = Bunit.Render<MudSnackbarProvider>();
        var page = RenderDetail(userId);
        page.WaitForAssertion(() => Assert.Equal("Pending: invited, not registered yet", DetailValue(page, "Status")), Deadline);

        var clicking = ClickButtonAsync(page, "Deactivate");
        dialogs.WaitForAssertion(() => Assert.Contains("Deactivate leaver@example.com?", dialogs.Markup), Deadline);
        await ClickButtonAsync(dialogs, "Deactivate");
        await clicking;

        snackbars.WaitForAssertion(() => Assert.Contains("leaver@example.com is deactivated. 1 outstanding code stopped working.", snackbars.Markup), Deadline);
        page.WaitForAssertion(() => Assert.StartsWith("Deactivated", DetailValue(page, "Status"), StringComparison.Ordinal), Deadline);
        Assert.Matches(@"^Invalidated .* \(deactivated\)$", Cells(Rows(page, "Registration codes")[0])[4]);
        Assert.Equal(AuditActions.UserDeactivated, Cells(Rows(page, "Audit events")[0])[1]);
        Assert.DoesNotContain(page.FindAll("button"), b => b.TextContent.Trim() is "Resend code" or "Deactivate");
        var code = await WithDbAsync(db => db.RegistrationCodes.SingleAsync(c => c.UserId == userId));
        Assert.Equal(InvalidationReasons.Deactivated, code.InvalidatedReason);

        clicking = ClickButtonAsync(page, "Reactivate");
        dialogs.WaitForAssertion(() => Assert.Contains("Reactivate leaver@example.com?", dialogs.Markup), Deadline);
        await ClickButtonAsync(dialogs, "Reactivate");
        await clicking;

        snackbars.WaitForAssertion(() => Assert.Contains("leaver@example.com is active again.", snackbars.Markup), Deadline);
        page.WaitForAssertion(() => Assert.StartsWith("Pending", DetailValue(page, "Status"), StringComparison.Ordinal), Deadline);
        Assert.Equal(AuditActions.UserReactivated, Cells(Rows(page, "Audit events")[0])[1]);
        Assert.Contains(page.FindAll("button"), b => b.TextContent.Trim() == "Resend code");

        // Reactivation makes no code: the one deactivation killed stays dead until the admin resends.
        Assert.Equal(0, await WithDbAsync(db => db.RegistrationCodes.CountAsync(c => c.UserId == userId && c.InvalidatedAt == null)));
    }

    [Fact]
    public async Task Cancelling_deactivation_changes_nothing()
    {
        var org = await Portal.CreateOrganizationAsync();
        await SignInAsAdminOfAsync(org);
        var userId = await Portal.InviteAsync(org, "stays@example.com");
        var dialogs = Bunit.Render<MudDialogProvider>();
        var page = RenderDetail(userId);
        page.WaitForAssertion(() => Assert.StartsWith("Pending", DetailValue(page, "Status"), StringComparison.Ordinal), Deadline);

        var clicking = ClickButtonAsync(page, "Deactivate");
        dialogs.WaitForAssertion(() => Assert.Contains("Deactivate stays@example.com?", dialogs.Markup), Deadline);
        await ClickButtonAsync(dialogs, "Cancel");
        await clicking;

        Assert.True(await WithDbAsync(db => db.OrgUsers.Where(u => u.Id == userId).Select(u => u.IsActive).SingleAsync()));
        Assert.Equal(1, await WithDbAsync(db => db.RegistrationCodes.CountAsync(c => c.UserId == userId && c.InvalidatedAt == null)));
    }

    [Fact]
    public async Task Resend_from_the_detail_page_reports_the_outcome_and_lists_the_new_code()
    {
        var org = await Portal.CreateOrganizationAsync();
        await SignInAsAdminOfAsync(org, "resender@example.com");
        var userId = await Portal.InviteAsync(org, "again@example.com");
        var dialogs = Bunit.Render<MudDialogProvider>();
        var snackbars = Bunit.Render<MudSnackbarProvider>();
        var page = RenderDetail(userId);
        page.WaitForAssertion(() => Assert.Single(Rows(page, "Registration codes")), Deadline);

        var clicking = ClickButtonAsync(page, "Resend code");
        dialogs.WaitForAssertion(() => Assert.Contains("Send a new registration code to again@example.com?", dialogs.Markup), Deadline);
        await ClickButtonAsync(dialogs, "Resend");
        await clicking;

        snackbars.WaitForAssertion(() => Assert.Contains("New code sent to again@example.com", snackbars.Markup), Deadline);
        page.WaitForAssertion(() => Assert.Equal(2, Rows(page, "Registration codes").Count), Deadline);
        Assert.Equal(["Admin portal", "resender@example.com", "Active"], Pick(Cells(Rows(page, "Registration codes")[0]), 1, 2, 4));
    }

    [Fact]
    public async Task Correct_email_validates_refuses_a_taken_address_then_moves_the_code_to_the_new_address()
    {
        var org = await Portal.CreateOrganizationAsync();
        await SignInAsAdminOfAsync(org);
        var userId = await Portal.InviteAsync(org, "jon@exmaple.com");
        await Portal.InviteAsync(org, "taken@example.com");
        var dialogs = Bunit.Render<MudDialogProvider>();
        var snackbars = Bunit.Render<MudSnackbarProvider>();
        var page = RenderDetail(userId);
        page.WaitForAssertion(() => Assert.Single(Rows(page, "Registration codes")), Deadline);

        var clicking = ClickButtonAsync(page, "Correct email and resend");
        dialogs.WaitForAssertion(() => Assert.Equal("jon@exmaple.com", dialogs.Find("input[aria-label='New email address']").GetAttribute("value")), Deadline);

        dialogs.Find("input[aria-label='New email address']").Input("jon at example");
        await ClickButtonAsync(dialogs, "Correct and resend");
        dialogs.WaitForAssertion(() => Assert.Contains(UserActionMessages.InvalidEmail, dialogs.Markup), Deadline);

        dialogs.Find("input[aria-label='New email address']").Input("TAKEN@example.com");
        await ClickButtonAsync(dialogs, "Correct and resend");
        dialogs.WaitForAssertion(() => Assert.Contains("TAKEN@example.com is already a user of this organization.", dialogs.Markup), Deadline);

        dialogs.Find("input[aria-label='New email address']").Input("jon@example.com");
        await ClickButtonAsync(dialogs, "Correct and resend");
        await clicking;

        snackbars.WaitForAssertion(() => Assert.Contains("Address corrected to jon@example.com. The old code no longer works", snackbars.Markup), Deadline);
        page.WaitForAssertion(() => Assert.Equal("jon@example.com", page.Find("h1").TextContent.Trim()), Deadline);
        var codes = Rows(page, "Registration codes").Select(Cells).ToList();
        Assert.Equal("Active", codes[0][4]);
        Assert.Matches(@"^Invalidated .* \(email corrected\)$", codes[1][4]);
        var deliveries = Rows(page, "Email delivery").Select(Cells).ToList();
        Assert.Equal(["jon@example.com", "jon@exmaple.com"], deliveries.Select(d => d[1]));
        Assert.Equal(AuditActions.CodeSent, Cells(Rows(page, "Audit events")[0])[1]);
        Assert.Contains(Rows(page, "Audit events").Select(Cells), row => row[1] == AuditActions.UserEmailCorrected && row[3] == "from jon@exmaple.com to jon@example.com");
    }

    [Fact]
    public async Task A_user_of_another_organization_is_not_found_and_the_attempt_is_audited()
    {
        var org = await Portal.CreateOrganizationAsync();
        var other = await Portal.CreateOrganizationAsync("Other");
        var theirs = await Portal.InviteAsync(other, "theirs@example.com");
        await SignInAsAdminOfAsync(org);

        var page = RenderDetail(theirs);

        page.WaitForAssertion(() => Assert.Equal("User not found", page.Find("h1").TextContent.Trim()), Deadline);
        Assert.DoesNotContain("theirs@example.com", page.Markup, StringComparison.Ordinal);
        Assert.True(await WithDbAsync(db => db.AuditEvents.AnyAsync(a => a.OrgId == org && a.Action == AuditActions.AccessDenied && a.SubjectId == theirs && a.ActorId == AdminIdOf(org))));
        Assert.False(await WithDbAsync(db => db.AuditEvents.AnyAsync(a => a.OrgId == other && a.Action == AuditActions.AccessDenied)));
    }

    [Fact]
    public async Task An_unknown_id_is_not_found_either()
    {
        var org = await Portal.CreateOrganizationAsync();
        await SignInAsAdminOfAsync(org);

        var page = RenderDetail("us-nope0-nope0-nope0nope0nope0no");

        page.WaitForAssertion(() => Assert.Contains("There is no such user in your organization.", page.Markup), Deadline);
        Assert.True(await WithDbAsync(db => db.AuditEvents.AnyAsync(a => a.OrgId == org && a.Action == AuditActions.AccessDenied && a.SubjectId == "us-nope0-nope0-nope0nope0nope0no")));
    }

    [Fact]
    public async Task Naming_another_organization_in_the_address_does_not_widen_the_scope_and_is_audited()
    {
        var org = await Portal.CreateOrganizationAsync();
        var other = await Portal.CreateOrganizationAsync("Other");
        var theirs = await Portal.InviteAsync(other, "hidden@example.com");
        await SignInAsAdminOfAsync(org);
        Bunit.Services.GetRequiredService<NavigationManager>().NavigateTo($"users/{theirs}?org={other}");

        var page = RenderDetail(theirs);

        page.WaitForAssertion(() => Assert.Equal("User not found", page.Find("h1").TextContent.Trim()), Deadline);
        Assert.DoesNotContain("hidden@example.com", page.Markup, StringComparison.Ordinal);
        Assert.True(await WithDbAsync(db => db.AuditEvents.AnyAsync(a => a.OrgId == org && a.Action == AuditActions.AccessDenied && a.SubjectId == theirs)));
    }

    private IRenderedComponent<UserDetailPage> RenderDetail(string userId) =>
        Bunit.Render<UserDetailPage>(p => p.Add(x => x.UserId, userId));

    private static List<IElement> Rows(IRenderedComponent<UserDetailPage> page, string table) =>
        Table(page, table).QuerySelectorAll("tbody tr").ToList();

    /// <summary>A table found by its caption, the accessible name a screen reader announces.</summary>
    private static IElement Table(IRenderedComponent<UserDetailPage> page, string caption) =>
        page.FindAll("table").Single(t => t.QuerySelector("caption")?.TextContent.Trim() == caption);

    private static string[] Cells(IElement row) => row.QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToArray();

    private static string[] Pick(string[] cells, params int[] indexes) => indexes.Select(i => cells[i]).ToArray();

    private static string DetailValue(IRenderedComponent<UserDetailPage> page, string name) =>
        Table(page, "User details").QuerySelectorAll("tbody tr").Single(r => r.QuerySelector("th")!.TextContent.Trim() == name).QuerySelector("td")!.TextContent.Trim();

    private async Task ClearThrottleAsync(string orgId)
    {
        await WithDbAsync(db => db.ResendThrottles.Where(t => t.OrgId == orgId).ExecuteDeleteAsync());
        await WithDbAsync(db => db.AdminResendThrottles.Where(t => t.OrgId == orgId).ExecuteDeleteAsync());
    }

    /// <summary>The plaintext codes the queued mails carry, read the way the dispatcher reads them.</summary>
    private async Task<List<string>> PlaintextCodesAsync(string userId)
    {
        var payloads = await WithDbAsync(db => db.OutboxMessages.Where(m => m.UserId == userId && m.ProtectedPayload != null).Select(m => m.ProtectedPayload!).ToListAsync());
        var protector = Service<IDataProtectionProvider>().CreateProtector(OutboxPayload.Purpose);
        return payloads.Select(protector.Unprotect).ToList();
    }
}
