using System.Buffers.Binary;

namespace EgressTls.LoadBench.Wire;

/// <summary>A TCP segment seen in a capture: when, between which ports, and how many payload bytes it carried
/// (from the IP and TCP headers, so a capture cut at a short snapshot length still counts the whole payload).</summary>
public readonly record struct TcpSegment(long TimestampNanoseconds, int SourcePort, int DestinationPort, int PayloadLength);

/// <summary>
/// Reads the classic pcap file format (what <c>tcpdump -w</c> writes): microsecond or nanosecond
/// timestamps, either byte order; link types Ethernet (Linux loopback), BSD loopback, Linux cooked v1 and v2;
/// IPv4 and IPv6 carrying TCP. Other packets are skipped.
/// </summary>
public static class Pcap
{
    private const int GlobalHeaderLength = 24;
    private const int RecordHeaderLength = 16;

    /// <summary>The TCP segments of a capture, in file order.</summary>
    /// <exception cref="FormatException">Not a pcap file, or a record runs past the end (a capture cut short).</exception>
    public static List<TcpSegment> ReadTcp(ReadOnlySpan<byte> file)
    {
        if (file.Length < GlobalHeaderLength)
        {
            throw new FormatException($"a pcap file starts with a {GlobalHeaderLength}-byte header; this one has {file.Length} bytes");
        }

        var (bigEndian, nanoseconds) = BinaryPrimitives.ReadUInt32LittleEndian(file) switch
        {
            0xa1b2c3d4 => (false, false),
            0xa1b23c4d => (false, true),
            0xd4c3b2a1 => (true, false),
            0x4d3cb2a1 => (true, true),
            var magic => throw new FormatException($"not a pcap file (magic 0x{magic:x8}; expected 0xa1b2c3d4 or 0xa1b23c4d)"),
        };
        uint U32(ReadOnlySpan<byte> s) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

        var linkType = U32(file[20..]) & 0x0fff_ffff;
        var segments = new List<TcpSegment>();
        var at = GlobalHeaderLength;
        while (at < file.Length)
        {
            if (file.Length - at < RecordHeaderLength)
            {
                throw new FormatException($"record header at byte {at} is cut short");
            }

            var record = file[at..];
            var seconds = U32(record);
            var fraction = U32(record[4..]);
            var captured = U32(record[8..]);
            if (captured > file.Length - at - RecordHeaderLength)
            {
                throw new FormatException($"record at byte {at} claims {captured} bytes; the file ends before");
            }

            var timestamp = (seconds * 1_000_000_000L) + (nanoseconds ? fraction : fraction * 1_000L);
            if (Tcp(linkType, record.Slice(RecordHeaderLength, (int)captured)) is { } ports)
            {
                segments.Add(new TcpSegment(timestamp, ports.Source, ports.Destination, ports.Payload));
            }

            at += RecordHeaderLength + (int)captured;
        }

        return segments;
    }

    private static (int Source, int Destination, int Payload)? Tcp(uint linkType, ReadOnlySpan<byte> frame)
    {
        int etherType;
        ReadOnlySpan<byte> ip;
        switch (linkType)
        {
            case 1 when frame.Length >= 14: // Ethernet
                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
                ip = frame[14..];
                break;
            case 0 when frame.Length >= 4: // BSD loopback: address family in host order
                var family = BinaryPrimitives.ReadUInt32LittleEndian(frame) is var f && f > 0xffff ? BinaryPrimitives.ReadUInt32BigEndian(frame) : BinaryPrimitives.ReadUInt32LittleEndian(frame);
                etherType = family == 2 ? 0x0800 : family is 10 or 24 or 28 or 30 ? 0x86dd : 0;
                ip = frame[4..];
                break;
            case 113 when frame.Length >= 16: // Linux cooked v1
                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[14..]);
                ip = frame[16..];
                break;
            case 276 when frame.Length >= 20: // Linux cooked v2
                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame);
                ip = frame[20..];
                break;
            default:
                return null;
        }

        int ipHeader, ipPayload;
        if (etherType == 0x0800 && ip.Length >= 20 && ip[0] >> 4 == 4 && ip[9] == 6)
        {
            ipHeader = (ip[0] & 0x0f) * 4;
            ipPayload = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]) - ipHeader;
        }
        else if (etherType == 0x86dd && ip.Length >= 40 && ip[0] >> 4 == 6 && ip[6] == 6)
        {
            ipHeader = 40;
            ipPayload = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        }
        else
        {
            return null;
        }

        if (ip.Length < ipHeader + 13)
        {
            return null;
        }

        var tcp = ip[ipHeader..];
        var tcpHeader = (tcp[12] >> 4) * 4;
        return (BinaryPrimitives.ReadUInt16BigEndian(tcp), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]), Math.Max(0, ipPayload - tcpHeader));
    }
}
