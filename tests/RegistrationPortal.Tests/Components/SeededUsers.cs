using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Components;

/// <summary>Users inserted straight into the real database (thousands in a blink), and admin scopes to act on them.</summary>
public static class SeededUsers
{
    public static AdminScope AdminOf(string orgId, string adminId = "admin-1") => AdminScope.For(new ClaimsPrincipal(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, adminId), new Claim(ClaimTypes.Role, PortalRoles.OrgAdmin), new Claim(PortalRoles.OrgClaim, orgId)],
        "test")))!;

    /// <summary>
    /// Inserts <paramref name="count"/> users of <paramref name="orgId"/> in one transaction, the i-th with the email
    /// <paramref name="email"/>(i), created <paramref name="createdAt"/>(i), in <paramref name="status"/>(i). Returns their ids.
    /// </summary>
    public static async Task<IReadOnlyList<string>> InsertAsync(
        this PortalServices portal,
        string orgId,
        int count,
        Func<int, string> email,
        Func<int, DateTimeOffset>? createdAt = null,
        Func<int, UserStatus>? status = null)
    {
        var toBinary = new DateTimeOffsetToBinaryConverter();
        var now = DateTimeOffset.UtcNow;
        var ids = new List<string>(count);
        await using var db = await portal.Provider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        await using var tx = await db.Database.BeginTransactionAsync();
        await using var insert = db.Database.GetDbConnection().CreateCommand();
        insert.Transaction = tx.GetDbTransaction();
        insert.CommandText = """
            INSERT INTO Users (Id, OrgId, Username, NormalizedUsername, Kind, IsActive, IsRegistered, CreatedAt)
            VALUES ($id, $org, $username, $normalized, 'EndUser', $active, $registered, $created)
            """;
        var id = Add("$id");
        var username = Add("$username");
        var normalized = Add("$normalized");
        var active = Add("$active");
        var registered = Add("$registered");
        var created = Add("$created");
        Add("$org").Value = orgId;
        for (var i = 0; i < count; i++)
        {
            var userStatus = status?.Invoke(i) ?? UserStatus.Pending;
            id.Value = Ids.New(Ids.User);
            username.Value = email(i);
            normalized.Value = EmailAddress.Normalize(email(i));
            active.Value = userStatus != UserStatus.Deactivated;
            registered.Value = userStatus == UserStatus.Registered;
            created.Value = toBinary.ConvertToProvider(createdAt?.Invoke(i) ?? now.AddSeconds(i - count));
            await insert.ExecuteNonQueryAsync();
            ids.Add((string)id.Value);
        }

        await tx.CommitAsync();
        return ids;

        System.Data.Common.DbParameter Add(string name)
        {
            var parameter = insert.CreateParameter();
            parameter.ParameterName = name;
            insert.Parameters.Add(parameter);
            return parameter;
        }
    }

    public static async Task ExecuteSqlAsync(this PortalServices portal, string sql)
    {
        await using var db = await portal.Provider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        await db.Database.ExecuteSqlRawAsync(sql);
    }
}
