using Microsoft.AspNetCore.Identity;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Components.Account;

/// <summary>
/// Password sign-in that tells a stranger nothing about which accounts exist and gives them no way to lock an admin
/// out. Wrong passwords never lock the account (<c>lockoutOnFailure: false</c>): guessing is held back per client
/// address by <see cref="SignInLimiter"/>, which only slows the guesser's own network. Identity's lockout is left to
/// the operator's <c>admin disable</c> and to wrong second-factor codes, which only the password's holder can reach.
/// An unknown email, a wrong password and a disabled account with a wrong password all get <see cref="SignInResult.Failed"/>
/// after the same work (one password hash); only the right password learns that its account is disabled.
/// </summary>
internal sealed class PortalSignIn(SignInManager<PortalUser> signIn, UserManager<PortalUser> users, ILogger<PortalSignIn> logger)
{
    private static readonly Lazy<string> PlaceholderHash = new(() =>
        new PasswordHasher<PortalUser>().HashPassword(new PortalUser(), Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16))));

    public async Task<SignInResult> PasswordAsync(string email, string password, bool rememberMe)
    {
        // The same lookup PasswordSignInAsync(string, …) makes: admins' user names are their emails.
        var user = await users.FindByNameAsync(email);

        // An invited admin who has not chosen a password yet has no hash to check, which Identity answers at once.
        if (user is null || user.PasswordHash is null)
        {
            // As long as checking a real password takes: the time to answer does not tell the email is unknown.
            _ = users.PasswordHasher.VerifyHashedPassword(new PortalUser(), PlaceholderHash.Value, password);
            return SignInResult.Failed;
        }

        var result = await signIn.PasswordSignInAsync(user, password, rememberMe, lockoutOnFailure: false);
        if (result.IsLockedOut)
        {
            // Identity answers "locked out" before it looks at the password; the password decides who may know.
            if (!await users.CheckPasswordAsync(user, password))
            {
                return SignInResult.Failed;
            }

            logger.LogWarning("Admin {UserId} gave the right password but is locked out.", user.Id);
        }
        else if (result.Succeeded)
        {
            logger.LogInformation("Admin {UserId} signed in.", user.Id);
        }

        return result;
    }
}
