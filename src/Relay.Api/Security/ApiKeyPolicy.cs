using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Relay.Api.Configuration;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Relay.Api.Security;

/// <summary>
/// REST authentication: `X-Api-Key: key` or `Authorization: Bearer key` against `Relay:ApiKeys`, compared in
/// constant time against hashes of the keys. Without keys the API is open in Development, and the server
/// refuses to start elsewhere unless `Relay:AllowAnonymousApi` is true.
/// </summary>
internal sealed partial class ApiKeyPolicy
{
    public const string HeaderName = "X-Api-Key";

    /// <summary>The path under which every request needs a key: the whole REST API, before its body is read.</summary>
    public const string ProtectedPrefix = "/v1/api";
    private const string SchemeName = "ApiKey";

    private readonly byte[][] _keyDigests;
    private readonly ILogger<ApiKeyPolicy> _logger;
    private readonly bool _anonymousAllowed;

    public ApiKeyPolicy(IOptions<ApiOptions> options, ILogger<ApiKeyPolicy> logger)
    {
        var relay = options.Value;
        _logger = logger;
        _keyDigests = [.. relay.ApiKeys.Where(k => !string.IsNullOrEmpty(k)).Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];
        _anonymousAllowed = relay.AllowAnonymousApi;
    }

    public bool IsOpen => _keyDigests.Length == 0;

    public bool IsAuthorized(HttpContext context)
    {
        if (IsOpen)
        {
            return true;
        }

        var presented = PresentedKey(context.Request);
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var match = false;
        foreach (var key in _keyDigests)
        {
            match |= CryptographicOperations.FixedTimeEquals(key, digest);
        }

        return match;
    }

    public void LogStartupMode()
    {
        if (IsOpen)
        {
            if (_anonymousAllowed)
            {
                LogAnonymousAllowed(_logger);
            }
            else
            {
                LogOpenInDevelopment(_logger);
            }
        }
        else
        {
            LogKeysConfigured(_logger, _keyDigests.Length);
        }
    }

    /// <summary>
    /// Middleware answering 401 to a REST request without a valid key, before routing reads its body, so an
    /// anonymous caller learns nothing from validation errors.
    /// </summary>
    public async Task EnforceAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments(ProtectedPrefix) || IsAuthorized(context))
        {
            await next(context);
            return;
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        await TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Unauthorized",
            detail: $"Send one of the server's API keys in {HeaderName} or Authorization: Bearer.").ExecuteAsync(context);
    }

    /// <summary>The `ApiKey` scheme (Swagger UI's Authorize button), required by the REST operations.</summary>
    public static void AddToSwagger(SwaggerGenOptions options)
    {
        options.AddSecurityDefinition(SchemeName, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = HeaderName,
            Description = "One of the server's Relay:ApiKeys (also accepted as `Authorization: Bearer <key>`).",
        });
        options.OperationFilter<RequirementFilter>();
    }

    private static string? PresentedKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue(HeaderName, out var key) && !string.IsNullOrEmpty(key))
        {
            return key.ToString();
        }

        var authorization = request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        return authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) ? authorization[Bearer.Length..].Trim() : null;
    }

    /// <summary>The key padlock on the operations under <see cref="ProtectedPrefix"/> only: health, readiness and metrics take no key.</summary>
    private sealed class RequirementFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            if (PathString.FromUriComponent("/" + context.ApiDescription.RelativePath).StartsWithSegments(ProtectedPrefix))
            {
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] }];
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No Relay:ApiKeys configured: the REST API is open to anyone (Development only).")]
    private static partial void LogOpenInDevelopment(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No Relay:ApiKeys configured and Relay:AllowAnonymousApi is true: the REST API is open to anyone.")]
    private static partial void LogAnonymousAllowed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "REST API requires one of {Count} API keys.")]
    private static partial void LogKeysConfigured(ILogger logger, int count);
}
