using System.Globalization;
using System.Text;

namespace EgressTls.LoadBench.Workload;

/// <summary>
/// One request body, serialized once; each request gets a copy with its own uid written over the
/// placeholder (same length), so the client spends no time serializing while it measures.
/// </summary>
public sealed class WorkloadBody
{
    private readonly byte[] template;
    private readonly int uidOffset;
    private readonly int variantOffset;

    private WorkloadBody(string name, byte[] template, int uidOffset, int variantOffset, PatchExpectation expectation)
    {
        Name = name;
        this.template = template;
        this.uidOffset = uidOffset;
        this.variantOffset = variantOffset;
        Expectation = expectation;
    }

    /// <summary>Short name used on the command line (<c>--bodies</c>) and in the table.</summary>
    public string Name { get; }

    /// <summary>Bytes on the wire.</summary>
    public int Length => template.Length;

    /// <summary>Whether every request carries a different pod (<see cref="ReviewBodies.VariantPlaceholder"/>).</summary>
    public bool Distinct => variantOffset >= 0;

    /// <summary>What the real server must answer.</summary>
    public PatchExpectation Expectation { get; }

    /// <summary>A body from a serialized review holding <see cref="ReviewBodies.UidPlaceholder"/> exactly once,
    /// and <see cref="ReviewBodies.VariantPlaceholder"/> at most once.</summary>
    public static WorkloadBody Create(string name, byte[] review, PatchExpectation expectation)
    {
        var offset = Find(review, ReviewBodies.UidPlaceholder);
        if (offset < 0)
        {
            throw new InvalidOperationException($"body {name}: the uid placeholder must occur exactly once");
        }

        return new WorkloadBody(name, review, offset, Find(review, ReviewBodies.VariantPlaceholder), expectation);
    }

    private static int Find(byte[] review, string text)
    {
        var placeholder = Encoding.ASCII.GetBytes(text);
        var offset = review.AsSpan().IndexOf(placeholder);
        if (offset >= 0 && review.AsSpan(offset + placeholder.Length).IndexOf(placeholder) >= 0)
        {
            throw new InvalidOperationException($"{text} occurs more than once");
        }

        return offset;
    }

    /// <summary>The uid of request number <paramref name="sequence"/>: a well-formed UUID, unique within a run.</summary>
    public static string Uid(long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"00000000-0000-4000-8000-{sequence:x12}");

    /// <summary>A fresh copy of the body carrying <paramref name="uid"/> (36 ASCII characters) and, for a
    /// <see cref="Distinct"/> body, a pod label value of its own made of <paramref name="sequence"/>.</summary>
    public byte[] WithUid(string uid, long sequence = 0)
    {
        var copy = template.ToArray();
        Encoding.ASCII.GetBytes(uid, copy.AsSpan(uidOffset, ReviewBodies.UidPlaceholder.Length));
        if (variantOffset >= 0)
        {
            Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"variant-{sequence:x12}"),
                copy.AsSpan(variantOffset, ReviewBodies.VariantPlaceholder.Length));
        }

        return copy;
    }
}
