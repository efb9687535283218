namespace RegistrationPortal.Web.Shared;

public enum ActorKind
{
    /// <summary>An org or platform admin in the portal.</summary>
    Admin,

    /// <summary>A person on the public self-service page.</summary>
    SelfService,

    /// <summary>A client of the public API, identified by its application id when it sends one.</summary>
    ApiApplication,

    /// <summary>An operator on the command line, the development seed, or the host itself.</summary>
    System,
}

/// <summary>Who is asking, for the audit trail and for how much of an outcome the door may show.</summary>
public sealed record Actor(ActorKind Kind, string? Id, string? ClientAddress)
{
    public static Actor Admin(string adminId, string? clientAddress) => new(ActorKind.Admin, adminId, clientAddress);

    /// <summary>The door of the register page (<c>/register</c>): its script calls the public API, which tells it by this id.</summary>
    public const string RegisterPageDoor = "register-page";

    public static Actor SelfService(string? clientAddress) => new(ActorKind.SelfService, null, clientAddress);

    /// <summary>A person registering on the register page: a self-service actor whose id names that door.</summary>
    public static Actor RegisterPage(string? clientAddress) => new(ActorKind.SelfService, RegisterPageDoor, clientAddress);

    public static Actor Api(string? appId, string? clientAddress) => new(ActorKind.ApiApplication, appId, clientAddress);

    public static Actor Operator(string what) => new(ActorKind.System, what, null);
}
