using System.Globalization;
using System.Text;

namespace EgressTls.LoadBench.Workload;

/// <summary>
/// One request body, serialized once; each request gets a copy with its own uid (and, for a body whose
/// every request is another pod, its own variant) written over the placeholders (same length), so the
/// client spends no time serializing while it measures.
/// </summary>
public sealed class WorkloadBody
{
    private readonly byte[] template;
    private readonly int uidOffset;
    private readonly int[] variantOffsets;

    private WorkloadBody(string name, byte[] template, int uidOffset, int[] variantOffsets, PatchExpectation expectation, MemoExpectation memo)
    {
        Name = name;
        this.template = template;
        this.uidOffset = uidOffset;
        this.variantOffsets = variantOffsets;
        Expectation = expectation;
        Memo = memo;
    }

    /// <summary>Short name used on the command line (<c>--bodies</c>) and in the table.</summary>
    public string Name { get; }

    /// <summary>Bytes on the wire.</summary>
    public int Length => template.Length;

    /// <summary>Whether every request carries a different pod (<see cref="ReviewBodies.VariantPlaceholder"/>).</summary>
    public bool Distinct => variantOffsets.Length > 0;

    /// <summary>What the real server must answer.</summary>
    public PatchExpectation Expectation { get; }

    /// <summary>How serve's admission memo must treat the body's requests once warm.</summary>
    public MemoExpectation Memo { get; }

    /// <summary>A body from a serialized review holding <see cref="ReviewBodies.UidPlaceholder"/> exactly once,
    /// and <see cref="ReviewBodies.VariantPlaceholder"/> any number of times (all get the same value per request).</summary>
    public static WorkloadBody Create(string name, byte[] review, PatchExpectation expectation, MemoExpectation memo)
    {
        var uid = FindAll(review, ReviewBodies.UidPlaceholder);
        if (uid.Length != 1)
        {
            throw new InvalidOperationException($"body {name}: the uid placeholder must occur exactly once");
        }

        return new WorkloadBody(name, review, uid[0], FindAll(review, ReviewBodies.VariantPlaceholder), expectation, memo);
    }

    private static int[] FindAll(byte[] review, string text)
    {
        var placeholder = Encoding.ASCII.GetBytes(text);
        var offsets = new List<int>();
        for (var at = review.AsSpan().IndexOf(placeholder); at >= 0;)
        {
            offsets.Add(at);
            var next = review.AsSpan(at + placeholder.Length).IndexOf(placeholder);
            at = next < 0 ? -1 : at + placeholder.Length + next;
        }

        return [.. offsets];
    }

    /// <summary>The uid of request number <paramref name="sequence"/>: a well-formed UUID, unique within a run.</summary>
    public static string Uid(long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"00000000-0000-4000-8000-{sequence:x12}");

    /// <summary>A fresh copy of the body carrying <paramref name="uid"/> (36 ASCII characters) and, for a
    /// <see cref="Distinct"/> body, a variant of its own made of <paramref name="sequence"/> at every placeholder.</summary>
    public byte[] WithUid(string uid, long sequence = 0)
    {
        var copy = template.ToArray();
        Encoding.ASCII.GetBytes(uid, copy.AsSpan(uidOffset, ReviewBodies.UidPlaceholder.Length));
        if (variantOffsets.Length > 0)
        {
            var variant = Encoding.ASCII.GetBytes(Variant(sequence));
            foreach (var offset in variantOffsets)
            {
                variant.CopyTo(copy.AsSpan(offset, ReviewBodies.VariantPlaceholder.Length));
            }
        }

        return copy;
    }

    /// <summary>The variant of request number <paramref name="sequence"/> (as long as <see cref="ReviewBodies.VariantPlaceholder"/>).</summary>
    public static string Variant(long sequence) => string.Create(CultureInfo.InvariantCulture, $"variant-{sequence:x12}");
}
