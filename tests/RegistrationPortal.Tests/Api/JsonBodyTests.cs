using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.ServiceAccounts;

namespace RegistrationPortal.Tests.Api;

/// <summary>
/// The typed read of an <c>/auth</c> body: what the strict System.Text.Json context refuses, at any depth, and the
/// message that then names the field, as the malformed-request table of the integration tests expects it.
/// </summary>
public sealed class JsonBodyTests
{
    private const string Info = "firstFactorCredential.credentialInfo";

    private static string Register(string first = "", string info = "", string top = "") =>
        "{\"firstFactorCredential\":{\"credentialKind\":\"Key\"" + first + ",\"credentialInfo\":{\"credId\":\"abc\",\"clientData\":\"Y2Q\",\"attestationData\":\"YWQ\"" + info + "}}" + top + "}";

    private static async Task<(JsonBody<T> Body, DfnsErrorResult? Error)> BindAsync<T>(string body)
        where T : class, IJsonRequest<T>
    {
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddSingleton(Options.Create(new ApiOptions())).BuildServiceProvider(),
        };
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = bytes.Length;
        context.Request.Body = new MemoryStream(bytes);
        var bound = (await JsonBody<T>.BindAsync(context))!;
        return (bound, await bound.ReadAsync(context) as DfnsErrorResult);
    }

    private static async Task<string?> RefusalAsync<T>(string body)
        where T : class, IJsonRequest<T>
    {
        var (_, error) = await BindAsync<T>(body);
        return error?.Message;
    }

    [Fact]
    public async Task A_well_formed_register_body_reads_into_the_record_with_its_optional_members_absent()
    {
        var (bound, error) = await BindAsync<RegisterRequest>(Register());
        Assert.Null(error);
        Assert.Equal("abc", bound.Value.FirstFactorCredential.CredentialInfo.CredId);
        Assert.Null(bound.Value.FirstFactorCredential.CredentialInfo.Transports);
        Assert.Null(bound.Value.Name);
        Assert.Equal(Encoding.UTF8.GetBytes(Register()), bound.Bytes.ToArray());
    }

    [Theory]
    [InlineData(",\"credentialKind\":\"Key\"", "", "", "duplicate field: firstFactorCredential.credentialKind")]
    [InlineData("", ",\"credId\":\"abc\"", "", "duplicate field: " + Info + ".credId")]
    [InlineData("", "", ",\"credentialName\":\"a\",\"credentialName\":\"b\"", "duplicate field: credentialName")]
    [InlineData(",\"surprise\":1", "", "", "unknown field: firstFactorCredential.surprise")]
    [InlineData("", ",\"CredId\":\"abc\"", "", "unknown field: " + Info + ".CredId")]
    [InlineData("", "", ",\"FirstFactorCredential\":{}", "unknown field: FirstFactorCredential")]
    [InlineData("", ",\"transports\":\"usb\"", "", Info + ".transports must be an array of strings")]
    [InlineData("", ",\"transports\":[1]", "", Info + ".transports must be an array of strings")]
    [InlineData("", ",\"transports\":[\"usb\",1]", "", Info + ".transports must be an array of strings")]
    [InlineData("", ",\"transports\":[\"usb\"]", ",\"credentialName\":7", "credentialName must be a string")]
    [InlineData(",\"credentialName\":7", "", "", "firstFactorCredential.credentialName must be a string")]
    public async Task Repeated_unknown_and_wrongly_typed_members_are_refused_at_any_depth_naming_the_field(string first, string info, string top, string message) =>
        Assert.Equal(message, await RefusalAsync<RegisterRequest>(Register(first, info, top)));

    [Theory]
    [InlineData("""{"firstFactorCredential":{"credentialKind":"Key"}}""", Info + " is required")]
    [InlineData("""{"firstFactorCredential":{"credentialKind":"Key","credentialInfo":null}}""", Info + " is required")]
    [InlineData("""{"firstFactorCredential":{"credentialKind":"Key","credentialInfo":{"credId":"abc","clientData":null,"attestationData":"YWQ"}}}""", Info + ".clientData is required")]
    [InlineData("""{"firstFactorCredential":{"credentialKind":"Key","credentialInfo":[]}}""", Info + " must be an object")]
    [InlineData("""{"firstFactorCredential":{"credentialKind":"Key","credentialInfo":{"credId":"abc","clientData":"","attestationData":"YWQ"}}}""", Info + ".clientData is required")]
    [InlineData("null", "body must be a JSON object")]
    [InlineData("""{"firstFactorCredential":null}""", "firstFactorCredential is required")]
    public async Task Missing_null_and_empty_required_members_are_refused_naming_the_field(string body, string message) =>
        Assert.Equal(message, await RefusalAsync<RegisterRequest>(body));

    [Theory]
    [InlineData("""{"username":"a@example.com","orgId":"or-abcde-12345-abcdefghij012345","orgId":"or-abcde-12345-abcdefghij012345"}""", "duplicate field: orgId")]
    [InlineData("""{"username":"a@example.com","orgid":"or-abcde-12345-abcdefghij012345"}""", "unknown field: orgid")]
    [InlineData("""{"orgId":"or-abcde-12345-abcdefghij012345"}""", "username is required")]
    public async Task The_resend_body_is_read_as_strictly(string body, string message) =>
        Assert.Equal(message, await RefusalAsync<ResendCodeRequest>(body));

    [Theory]
    [InlineData("""{"email":"a@example.com","kind":"EndUser","email":"b@example.com"}""", "duplicate field: email")]
    [InlineData("""{"email":"a@example.com","kind":"EndUser","isSsoRequired":true}""", "unknown field: isSsoRequired")]
    [InlineData("""{"email":"a@example.com","kind":"0"}""", "kind must be CustomerEmployee or EndUser")]
    [InlineData("""{"challengeIdentifier":"c","firstFactor":{"kind":"Key","credentialAssertion":{"credId":"a","clientData":"b","signature":"c","signature":"d"}}}""", "duplicate field: firstFactor.credentialAssertion.signature")]
    public async Task The_users_api_bodies_are_read_as_strictly(string body, string message)
    {
        var refusal = body.Contains("challengeIdentifier", StringComparison.Ordinal)
            ? await RefusalAsync<UserActionSignRequest>(body)
            : await RefusalAsync<CreateUserRequest>(body);
        Assert.Equal(message, refusal);
    }

    [Fact]
    public async Task The_explanation_runs_only_on_refusal_and_agrees_with_the_typed_read()
    {
        // Every member the record declares is one the explanation knows: a good body is not refused by either.
        var good = """{"email":"a@example.com","kind":"EndUser","externalId":null,"isSSORequired":false,"publicKey":null}""";
        var (bound, error) = await BindAsync<CreateUserRequest>(good);
        Assert.Null(error);
        Assert.Equal(JsonValueKind.False, bound.Value.IsSSORequired!.Value.ValueKind);
    }

    [Fact]
    public async Task A_handler_that_reads_the_body_without_the_filter_fails_loudly_naming_the_filter()
    {
        var unread = (await JsonBody<ResendCodeRequest>.BindAsync(new DefaultHttpContext()))!;
        var failure = Assert.Throws<InvalidOperationException>(() => unread.Value);
        Assert.Equal("The body of this call was not read; DfnsCallFilter must run before the handler.", failure.Message);
    }

    [Fact]
    public async Task A_second_reader_of_the_body_gets_the_same_bytes()
    {
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddSingleton(Options.Create(new ApiOptions())).BuildServiceProvider(),
        };
        var bytes = Encoding.UTF8.GetBytes("""{"username":"a@example.com"}""");
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = bytes.Length;
        context.Request.Body = new MemoryStream(bytes);

        var (first, firstError) = await JsonRequest.ReadBytesAsync(context);
        var (second, secondError) = await JsonRequest.ReadBytesAsync(context);
        Assert.Null(firstError);
        Assert.Null(secondError);
        Assert.Equal(bytes, first.ToArray());
        Assert.Equal(bytes, second.ToArray());
    }
}
