using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Relay.LoadGen.Raw;

/// <summary>
/// A Linux epoll instance (level-triggered), through libc. The raw-socket client and the bench tools use it to
/// wait on many sockets from one thread without .NET's socket engine (whose own epoll thread would wake once
/// per arrival on every socket it has seen an asynchronous operation on).
/// </summary>
internal sealed partial class Epoll : IDisposable
{
    public const uint In = 0x001;
    public const uint Out = 0x004;
    public const uint Err = 0x008;
    public const uint Hup = 0x010;
    public const uint RdHup = 0x2000;

    private const int CtlAdd = 1;
    private const int CtlDel = 2;
    private const int CtlMod = 3;
    private const int EIntr = 4;

    // struct epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16 bytes) elsewhere.
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = EventSize == 12 ? 4 : 8;

    private readonly int _fd;
    private readonly byte[] _events;
    private int _disposed;

    /// <param name="maxEvents">How many ready sockets one <see cref="Wait"/> may return.</param>
    public Epoll(int maxEvents = 256)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the raw-socket client and the bench tools need Linux (epoll)");
        }

        _fd = EpollCreate1(0x80000); // EPOLL_CLOEXEC
        if (_fd < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "epoll_create1");
        }

        MaxEvents = maxEvents;
        _events = new byte[maxEvents * EventSize];
    }

    public int MaxEvents { get; }

    public void Add(SafeHandle socket, ulong token, uint events) => Control(CtlAdd, socket, token, events);

    /// <summary>Adds a descriptor this process owns outright (an eventfd).</summary>
    public void Add(int fd, ulong token, uint events) => Control(CtlAdd, fd, token, events);

    public void Modify(SafeHandle socket, ulong token, uint events) => Control(CtlMod, socket, token, events);

    /// <summary>Removes a socket; false when it was not registered (or is already closed).</summary>
    public bool TryRemove(SafeHandle socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.IsClosed || Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }

        var added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            Span<byte> ev = stackalloc byte[16];
            return EpollCtl(_fd, CtlDel, (int)socket.DangerousGetHandle(), ref MemoryMarshal.GetReference(ev)) == 0;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1: forever); returns how many events <see cref="EventAt"/> may read.</summary>
    public int Wait(int timeoutMs)
    {
        while (true)
        {
            var n = EpollWait(_fd, ref MemoryMarshal.GetArrayDataReference(_events), MaxEvents, timeoutMs);
            if (n >= 0)
            {
                return n;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                throw new Win32Exception(errno, "epoll_wait");
            }
        }
    }

    /// <summary>The <paramref name="index"/>th event of the last <see cref="Wait"/>: its token and event bits.</summary>
    public (ulong Token, uint Events) EventAt(int index)
    {
        var at = index * EventSize;
        return (BitConverter.ToUInt64(_events, at + DataOffset), BitConverter.ToUInt32(_events, at));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _ = Close(_fd);
        }
    }

    private void Control(int op, SafeHandle socket, ulong token, uint events)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            Control(op, (int)socket.DangerousGetHandle(), token, events);
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    private void Control(int op, int fd, ulong token, uint events)
    {
        Span<byte> ev = stackalloc byte[16];
        BitConverter.TryWriteBytes(ev, events);
        BitConverter.TryWriteBytes(ev[DataOffset..], token);
        if (EpollCtl(_fd, op, fd, ref MemoryMarshal.GetReference(ev)) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "epoll_ctl");
        }
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epfd, int op, int fd, ref byte ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epfd, ref byte events, int maxEvents, int timeout);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFdCreate(uint initval, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, ref ulong value, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, ref ulong value, nint count);

    /// <summary>A non-blocking eventfd: another thread's way to wake a <see cref="Wait"/> (register it with <see cref="Add(int, ulong, uint)"/>).</summary>
    public sealed class Wakeup : IDisposable
    {
        private int _disposed;

        public Wakeup()
        {
            Fd = EventFdCreate(0, 0x800 | 0x80000); // EFD_NONBLOCK | EFD_CLOEXEC
            if (Fd < 0)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "eventfd");
            }
        }

        public int Fd { get; }

        /// <summary>Makes the eventfd readable (wakes the loop); cheap to call again before it is reset.</summary>
        public void Set()
        {
            ulong one = 1;
            _ = Write(Fd, ref one, sizeof(ulong));
        }

        /// <summary>Makes it unreadable again (on the loop thread, after waking).</summary>
        public void Reset()
        {
            ulong value = 0;
            _ = Read(Fd, ref value, sizeof(ulong));
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _ = Close(Fd);
            }
        }
    }
}
