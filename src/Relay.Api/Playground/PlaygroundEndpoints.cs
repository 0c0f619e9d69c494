using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Relay.Api.Playground;

/// <summary>The playground page at <c>/</c> and the browser client at <c>/client/relay.js</c>.</summary>
/// <remarks>
/// The files are embedded in the assembly (<c>Playground/Assets</c>, and the browser client from the npm package's
/// <c>clients/js/relay.js</c>) and served from memory, so they work whatever the content root. Every answer
/// carries <c>Cache-Control: no-cache</c> with a strong ETag (<c>If-None-Match</c> gives 304),
/// <c>X-Content-Type-Options: nosniff</c>, <c>Referrer-Policy: no-referrer</c> and a Content-Security-Policy that
/// allows only this server's own scripts, styles, images and connections (HTTP and WebSocket). GET and HEAD
/// only; none of these paths takes an API key.
/// </remarks>
public static class PlaygroundEndpoints
{
    private const string ResourcePrefix = "RelayPlayground/";

    /// <summary>Public path, embedded file name and content type of every asset, and whether other origins may load it.</summary>
    private static readonly (string Path, string File, string ContentType, bool CrossOrigin)[] Routes =
    [
        ("/", "index.html", "text/html; charset=utf-8", false),
        // The browser client may be imported by pages of other origins (a module script needs CORS).
        ("/client/relay.js", "relay.js", "text/javascript; charset=utf-8", true),
        ("/playground/playground.js", "playground.js", "text/javascript; charset=utf-8", false),
        ("/playground/playground.css", "playground.css", "text/css; charset=utf-8", false),
        ("/playground/favicon.svg", "favicon.svg", "image/svg+xml", false),
    ];

    private static readonly string[] Methods = [HttpMethods.Get, HttpMethods.Head];

    /// <summary>Maps the playground's static files, read (and hashed) once here.</summary>
    public static IEndpointRouteBuilder MapPlayground(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        foreach (var (path, file, contentType, crossOrigin) in Routes)
        {
            var asset = new EmbeddedAsset(ReadResource(file), contentType, crossOrigin);
            endpoints.MapMethods(path, Methods, asset.ServeAsync).ExcludeFromDescription();
        }

        return endpoints;
    }

    private static byte[] ReadResource(string file)
    {
        var assembly = typeof(PlaygroundEndpoints).Assembly;
        using var stream = assembly.GetManifestResourceStream(ResourcePrefix + file)
            ?? throw new InvalidOperationException($"The playground asset '{file}' is not embedded in {assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private sealed class EmbeddedAsset(byte[] content, string contentType, bool crossOrigin)
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
        /// Only this server's own resources; `connect-src` names the page's own host for ws: and wss:, because
        /// older browsers do not let 'self' cover WebSocket schemes.
        /// </summary>
        private static string ContentSecurityPolicy(HttpRequest request)
        {
            var host = request.Host.HasValue && IsPlainHost(request.Host.Value) ? request.Host.Value : null;
            var webSockets = host is null ? string.Empty : $" ws://{host} wss://{host}";
            return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                + $"connect-src 'self'{webSockets}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
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
