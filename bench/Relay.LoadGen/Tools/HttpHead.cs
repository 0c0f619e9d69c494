using System.Net.Sockets;
using System.Text;

namespace Relay.LoadGen.Tools;

/// <summary>An HTTP/1.1 request head read by hand (the bench tools' tiny servers), plus the bytes read after it.</summary>
internal sealed record HttpHead(string Method, string Path, Dictionary<string, string> Headers, byte[] Buffer, int BodyStart, int Count)
{
    /// <summary>Reads up to the blank line with blocking receives; null when the peer closed first.</summary>
    public static HttpHead? Read(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var buffer = new byte[8192];
        var count = 0;
        int end;
        while ((end = buffer.AsSpan(0, count).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (count == buffer.Length)
            {
                return null;
            }

            var n = socket.Receive(buffer.AsSpan(count));
            if (n == 0)
            {
                return null;
            }

            count += n;
        }

        var lines = Encoding.ASCII.GetString(buffer, 0, end).Split("\r\n");
        var start = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        return new HttpHead(start[0], start.Length > 1 ? start[1].Split('?')[0] : "/", headers, buffer, end + 4, count);
    }

    /// <summary>The request body (Content-Length bytes), reading the rest of it with blocking receives.</summary>
    public byte[] ReadBody(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var length = Headers.TryGetValue("Content-Length", out var l) && int.TryParse(l, out var n) ? Math.Min(n, 1 << 20) : 0;
        var body = new byte[length];
        var have = Math.Min(length, Count - BodyStart);
        Buffer.AsSpan(BodyStart, have).CopyTo(body);
        while (have < length)
        {
            var read = socket.Receive(body.AsSpan(have));
            if (read == 0)
            {
                break;
            }

            have += read;
        }

        return body;
    }

    /// <summary>Writes a whole response and leaves the connection to be closed.</summary>
    public static void Respond(Socket socket, string status, string contentType, string body)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var bytes = Encoding.UTF8.GetBytes(body);
        socket.Send(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
        socket.Send(bytes);
    }
}
