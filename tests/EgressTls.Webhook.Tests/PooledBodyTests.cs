using System.Buffers;
using EgressTls.Webhook.Admission;

namespace EgressTls.Webhook.Tests;

/// <summary>
/// The request body's pooled arrays: each is returned exactly once, also when reading fails after the
/// buffer grew (a chunked body over the limit). A second return would hand one array to two requests at
/// once, and one request's JSON would be overwritten by another's.
/// </summary>
public class PooledBodyTests
{
    [Fact]
    public async Task A_read_that_fails_after_the_buffer_grew_returns_every_array_once_and_nothing_to_the_caller()
    {
        var pool = new CountingPool();
        var stream = new FailingStream(bytesBeforeFailure: 10_000);

        var read = () => PooledBody.ReadAsync(stream, pool, initialSize: 1024, CancellationToken.None);

        await read.Should().ThrowAsync<IOException>();
        pool.Rented.Should().BeGreaterThan(1, "the buffer had to grow");
        pool.ReturnedTwice.Should().BeEmpty();
        pool.Outstanding.Should().BeEmpty();
    }

    [Fact]
    public async Task A_whole_body_is_read_and_its_array_returned_once_however_often_it_is_disposed()
    {
        var pool = new CountingPool();
        var content = Enumerable.Range(0, 40_000).Select(i => (byte)i).ToArray();

        var body = await PooledBody.ReadAsync(new MemoryStream(content), pool, initialSize: 1000, CancellationToken.None);

        body.Memory.ToArray().Should().Equal(content);
        pool.Outstanding.Should().HaveCount(1);
        body.Dispose();
        body.Dispose();
        pool.Outstanding.Should().BeEmpty();
        pool.ReturnedTwice.Should().BeEmpty();
    }

    private sealed class CountingPool : ArrayPool<byte>
    {
        private readonly HashSet<byte[]> outstanding = new(ReferenceEqualityComparer.Instance);

        public int Rented { get; private set; }

        public List<byte[]> ReturnedTwice { get; } = [];

        public IReadOnlyCollection<byte[]> Outstanding => outstanding;

        public override byte[] Rent(int minimumLength)
        {
            var array = new byte[minimumLength];
            outstanding.Add(array);
            Rented++;
            return array;
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
            if (!outstanding.Remove(array))
            {
                ReturnedTwice.Add(array);
            }
        }
    }

    private sealed class FailingStream(int bytesBeforeFailure) : Stream
    {
        private int sent;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => sent; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (sent >= bytesBeforeFailure)
            {
                throw new IOException("connection reset");
            }

            var n = Math.Min(count, Math.Min(700, bytesBeforeFailure - sent));
            buffer.AsSpan(offset, n).Fill((byte)'a');
            sent += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
