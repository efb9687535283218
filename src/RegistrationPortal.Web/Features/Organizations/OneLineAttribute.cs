using System.ComponentModel.DataAnnotations;

namespace RegistrationPortal.Web.Features.Organizations;

/// <summary>A form field that must be one line of text (<see cref="OrganizationService.IsOneLine"/>); empty passes (see <see cref="RequiredAttribute"/>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OneLineAttribute : ValidationAttribute
{
    public OneLineAttribute()
        : base($"The {{0}} must be {OrganizationService.OneLine}.")
    {
    }

    public override bool IsValid(object? value) => value is not string text || OrganizationService.IsOneLine(text);
}
