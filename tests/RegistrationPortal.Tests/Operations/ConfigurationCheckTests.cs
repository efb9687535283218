using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Hosting;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Operations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.ServiceAccounts;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Operations;

/// <summary>The generated validators as the host runs them: one line per problem, naming the key, nested sections included.</summary>
public sealed class ConfigurationCheckTests
{
    [Fact]
    public void A_wrong_value_in_a_nested_section_is_one_line_naming_its_full_key()
    {
        var problems = Problems(new() { ["Email:Smtp:Port"] = "0" });

        Assert.Equal(["Configuration error: Email:Smtp:Port: The field Port must be between 1 and 65535."], problems);
    }

    [Fact]
    public void Wrong_values_in_several_sections_are_one_line_each()
    {
        var problems = Problems(new()
        {
            ["Email:MaxAttempts"] = "0",
            ["ServiceAccounts:RateLimit:PermitLimit"] = "0",
            ["Registration:AllowedOrigins:0"] = "https://app.example.com",
            ["Registration:AllowedOrigins:1"] = "https://app.example.com/path",
        });

        Assert.Equal(
            [
                "Configuration error: Email:MaxAttempts: The field MaxAttempts must be between 1 and 100.",
                "Configuration error: Registration:AllowedOrigins:1: 'https://app.example.com/path' is not an origin like https://app.example.com (scheme, host and port only)",
                "Configuration error: ServiceAccounts:RateLimit:PermitLimit: The field PermitLimit must be between 1 and 10000000.",
            ],
            problems.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_sender_that_is_not_a_mail_address_names_email_from()
    {
        Assert.Equal(
            ["Configuration error: Email:From: is not a mail address (e.g. \"RegistrationPortal <no-reply@example.com>\")"],
            Problems(new() { ["Email:From"] = "not an address" }));
    }

    [Fact]
    public void A_short_code_hash_key_names_registration_code_hash_key()
    {
        Assert.Equal(
            ["Configuration error: Registration:CodeHashKey: must be the base64 of at least 32 random bytes"],
            Problems(new() { ["Registration:CodeHashKey"] = Convert.ToBase64String(new byte[31]) }));
        Assert.Empty(Problems(new() { ["Registration:CodeHashKey"] = Convert.ToBase64String(new byte[32]) }));
    }

    [Fact]
    public void A_wrong_section_read_while_the_host_is_built_reads_as_its_defaults_and_the_start_check_names_the_key()
    {
        var settings = new Dictionary<string, string?> { ["Api:RateLimit:Window"] = "00:00:00", ["Api:AllowedOrigins:0"] = "https://app.example.com" };

        var read = ConfigurationCheck.Read<ApiOptions>(Configuration(settings), ApiOptions.Section);

        Assert.Empty(read.AllowedOrigins);
        Assert.Equal(TimeSpan.FromMinutes(1), read.RateLimit.Window);
        Assert.Equal(["Configuration error: Api:RateLimit:Window: The field Window must be between 00:00:01 and 1.00:00:00."], Problems(settings));
        Assert.Equal(["https://app.example.com"], ConfigurationCheck.Read<ApiOptions>(Configuration(new() { ["Api:AllowedOrigins:0"] = "https://app.example.com" }), ApiOptions.Section).AllowedOrigins);
    }

    [Fact]
    public void A_value_the_binder_cannot_read_names_its_key_and_the_form_it_needs()
    {
        Assert.Equal(
            ["Configuration error: Email:RetryMaxDelay: cannot be read as a TimeSpan (write d.hh:mm:ss, e.g. 00:05:00 or 3.00:00:00)"],
            Problems(new() { ["Email:RetryMaxDelay"] = "an hour" }));
    }

    [Fact]
    public void A_value_the_binder_cannot_read_is_reported_with_the_other_sections_problems()
    {
        var problems = Problems(new() { ["Email:MaxAttempts"] = "0", ["Api:RateLimit:Window"] = "a minute", ["Registration:CodeLifetime"] = "00:00:10" });

        Assert.Equal(
            [
                "Configuration error: Api:RateLimit:Window: cannot be read as a TimeSpan (write d.hh:mm:ss, e.g. 00:05:00 or 3.00:00:00)",
                "Configuration error: Email:MaxAttempts: The field MaxAttempts must be between 1 and 100.",
                "Configuration error: Registration:CodeLifetime: The field CodeLifetime must be between 00:05:00 and 90.00:00:00.",
            ],
            problems.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_request_poll_interval_outside_a_tenth_of_a_second_to_an_hour_names_registration_request_poll_interval()
    {
        Assert.Equal(
            ["Configuration error: Registration:RequestPollInterval: The field RequestPollInterval must be between 00:00:00.1000000 and 01:00:00."],
            Problems(new() { ["Registration:RequestPollInterval"] = "00:00:00.050" }));
        Assert.Equal(
            ["Configuration error: Registration:RequestPollInterval: The field RequestPollInterval must be between 00:00:00.1000000 and 01:00:00."],
            Problems(new() { ["Registration:RequestPollInterval"] = "01:00:01" }));
        Assert.Empty(Problems(new() { ["Registration:RequestPollInterval"] = "00:00:00.100" }));
        Assert.Empty(Problems(new() { ["Registration:RequestPollInterval"] = "01:00:00" }));
    }

    [Fact]
    public void The_defaults_pass()
    {
        Assert.Empty(Problems([]));
    }

    private static List<string> Problems(Dictionary<string, string?> settings)
    {
        var configuration = Configuration(settings);
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(configuration)
            .AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = Environments.Development });
        services.AddCheckedOptions<ApiOptions>(ApiOptions.Section);
        services.AddCheckedOptions<EmailOptions>(EmailOptions.Section);
        services.AddCheckedOptions<RegistrationOptions>(RegistrationOptions.Section);
        services.AddCheckedOptions<ServiceAccountOptions>(ServiceAccountOptions.Section);
        using var provider = services.BuildServiceProvider();
        try
        {
            ConfigurationCheck.Validate(provider);
            return [];
        }
        catch (ConfigurationException ex)
        {
            return [.. ex.Message.Split(Environment.NewLine)];
        }
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
