using System.Buffers;

namespace EgressTls.Webhook.Admission;

/// <summary>
/// A request body read into an array rented from a pool, returned by <see cref="Dispose"/>. Every array
/// rented while reading is returned exactly once: a read that fails (a chunked body over the limit, a
/// reset connection) returns what it holds before throwing, so the caller never holds an array already
/// back in the pool (a second return would hand one array to two requests at once).
/// </summary>
internal sealed class PooledBody : IDisposable
{
    private readonly ArrayPool<byte> pool;
    private byte[]? array;

    private PooledBody(ArrayPool<byte> pool, byte[] array, int length)
    {
        this.pool = pool;
        this.array = array;
        Length = length;
    }

    /// <summary>The bytes read.</summary>
    public int Length { get; }

    /// <summary>The body (valid until <see cref="Dispose"/>).</summary>
    public ReadOnlyMemory<byte> Memory => (array ?? throw new ObjectDisposedException(nameof(PooledBody))).AsMemory(0, Length);

    /// <summary>Reads <paramref name="stream"/> to its end, starting with <paramref name="initialSize"/> bytes
    /// and doubling as needed.</summary>
    public static async Task<PooledBody> ReadAsync(Stream stream, ArrayPool<byte> pool, int initialSize, CancellationToken cancellationToken)
    {
        var buffer = pool.Rent(Math.Max(initialSize, 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = pool.Rent(buffer.Length * 2);
                    buffer.AsSpan().CopyTo(larger);
                    pool.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return new PooledBody(pool, buffer, length);
                }

                length += read;
            }
        }
        catch
        {
            pool.Return(buffer);
            throw;
        }
    }

    /// <summary>Returns the array to the pool (once).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref array, null) is { } rented)
        {
            pool.Return(rented);
        }
    }
}
