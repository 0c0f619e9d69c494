using Microsoft.AspNetCore.Http.Metadata;
using Relay.Api.Configuration;
using Relay.Application.Common.Options;

namespace Relay.Api.Rooms;

/// <summary>
/// The largest request body an endpoint reads, as endpoint metadata: routing hands it to Kestrel
/// (<c>IHttpMaxRequestBodySizeFeature</c>), which refuses a larger declared `Content-Length` before reading
/// any of it and stops a chunked body as soon as it grows past the limit. The endpoint then answers 413 (a
/// problem written by the status code pages, with <see cref="Describe"/>'s detail). The API key is checked
/// before any body is read, so an anonymous caller gets 401 first.
/// </summary>
internal sealed record RequestBodyLimit(long Bytes) : IRequestSizeLimitMetadata
{
    /// <summary>Room for field names, whitespace, the other fields and escapes around the payload.</summary>
    public const int Overhead = 4096;

    long? IRequestSizeLimitMetadata.MaxRequestBodySize => Bytes;

    /// <summary>The detail of the 413 problem.</summary>
    public string Detail => $"The request body is larger than the {Bytes} bytes this endpoint accepts.";

    /// <summary>Create and update: a few times the largest metadata, plus the other fields.</summary>
    public static RequestBodyLimit ForRoom(RelayOptions options) => new((4L * options.MaxMetadataBytes) + Overhead);

    /// <summary>Push: the largest client message, plus the `to` list and the field names.</summary>
    public static RequestBodyLimit ForPush(ApiOptions options) => new((long)options.MaxMessageBytes + Overhead);

    /// <summary>Says in a 413 problem how large a body the endpoint takes.</summary>
    public static void Describe(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Status == StatusCodes.Status413PayloadTooLarge
            && context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<RequestBodyLimit>() is { } limit)
        {
            context.ProblemDetails.Detail = limit.Detail;
        }
    }
}
