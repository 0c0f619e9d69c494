using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Relay.LoadGen.Measurement;
using Relay.LoadGen.Raw;

namespace Relay.LoadGen.Tools;

/// <summary>
/// `Relay.LoadGen writeloop` and `Relay.LoadGen drain`: the limit of "one socket write per recipient batch" on
/// this machine. The write loop connects N loopback sockets to a drain (run it pinned to the other core),
/// pre-encodes a batch of K relayed-message frames (what Relay writes to one recipient in one go), then for a
/// few seconds per K writes that batch to each socket in turn with one non-blocking send, as fast as one
/// thread can, and reports writes/s, frames/s and bytes/s with its own CPU. The drain reads everything with
/// 256 KiB reads from one epoll thread and throws it away.
/// </summary>
internal static class WriteLoop
{
    public static int RunDrain(Dictionary<string, string> options)
    {
        var port = int.Parse(options.GetValueOrDefault("port", "5998"), CultureInfo.InvariantCulture);
        using var loop = new SocketLoop("drain-loop", bufferBytes: 256 * 1024);
        using var listener = new Listener(port, socket =>
        {
            socket.Blocking = false;
            loop.Add(new DrainConnection(socket));
        });
        Console.WriteLine($"drain: listening on 127.0.0.1:{listener.Port}; Ctrl-C or SIGTERM stops it");
        Listener.WaitForStop();
        var (reads, _, bytes) = loop.Counters;
        Console.WriteLine($"drain: {bytes:N0} bytes in {reads:N0} reads");
        return 0;
    }

    public static int Run(Dictionary<string, string> options)
    {
        static int I(string s) => int.Parse(s, CultureInfo.InvariantCulture);
        var port = I(options.GetValueOrDefault("port", "5998"));
        var sockets = I(options.GetValueOrDefault("sockets", "1000"));
        var payloadBytes = I(options.GetValueOrDefault("payload", "64"));
        var batches = options.GetValueOrDefault("batches", "1,2,4,8,16,32").Split(',').Select(I).ToArray();
        var seconds = double.Parse(options.GetValueOrDefault("seconds", "3"), CultureInfo.InvariantCulture);

        var frame = MessageFrame(payloadBytes);
        var connections = new Socket[sockets];
        for (var i = 0; i < sockets; i++)
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            s.Connect(new IPEndPoint(IPAddress.Loopback, port));
            s.Blocking = false;
            connections[i] = s;
        }

        Console.WriteLine($"writeloop: {sockets} sockets to 127.0.0.1:{port}; frame {frame.Length} bytes ({payloadBytes}-byte text payload in Relay's message envelope); {seconds} s per batch size; load average {LoadAverage()}");
        Console.WriteLine("| frames per write | write bytes | writes/s | frames/s | MB/s | would-block % | writer CPU % | writes per CPU-second | frames per CPU-second |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var k in batches)
        {
            var batch = new byte[frame.Length * k];
            for (var j = 0; j < k; j++)
            {
                frame.CopyTo(batch, j * frame.Length);
            }

            Measure(connections, batch, TimeSpan.FromSeconds(Math.Min(1, seconds / 3))); // warm-up
            var cpu = ProcessSampler.Self();
            cpu.Start();
            var (writes, blocked, bytes, elapsed) = Measure(connections, batch, TimeSpan.FromSeconds(seconds));
            var sample = cpu.StopAsync().GetAwaiter().GetResult();
            var perSecond = writes / elapsed;
            var cpuShare = Math.Max(sample.CpuPercent, 1) / 100;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {k} | {batch.Length:N0} | {perSecond:N0} | {perSecond * k:N0} | {bytes / elapsed / 1e6:N1} | {100.0 * blocked / Math.Max(1, writes + blocked):0.0} | {sample.CpuPercent:0} | {perSecond / cpuShare:N0} | {perSecond * k / cpuShare:N0} |"));
        }

        Console.WriteLine($"writeloop: done; load average {LoadAverage()}");
        foreach (var s in connections)
        {
            s.Dispose();
        }

        return 0;
    }

    /// <summary>Writes <paramref name="batch"/> to each socket in turn for <paramref name="duration"/>; counts completed writes and would-blocks.</summary>
    private static (long Writes, long Blocked, long Bytes, double Seconds) Measure(Socket[] sockets, byte[] batch, TimeSpan duration)
    {
        long writes = 0, blocked = 0, bytes = 0;
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            // Check the clock once per round of sockets, not per write.
            foreach (var s in sockets)
            {
                var sent = s.Send(batch, SocketFlags.None, out var error);
                bytes += Math.Max(0, sent);
                if (error == SocketError.Success && sent == batch.Length)
                {
                    writes++;
                }
                else
                {
                    blocked++; // a partial write counts as blocked: the frames in flight are simply cut, the drain does not care
                }
            }
        }

        return (writes, blocked, bytes, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>The frame Relay sends a recipient for a W1 broadcast: `{"type":"message","from":N,"data":"..."}`, unmasked.</summary>
    private static byte[] MessageFrame(int payloadBytes)
    {
        var payload = Payloads.Create(Math.Max(payloadBytes, Payloads.MinTextSize), binary: false);
        Payloads.Stamp(payload, binary: false, Stopwatch.GetTimestamp(), Payloads.NoTag);
        var json = System.Text.Encoding.UTF8.GetBytes("{\"type\":\"message\",\"from\":123,\"data\":" + System.Text.Encoding.UTF8.GetString(payload) + "}");
        return WsFrame.Encode(WsFrame.Text, json, null);
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private sealed class DrainConnection(Socket socket) : LoopConnection(socket)
    {
        public override void OnReadable(byte[] buffer)
        {
            var n = Socket.Receive(buffer, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return;
            }

            if (error != SocketError.Success || n == 0)
            {
                Loop!.Remove(this);
                Socket.Dispose();
                return;
            }

            Loop!.CountRead(n, 0);
        }

        public override void OnFailed(Exception exception) => Socket.Dispose();
    }
}
