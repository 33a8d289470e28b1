namespace AutoVideo.DR.Recovery.Stores;

/// <summary>
/// A response body read with a time limit on each read: an endpoint that stops sending half-way
/// fails the read instead of hanging the command, and one that drops the connection fails it in
/// one line. <paramref name="failed"/> makes that line from why: a dropped connection's error, or
/// null when the time ran out.
/// </summary>
sealed class ReadTimeoutStream(Stream inner, TimeSpan timeout, Func<IOException?, Exception> failed) : Stream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try { return await inner.ReadAsync(buffer, limit.Token); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { throw failed(null); }
        catch (IOException e) { throw failed(e); }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
