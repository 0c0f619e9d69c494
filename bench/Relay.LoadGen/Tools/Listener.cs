using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Relay.LoadGen.Tools;

/// <summary>A loopback listener for the bench tools: accepts on a thread of its own and hands each socket on.</summary>
internal sealed class Listener : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Action<Socket> _accepted;

    /// <param name="port">The port on 127.0.0.1 (0: any free port, see <see cref="Port"/>).</param>
    /// <param name="accepted">Runs on the accept thread for each connection: keep it short, or start a thread.</param>
    public Listener(int port, Action<Socket> accepted)
    {
        _accepted = accepted;
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        _socket.Listen(4096);
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        new Thread(AcceptLoop) { IsBackground = true, Name = "accept" }.Start();
    }

    public int Port { get; }

    /// <summary>Blocks until Ctrl-C or SIGTERM (how bench/run.sh stops its servers).</summary>
    public static void WaitForStop()
    {
        using var stop = new ManualResetEventSlim();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Set();
        };
        Console.CancelKeyPress += onCancel;
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Set();
        });
        stop.Wait();
        Console.CancelKeyPress -= onCancel;
    }

    public void Dispose() => _socket.Dispose();

    private void AcceptLoop()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = _socket.Accept();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            client.NoDelay = true;
            _accepted(client);
        }
    }
}
