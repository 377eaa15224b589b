using System.Buffers.Binary;
using EgressTls.LoadBench.Load;
using EgressTls.LoadBench.Report;
using EgressTls.LoadBench.Wire;

namespace EgressTls.LoadBench.Tests;

/// <summary>Latency at the wire (<c>--wire</c>): reading tcpdump's files, pairing requests with answers, the
/// check that the capture saw every answer, and the columns it adds.</summary>
public class WireTests
{
    private const int Server = 8443;

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Pcap_gives_time_ports_and_payload_length_in_either_byte_order_and_precision(bool bigEndian, bool nanoseconds)
    {
        var file = new PcapBuilder(bigEndian, nanoseconds)
            .Ipv4(1_000_000_123_456_789, 40000, Server, payload: 517)
            .Ipv4(1_000_000_123_556_789, Server, 40000, payload: 0)
            .Build();

        var segments = Pcap.ReadTcp(file);

        var precision = nanoseconds ? 1L : 1000L; // microsecond files lose the nanoseconds
        segments.Should().Equal(
            new TcpSegment(1_000_000_123_456_789 / precision * precision, 40000, Server, 517),
            new TcpSegment(1_000_000_123_556_789 / precision * precision, Server, 40000, 0));
    }

    [Fact]
    public void Pcap_takes_the_payload_length_from_the_headers_when_the_capture_is_cut_at_the_snapshot_length()
    {
        var file = new PcapBuilder(false, true).Ipv4(5_000, 40000, Server, payload: 30_000, snapshot: 128).Build();

        Pcap.ReadTcp(file).Single().PayloadLength.Should().Be(30_000);
    }

    [Fact]
    public void Pcap_reads_ipv6_and_skips_packets_that_are_not_tcp()
    {
        var file = new PcapBuilder(false, true).Ipv6(7_000, 40001, Server, payload: 99).Udp(8_000).Ipv4(9_000, 40000, Server, payload: 1).Build();

        Pcap.ReadTcp(file).Select(s => (s.TimestampNanoseconds, s.SourcePort, s.PayloadLength)).Should().Equal((7_000L, 40001, 99), (9_000L, 40000, 1));
    }

    [Fact]
    public void Pcap_refuses_what_is_not_a_capture_or_is_cut_short()
    {
        ((Action)(() => Pcap.ReadTcp("{\"not\":\"pcap\"}\n\0\0\0\0\0\0\0\0\0\0"u8))).Should().Throw<FormatException>().WithMessage("not a pcap file*");
        var whole = new PcapBuilder(false, true).Ipv4(1, 40000, Server, payload: 10).Build();
        ((Action)(() => Pcap.ReadTcp(whole.AsSpan(0, whole.Length - 3)))).Should().Throw<FormatException>().WithMessage("record at byte 24 *");
    }

    [Fact]
    public void Exchanges_pair_each_request_with_the_answer_after_it_on_its_connection()
    {
        TcpSegment C(long t, int port, int length = 100) => new(t, port, Server, length);
        TcpSegment S(long t, int port, int length = 100) => new(t, Server, port, length);
        var segments = new[]
        {
            S(10, 40000),                         // TLS 1.3 session ticket after the handshake: no request yet
            C(100, 40000), C(110, 40000),        // request in two segments
            C(105, 40001),                        // another connection, interleaved
            S(115, 40000, 0),                     // an ACK: no payload
            S(300, 40000), S(320, 40000),        // its answer in two segments
            S(400, 40001),
            C(1_000, 40000), S(1_250, 40000),    // the next request on the first connection
            C(2_000, 40001),                      // no answer before the capture ended
            new TcpSegment(50, 40002, 9999, 10), // another server
        };

        var exchanges = WireExchanges.Pair(segments, Server);

        exchanges.Should().Equal(
            new WireExchange(100, 110, 300, 320),
            new WireExchange(105, 105, 400, 400),
            new WireExchange(1_000, 1_000, 1_250, 1_250));
        exchanges.Select(e => e.Nanoseconds).Should().Equal(220, 295, 250);
    }

    [Fact]
    public void A_capture_that_lost_no_packet_must_show_one_exchange_per_answer()
    {
        var cell = Cell(ok: 1000, failed: 0);

        BenchCommand.WireProblem(cell with { Wire = Stats(exchanges: 1000, dropped: 0) }).Should().BeNull();
        BenchCommand.WireProblem(cell with { Wire = Stats(exchanges: 985, dropped: 0) }).Should().Contain("985").And.Contain("1000");
        BenchCommand.WireProblem(cell with { Wire = Stats(exchanges: 985, dropped: 40) }).Should().BeNull("the table shows the drops");
        BenchCommand.WireProblem(cell).Should().BeNull("not captured");
    }

    [Fact]
    public void Wire_columns_appear_only_when_captured_and_give_the_median_wire_p99_before_the_memo_column()
    {
        var floor = Cell(1000, 0, "floor") with { Wire = Stats(1000, 0, microseconds: 300) };
        var serve = Cell(1000, 0, "serve") with { Wire = Stats(1000, 0, microseconds: 700) };
        var sat = new[] { Cell(9000, 0, "floor", "sat 8"), Cell(8000, 0, "serve", "sat 8") with { Memo = new(8000, 8000) } };

        var with = Ratios([.. sat, floor, serve]);
        var without = Ratios([.. sat, floor with { Wire = null }, serve with { Wire = null }]);

        with.Should().Contain("flr wire").And.Contain("srv wire");
        var fields = with.Split('\n').Single(l => l.StartsWith("typical", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        fields[^3].Should().Be("0.300");
        fields[^2].Should().Be("0.700");
        without.Should().NotContain("wire");
    }

    private static string Ratios(IReadOnlyList<CellResult> cells)
    {
        var output = new StringWriter();
        TableWriter.WriteRatios(output, cells);
        return output.ToString();
    }

    private static WireStats Stats(long exchanges, long dropped, long microseconds = 200)
    {
        var latency = new LatencyRecorder();
        for (var i = 0; i < exchanges; i++)
        {
            latency.RecordMicroseconds(microseconds);
        }

        return new WireStats(latency, exchanges, dropped);
    }

    private static CellResult Cell(long ok, long failed, string target = "serve", string mode = "rate 1000") =>
        new(target, "typical", mode, ok, failed, 0, TimeSpan.FromSeconds(1), new LatencyRecorder(), null, TimeSpan.Zero, false, [], "load 1.00");

    /// <summary>Writes pcap files as tcpdump does on Linux loopback (Ethernet link type).</summary>
    private sealed class PcapBuilder(bool bigEndian, bool nanoseconds)
    {
        private readonly List<byte> bytes = Header(bigEndian, nanoseconds);

        public PcapBuilder Ipv4(long timestamp, int source, int destination, int payload, int snapshot = 65535)
        {
            var ip = new byte[20 + 32];
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)(20 + 32 + payload));
            ip[9] = 6;
            Tcp(ip.AsSpan(20), source, destination);
            return Frame(timestamp, 0x0800, ip, payload, snapshot);
        }

        public PcapBuilder Ipv6(long timestamp, int source, int destination, int payload)
        {
            var ip = new byte[40 + 32];
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)(32 + payload));
            ip[6] = 6;
            Tcp(ip.AsSpan(40), source, destination);
            return Frame(timestamp, 0x86dd, ip, payload, 65535);
        }

        public PcapBuilder Udp(long timestamp)
        {
            var ip = new byte[28];
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), 28);
            ip[9] = 17;
            return Frame(timestamp, 0x0800, ip, 0, 65535);
        }

        public byte[] Build() => [.. bytes];

        private static void Tcp(Span<byte> tcp, int source, int destination)
        {
            BinaryPrimitives.WriteUInt16BigEndian(tcp, (ushort)source);
            BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], (ushort)destination);
            tcp[12] = 8 << 4; // 32-byte header: timestamps option, as on loopback
        }

        private PcapBuilder Frame(long timestamp, ushort etherType, byte[] ip, int payload, int snapshot)
        {
            var frame = new byte[14 + ip.Length + payload];
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), etherType);
            ip.CopyTo(frame, 14);
            var captured = Math.Min(frame.Length, snapshot);
            U32((uint)(timestamp / 1_000_000_000));
            U32((uint)(nanoseconds ? timestamp % 1_000_000_000 : timestamp % 1_000_000_000 / 1000));
            U32((uint)captured);
            U32((uint)frame.Length);
            bytes.AddRange(frame.AsSpan(0, captured).ToArray());
            return this;
        }

        private void U32(uint value)
        {
            var b = new byte[4];
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(b, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            }

            bytes.AddRange(b);
        }

        private static List<byte> Header(bool bigEndian, bool nanoseconds)
        {
            var header = new byte[24];
            var magic = nanoseconds ? 0xa1b23c4du : 0xa1b2c3d4u;
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(header, magic);
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 2);
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), 4);
                BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), 65535);
                BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(20), 1);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(header, magic);
                BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
                BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 4);
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 65535);
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), 1);
            }

            return [.. header];
        }
    }
}
