using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Tests.Components;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Email;

/// <summary>An admin's email as it is queued: its outbox row, the audit event written with it, and the dispatcher woken.</summary>
public sealed class AccountEmailQueueTests(PortalServices portal) : IClassFixture<PortalServices>
{
    private IDataProtector Protector => portal.Provider.GetRequiredService<IDataProtectionProvider>().CreateProtector(AccountEmailContent.Purpose);

    [Fact]
    public async Task An_organization_admins_email_is_queued_in_the_organization_with_its_audit_event_and_wakes_the_dispatcher()
    {
        var org = await portal.CreateOrganizationAsync("Queue Org");
        var adminId = $"admin-{Guid.NewGuid():N}";
        var content = new AccountEmailContent(AccountEmailKind.AdminInvitation, "https://portal.example/Account/ResetPassword?code=x", "Queue Org");
        var (queue, signal) = Queue();

        await queue.QueueAsync(org, adminId, "boss@example.com", content, Actor.Operator("test"), AuditActions.AdminInvited);

        var row = await OutboxRowOfAsync(adminId);
        Assert.Equal((org, EmailKind.Account, "boss@example.com", OutboxStatus.Pending), (row.OrgId, row.Kind, row.ToAddress, row.Status));
        Assert.Equal(content, AccountEmailContent.Unprotect(Protector, row.ProtectedPayload!));
        var audit = await AuditOfAsync(adminId);
        Assert.Equal((org, AuditActions.AdminInvited, "test"), (audit.OrgId, audit.Action, audit.ActorId));
        Assert.True(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None), "the dispatcher was not woken");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task A_platform_admins_email_is_queued_under_no_organization_and_audited_outside_any(string? orgId)
    {
        var adminId = $"platform-{Guid.NewGuid():N}";
        var content = new AccountEmailContent(AccountEmailKind.AdminInvitation, "https://portal.example/Account/ResetPassword?code=y", null);
        var (queue, _) = Queue();

        await queue.QueueAsync(orgId, adminId, "root@example.com", content, Actor.Operator("test"), AuditActions.AdminInvited);

        Assert.Equal("", (await OutboxRowOfAsync(adminId)).OrgId);
        var audit = await AuditOfAsync(adminId);
        Assert.Null(audit.OrgId);
        Assert.Equal(AuditActions.AdminInvited, audit.Action);
    }

    [Fact]
    public async Task A_forgotten_password_queues_a_reset_email_whose_link_resets_that_admins_password()
    {
        var org = await portal.CreateOrganizationAsync("Reset Org");
        var email = $"forgot-{Guid.NewGuid():N}@example.com";
        await using var scope = portal.Provider.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var admin = new PortalUser { UserName = email, Email = email, OrgId = org };
        Assert.True((await users.CreateAsync(admin)).Succeeded);

        await portal.Provider.GetRequiredService<IAdminEmails>().SendPasswordResetAsync(users, admin, Actor.SelfService("203.0.113.7"));

        var row = await OutboxRowOfAsync(admin.Id);
        Assert.Equal((org, EmailKind.Account, email), (row.OrgId, row.Kind, row.ToAddress));
        var content = AccountEmailContent.Unprotect(Protector, row.ProtectedPayload!);
        Assert.Equal((AccountEmailKind.PasswordReset, null), (content.Kind, content.OrganizationName));
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(content.Link).Query);
        Assert.Equal(email, query["email"].ToString());
        var token = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(query["code"].ToString()));
        Assert.True((await users.ResetPasswordAsync(admin, token, "A-new-password-42!")).Succeeded);

        var audit = await AuditOfAsync(admin.Id);
        Assert.Equal((org, AuditActions.AdminPasswordResetRequested, "203.0.113.7"), (audit.OrgId, audit.Action, audit.ClientAddress));
    }

    private (AccountEmailQueue Queue, EmailSignal Signal) Queue()
    {
        var signal = new EmailSignal();
        var queue = new AccountEmailQueue(
            portal.Provider.GetRequiredService<WriteQueue>(),
            portal.Provider.GetRequiredService<IDataProtectionProvider>(),
            signal,
            TimeProvider.System);
        return (queue, signal);
    }

    private Task<OutboxMessage> OutboxRowOfAsync(string userId) =>
        portal.WithDbAsync(db => db.OutboxMessages.AsNoTracking().SingleAsync(m => m.UserId == userId));

    private Task<AuditEvent> AuditOfAsync(string subjectId) =>
        portal.WithDbAsync(db => db.AuditEvents.AsNoTracking().SingleAsync(e => e.SubjectId == subjectId));
}
