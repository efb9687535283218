using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;

namespace Microsoft.AspNetCore.Routing;

internal static class IdentityComponentsEndpointRouteBuilderExtensions
{
    // Endpoints the static Identity pages post to: sign-out and the passkey ceremonies.
    public static IEndpointConventionBuilder MapAdditionalIdentityEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);

        var accountGroup = endpoints.MapGroup("/Account");

        // The form is read and its token checked here rather than by the framework, whose refusal was a bare 400 (shown
        // as "no page at this address"): pressing Sign out in a second tab after the first signed out carries a token
        // made for the admin who is gone, and that browser is signed out already, so it goes to the sign-in page. A
        // return address that is not this host's, or no address at all (a hand-made post), leads home.
        accountGroup.MapPost("/Logout", async (
            HttpContext context,
            [FromServices] SignInManager<PortalUser> signInManager,
            [FromServices] IAntiforgery antiforgery) =>
        {
            if (!context.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(context))
            {
                return TypedResults.LocalRedirect(context.User.Identity?.IsAuthenticated == true ? "~/" : "~/Account/Login");
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var returnUrl = "/" + form["returnUrl"].ToString().TrimStart('/');
            await signInManager.SignOutAsync();

            // The next admin on this browser starts without the platform admin's organization.
            context.Response.Cookies.Delete(OrganizationSelection.CookieName);
            return TypedResults.LocalRedirect(OrganizationSelectionApi.IsLocal(returnUrl) ? "~" + returnUrl : "~/");
        }).DisableAntiforgery();

        accountGroup.MapPost("/PasskeyCreationOptions", async (
            HttpContext context,
            [FromServices] UserManager<PortalUser> userManager,
            [FromServices] SignInManager<PortalUser> signInManager,
            [FromServices] IAntiforgery antiforgery) =>
        {
            await antiforgery.ValidateRequestAsync(context);

            var user = await userManager.GetUserAsync(context.User);
            if (user is null)
            {
                return Results.NotFound($"Unable to load user with ID '{userManager.GetUserId(context.User)}'.");
            }

            var userId = await userManager.GetUserIdAsync(user);
            var userName = await userManager.GetUserNameAsync(user) ?? "User";
            var optionsJson = await signInManager.MakePasskeyCreationOptionsAsync(new()
            {
                Id = userId,
                Name = userName,
                DisplayName = userName
            });
            return TypedResults.Content(optionsJson, contentType: "application/json");
        });

        // Always the options for discoverable credentials, whoever is named (the sign-in page's script sends the email
        // typed so far): options built for a user list that user's credential ids, which would tell anyone which admins
        // have passkeys and how many. The browser offers the device's own passkeys for this site instead.
        accountGroup.MapPost("/PasskeyRequestOptions", async (
            HttpContext context,
            [FromServices] SignInManager<PortalUser> signInManager,
            [FromServices] IAntiforgery antiforgery) =>
        {
            await antiforgery.ValidateRequestAsync(context);

            var optionsJson = await signInManager.MakePasskeyRequestOptionsAsync(user: null);
            return TypedResults.Content(optionsJson, contentType: "application/json");
        });

        return accountGroup;
    }
}
