using System.Net;
using System.Net.Sockets;

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
