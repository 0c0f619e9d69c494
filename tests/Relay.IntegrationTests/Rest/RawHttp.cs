using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Relay.IntegrationTests.Rest;

/// <summary>Reads an HTTP/1.1 response received on a raw socket, for tests that cannot send their request with HttpClient.</summary>
internal static class RawHttp
{
    /// <summary>
    /// The response in <paramref name="bytes"/> (status line, headers, and a body framed by `Content-Length`,
    /// `Transfer-Encoding: chunked`, or the end of the connection) as an <see cref="HttpResponseMessage"/>.
    /// </summary>
    public static HttpResponseMessage ParseResponse(byte[] bytes)
    {
        var end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        Assert.True(end > 0, $"no complete response head in {bytes.Length} bytes: {Encoding.ASCII.GetString(bytes)}");
        var lines = Encoding.ASCII.GetString(bytes, 0, end).Split("\r\n");
        var status = lines[0].Split(' ', 3);
        Assert.True(status.Length >= 2 && status[0] == "HTTP/1.1", $"not an HTTP/1.1 status line: {lines[0]}");
        var headers = lines.Skip(1)
            .Select(line => line.Split(':', 2))
            .ToLookup(pair => pair[0].Trim(), pair => pair[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var rest = bytes.AsSpan(end + 4);
        byte[] body;
        if (headers["Transfer-Encoding"].Any(v => v.Equals("chunked", StringComparison.OrdinalIgnoreCase)))
        {
            body = Dechunk(rest);
        }
        else if (headers["Content-Length"].FirstOrDefault() is { } length)
        {
            body = rest[..int.Parse(length, CultureInfo.InvariantCulture)].ToArray();
        }
        else
        {
            body = rest.ToArray();
        }

        var response = new HttpResponseMessage((HttpStatusCode)int.Parse(status[1], CultureInfo.InvariantCulture))
        {
            Content = new ByteArrayContent(body),
        };
        if (headers["Content-Type"].FirstOrDefault() is { } contentType)
        {
            response.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return response;
    }

    private static byte[] Dechunk(ReadOnlySpan<byte> chunked)
    {
        var body = new List<byte>();
        while (true)
        {
            var line = chunked.IndexOf("\r\n"u8);
            Assert.True(line > 0, "a chunk size line was cut off");
            var size = int.Parse(Encoding.ASCII.GetString(chunked[..line]).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return [.. body];
            }

            body.AddRange(chunked.Slice(line + 2, size));
            chunked = chunked[(line + 2 + size + 2)..];
        }
    }
}
