using System.Text;
using System.Text.Json.Nodes;

namespace EgressTls.Webhook.Tests.Robustness;

/// <summary>
/// One line of <c>tests/corpus/admission/*.jsonl</c>: a raw body (<c>body</c> text, <c>bodyBase64</c> bytes, or a
/// <c>generate</c> recipe for inputs too large to check in), or pod <c>annotations</c>, with the expected outcome.
/// </summary>
internal sealed record CorpusCase(string Category, string Name, JsonObject Line)
{
    public const long BodyLimit = 3 * 1024 * 1024;

    public JsonObject Expect => Line["expect"]!.AsObject();

    public JsonObject? Annotations => Line["annotations"]?.AsObject();

    public int? ExpectedStatus => Expect["status"]?.GetValue<int>();

    public bool ExpectedAllowed => Expect["allowed"]?.GetValue<bool>() ?? false;

    public override string ToString() => $"{Category}/{Name}";

    public static string Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "corpus", "admission");
                if (System.IO.Directory.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new DirectoryNotFoundException("tests/corpus/admission not found above " + AppContext.BaseDirectory);
        }
    }

    public static IReadOnlyList<CorpusCase> Load() =>
        [.. System.IO.Directory.GetFiles(Directory, "*.jsonl").Order(StringComparer.Ordinal).SelectMany(file =>
            File.ReadLines(file).Where(l => l.Length > 0).Select(l =>
            {
                var line = JsonNode.Parse(l)!.AsObject();
                return new CorpusCase(Path.GetFileNameWithoutExtension(file), line["name"]!.GetValue<string>(), line);
            }))];

    /// <summary>The pod this case is about (annotation cases), as the API server would send it.</summary>
    public JsonObject Pod()
    {
        var metadata = new JsonObject
        {
            ["name"] = "web",
            ["namespace"] = "team-a",
            ["labels"] = new JsonObject { ["app"] = "web" },
            ["annotations"] = Annotations!.DeepClone(),
        };
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "web", ["image"] = "curlimages/curl:8.7.1" }) },
        };
    }

    /// <summary>The bytes POSTed to /mutate.</summary>
    public byte[] Body(string uid)
    {
        if (Annotations is not null)
        {
            var review = Support.Reviews.Request(uid, "", "v1", "Pod", "pods", "CREATE", "team-a", "web", Pod());
            return Encoding.UTF8.GetBytes(review.ToJsonString());
        }

        if (Line["body"] is { } body)
        {
            return Encoding.UTF8.GetBytes(body.GetValue<string>().Replace("corpus-uid", uid, StringComparison.Ordinal));
        }

        if (Line["bodyBase64"] is { } b64)
        {
            return Convert.FromBase64String(b64.GetValue<string>());
        }

        return Generate(Line["generate"]!.AsObject(), uid);
    }

    private static byte[] Generate(JsonObject recipe, string uid)
    {
        var kind = recipe["kind"]!.GetValue<string>();
        var valid = Support.Reviews.Pod(uid, new JsonObject { ["egress-tls.io/intercept"] = "github.com" }).ToJsonString();
        return kind switch
        {
            "nest-array" => Encoding.UTF8.GetBytes(new string('[', recipe["depth"]!.GetValue<int>()) + new string(']', recipe["depth"]!.GetValue<int>())),
            "nest-in-pod" => Encoding.UTF8.GetBytes(valid.Replace(
                "\"status\":{}",
                "\"status\":" + string.Concat(Enumerable.Repeat("{\"x\":", recipe["depth"]!.GetValue<int>())) + "{}" + new string('}', recipe["depth"]!.GetValue<int>()),
                StringComparison.Ordinal)),
            "huge-label" => Encoding.UTF8.GetBytes(valid.Replace("\"app\":\"web\"", "\"app\":\"" + new string('w', recipe["length"]!.GetValue<int>()) + "\"", StringComparison.Ordinal)),
            "oversize" => Encoding.UTF8.GetBytes(valid.Replace("\"app\":\"web\"", "\"app\":\"" + new string('w', (int)BodyLimit) + "\"", StringComparison.Ordinal)),
            _ => throw new InvalidOperationException("unknown generate kind " + kind),
        };
    }
}
