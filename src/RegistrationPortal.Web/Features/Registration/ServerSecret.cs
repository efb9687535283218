using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>Server-wide secrets, stored protected by ASP.NET Core Data Protection.</summary>
public sealed class ServerSecret
{
    public required string Name { get; init; }

    public required string ProtectedValue { get; init; }
}

internal sealed class ServerSecretConfiguration : IEntityTypeConfiguration<ServerSecret>
{
    public void Configure(EntityTypeBuilder<ServerSecret> e)
    {
        e.HasKey(s => s.Name);
        e.Property(s => s.Name).HasMaxLength(64);
    }
}
