namespace EgressTls.LoadBench.Wire;

/// <summary>One request and its answer on a keep-alive HTTP/1.1 connection, as the packets show them.</summary>
/// <param name="RequestFirst">The request's first payload segment reached the interface (ns).</param>
/// <param name="RequestLast">Its last payload segment.</param>
/// <param name="AnswerFirst">The answer's first payload segment.</param>
/// <param name="AnswerLast">The answer's last payload segment.</param>
public readonly record struct WireExchange(long RequestFirst, long RequestLast, long AnswerFirst, long AnswerLast)
{
    /// <summary>The target's time at the wire: from the request's first byte to the answer's last.</summary>
    public long Nanoseconds => AnswerLast - RequestFirst;
}

/// <summary>
/// Pairs requests and answers from the TCP segments of a server port. HTTP/1.1 without pipelining (what the
/// load driver and kube-apiserver send) keeps one request outstanding per connection, so on each connection a
/// run of client-to-server payload segments is a request and the run of server-to-client payload segments
/// after it is its answer. Segments without payload (ACKs) are ignored; TLS records the server sends before the
/// first request (TLS 1.3 session tickets) pair with nothing, and a request with no answer in the capture is dropped.
/// </summary>
public static class WireExchanges
{
    /// <summary>The exchanges with the server listening on <paramref name="serverPort"/>, ordered by request time.</summary>
    public static List<WireExchange> Pair(IEnumerable<TcpSegment> segments, int serverPort)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var exchanges = new List<WireExchange>();
        var connections = segments
            .Where(s => s.PayloadLength > 0 && (s.DestinationPort == serverPort || s.SourcePort == serverPort))
            .GroupBy(s => s.DestinationPort == serverPort ? s.SourcePort : s.DestinationPort);
        foreach (var connection in connections)
        {
            long requestFirst = -1, requestLast = -1, answerFirst = -1, answerLast = -1;
            foreach (var s in connection.OrderBy(s => s.TimestampNanoseconds))
            {
                if (s.DestinationPort == serverPort)
                {
                    if (answerLast >= 0)
                    {
                        exchanges.Add(new WireExchange(requestFirst, requestLast, answerFirst, answerLast));
                        requestFirst = answerFirst = answerLast = -1;
                    }

                    if (requestFirst < 0)
                    {
                        requestFirst = s.TimestampNanoseconds;
                    }

                    requestLast = s.TimestampNanoseconds;
                }
                else if (requestFirst >= 0)
                {
                    if (answerFirst < 0)
                    {
                        answerFirst = s.TimestampNanoseconds;
                    }

                    answerLast = s.TimestampNanoseconds;
                }
            }

            if (answerLast >= 0)
            {
                exchanges.Add(new WireExchange(requestFirst, requestLast, answerFirst, answerLast));
            }
        }

        exchanges.Sort((a, b) => a.RequestFirst.CompareTo(b.RequestFirst));
        return exchanges;
    }
}
