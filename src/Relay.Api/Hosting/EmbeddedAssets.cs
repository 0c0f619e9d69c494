using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Relay.Api.Hosting;

/// <summary>A page's file: its public path, its embedded resource name, its content type, and whether other origins may load it.</summary>
internal readonly record struct EmbeddedRoute(string Path, string Resource, string ContentType, bool CrossOrigin = false);

/// <summary>
/// The server's own pages (the playground, the monitor): files embedded in this assembly, read and hashed once and
/// served from memory, so they work whatever the content root.
/// </summary>
/// <remarks>
/// Every answer carries <c>Cache-Control: no-cache</c> with a strong ETag (<c>If-None-Match</c> gives 304),
/// <c>X-Content-Type-Options: nosniff</c>, <c>Referrer-Policy: no-referrer</c>, <c>X-Frame-Options: DENY</c>,
/// <c>Cross-Origin-Opener-Policy: same-origin</c> and a Content-Security-Policy that allows only this server's own
/// scripts, styles, images and connections. GET and HEAD only; none of these paths takes an API key.
/// </remarks>
internal static class EmbeddedAssets
{
    private static readonly string[] Methods = [HttpMethods.Get, HttpMethods.Head];

    /// <summary>
    /// Maps <paramref name="routes"/>; with <paramref name="webSockets"/> the policy's <c>connect-src</c> also names the
    /// page's own host for <c>ws:</c> and <c>wss:</c> (a page that opens a WebSocket), else it is <c>'self'</c> only.
    /// </summary>
    public static IEndpointRouteBuilder MapEmbeddedAssets(this IEndpointRouteBuilder endpoints, IEnumerable<EmbeddedRoute> routes, bool webSockets)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(routes);
        foreach (var route in routes)
        {
            var asset = new EmbeddedAsset(ReadResource(route.Resource), route.ContentType, route.CrossOrigin, webSockets);
            endpoints.MapMethods(route.Path, Methods, asset.ServeAsync).ExcludeFromDescription();
        }

        return endpoints;
    }

    private static byte[] ReadResource(string resource)
    {
        var assembly = typeof(EmbeddedAssets).Assembly;
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The page asset '{resource}' is not embedded in {assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private sealed class EmbeddedAsset(byte[] content, string contentType, bool crossOrigin, bool webSockets)
    {
        private readonly string _etag = "\"" + Base64Url.EncodeToString(SHA256.HashData(content).AsSpan(0, 16)) + "\"";

        public Task ServeAsync(HttpContext context)
        {
            var response = context.Response;
            var headers = response.Headers;
            headers.CacheControl = "no-cache";
            headers.ETag = _etag;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.ContentSecurityPolicy = ContentSecurityPolicy(context.Request);
            headers.XFrameOptions = "DENY";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            if (crossOrigin)
            {
                // A public, credential-free file; the REST API and the WebSocket keep their own rules.
                headers.AccessControlAllowOrigin = "*";
            }

            if (NotModified(context.Request.Headers.IfNoneMatch))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return Task.CompletedTask;
            }

            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = contentType;
            response.ContentLength = content.Length;
            return HttpMethods.IsHead(context.Request.Method)
                ? Task.CompletedTask
                : response.Body.WriteAsync(content, context.RequestAborted).AsTask();
        }

        private bool NotModified(StringValues ifNoneMatch)
        {
            if (StringValues.IsNullOrEmpty(ifNoneMatch)
                || !EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
            {
                return false;
            }

            foreach (var tag in tags)
            {
                // If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/"x" matches "x".
                if (tag.Equals(EntityTagHeaderValue.Any) || StringSegment.Equals(tag.Tag, _etag, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Only this server's own resources; for a page that opens a WebSocket, `connect-src` names the page's own host
        /// for ws: and wss:, because older browsers do not let 'self' cover WebSocket schemes.
        /// </summary>
        private string ContentSecurityPolicy(HttpRequest request)
        {
            var host = webSockets && request.Host.HasValue && IsPlainHost(request.Host.Value) ? request.Host.Value : null;
            var sockets = host is null ? string.Empty : $" ws://{host} wss://{host}";
            return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                + $"connect-src 'self'{sockets}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        }

        /// <summary>A host (and port) made only of characters that cannot change the policy's meaning.</summary>
        private static bool IsPlainHost(string host)
        {
            foreach (var c in host)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']'))
                {
                    return false;
                }
            }

            return host.Length is > 0 and <= 255;
        }
    }
}
