// A TEST STAND-IN for kube-apiserver. It is NOT a Kubernetes API server: it keeps objects in memory,
// serves a subset of the REST API over real HTTP (so the real KubernetesClient can be exercised), and
// injects faults on demand. Its server-side apply is a simplified model (see ManagedFields).
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EgressTls.Testing;

/// <summary>
/// Test stand-in for kube-apiserver (not a real API server): an in-process Kestrel server on 127.0.0.1
/// speaking the Kubernetes REST API over plain HTTP for the kinds in <see cref="ApiResource.Defaults"/>.
/// Supports get (404 with a Status body), list (labelSelector, fieldSelector metadata.name/namespace),
/// watch (chunked JSON lines, resourceVersion semantics, optional BOOKMARK; after <see cref="Compact"/> a
/// watch from an older version gets what kube-apiserver sends: HTTP 200 and one ERROR event holding a 410
/// Expired Status), create (409 AlreadyExists), update with a resourceVersion precondition (409
/// Conflict), delete (404; 409 when a uid or resourceVersion precondition fails; ownerReference and namespace cascade), server-side apply (field managers,
/// conflicts, force), JSON merge patch and JSON patch, <c>dryRun=All</c>, monotonically increasing
/// resourceVersion, uid, creationTimestamp and generation. <see cref="AddFault"/> injects latency,
/// 429 with Retry-After, 500, 404, 409 and dropped connections; <see cref="RequestLog"/> records every request.
/// </summary>
public sealed class StandInApiServer : IAsyncDisposable
{
    private readonly object gate = new();
    private readonly Dictionary<string, Entry> objects = new(StringComparer.Ordinal);
    private readonly List<HistoryEvent> history = [];
    private readonly List<Watcher> watchers = [];
    private readonly List<FaultState> faults = [];
    private readonly List<RequestLogEntry> log = [];
    private readonly IReadOnlyList<ApiResource> resources;
    private readonly CancellationTokenSource stopping = new();
    private WebApplication? app;
    private long resourceVersion = 100;
    private long compactedBefore;

    private StandInApiServer(IReadOnlyList<ApiResource> resources) => this.resources = resources;

    /// <summary>The base URL (<c>http://127.0.0.1:PORT/</c>) to give KubernetesClientConfiguration.Host.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The current (latest) resourceVersion.</summary>
    public long ResourceVersion => Interlocked.Read(ref resourceVersion);

    /// <summary>Every request so far, in completion order.</summary>
    public IReadOnlyList<RequestLogEntry> RequestLog
    {
        get
        {
            lock (log)
            {
                return [.. log];
            }
        }
    }

    /// <summary>Number of open watch connections.</summary>
    public int OpenWatches
    {
        get
        {
            lock (gate)
            {
                return watchers.Count;
            }
        }
    }

    /// <summary>Starts a stand-in on an ephemeral loopback port.</summary>
    public static async Task<StandInApiServer> StartAsync(IReadOnlyList<ApiResource>? resources = null)
    {
        var server = new StandInApiServer(resources ?? ApiResource.Defaults);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(server.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.app = app;
        server.Url = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Clears the request log.</summary>
    public void ClearLog()
    {
        lock (log)
        {
            log.Clear();
        }
    }

    /// <summary>Injects a fault into the next <see cref="Fault.Times"/> matching requests.</summary>
    public void AddFault(Fault fault)
    {
        lock (faults)
        {
            faults.Add(new FaultState(fault, fault.Times));
        }
    }

    /// <summary>Faults not yet spent.</summary>
    public int PendingFaults
    {
        get
        {
            lock (faults)
            {
                return faults.Sum(f => f.Remaining);
            }
        }
    }

    /// <summary>Stores <paramref name="obj"/> directly (not logged), as if created by <paramref name="manager"/>.</summary>
    public JsonObject Seed(JsonObject obj, string manager = "seed")
    {
        var kind = (string)obj["kind"]!;
        var resource = resources.First(r => r.Kind == kind);
        var ns = resource.Namespaced ? (string?)obj["metadata"]!["namespace"] ?? "default" : null;
        lock (gate)
        {
            var result = Create(resource, ns, obj.DeepClone().AsObject(), manager, dryRun: false, out var status);
            return result ?? throw new InvalidOperationException($"seed failed: {status}");
        }
    }

    /// <summary>The stored object, or null (direct store access, not logged).</summary>
    public JsonObject? Find(string plural, string? @namespace, string name)
    {
        lock (gate)
        {
            return objects.TryGetValue(Key(Resource(plural), @namespace, name), out var e) ? (JsonObject)e.Object.DeepClone() : null;
        }
    }

    /// <summary>All stored objects of a resource (optionally in one namespace), by key order.</summary>
    public IReadOnlyList<JsonObject> All(string plural, string? @namespace = null)
    {
        var resource = Resource(plural);
        lock (gate)
        {
            return objects.Values
                .Where(e => e.Resource == resource && (@namespace is null || e.Namespace == @namespace))
                .OrderBy(e => e.Key, StringComparer.Ordinal)
                .Select(e => (JsonObject)e.Object.DeepClone())
                .ToList();
        }
    }

    /// <summary>The field managers of a stored object and the fields each owns (stand-in granularity).</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Managers(string plural, string? @namespace, string name)
    {
        lock (gate)
        {
            return objects.TryGetValue(Key(Resource(plural), @namespace, name), out var e)
                ? e.Managers.ToDictionary(m => m.Key, m => (IReadOnlySet<string>)new SortedSet<string>(m.Value.Paths), StringComparer.Ordinal)
                : new Dictionary<string, IReadOnlySet<string>>();
        }
    }

    /// <summary>Forgets watch history: watches from an older resourceVersion now get an ERROR event with a 410
    /// Expired Status (in an HTTP 200 stream, as kube-apiserver answers).</summary>
    public void Compact()
    {
        lock (gate)
        {
            compactedBefore = resourceVersion + 1;
            history.Clear();
        }
    }

    /// <summary>Ends every open watch (as an API server restart or an idle timeout would).</summary>
    public void CloseWatches()
    {
        lock (gate)
        {
            foreach (var w in watchers)
            {
                w.Channel.Writer.TryComplete();
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        CloseWatches();
        if (app is not null)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }

        stopping.Dispose();
    }

    private ApiResource Resource(string plural) => resources.First(r => r.Plural == plural);

    private static string Key(ApiResource r, string? ns, string name) => $"{r.Group}/{r.Plural}/{ns}/{name}";

    private async Task HandleAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        var query = request.Query;
        var route = ParseRoute(request.Path.Value ?? "/");
        if (route is null)
        {
            await WriteStatus(ctx, 404, "NotFound", $"the server could not find the requested resource ({request.Path})").ConfigureAwait(false);
            return;
        }

        var (resource, version, ns, name) = route.Value;
        var contentType = request.ContentType ?? "";
        var verb = request.Method switch
        {
            "GET" when name is not null => "get",
            "GET" when IsTrue(query["watch"]) => "watch",
            "GET" => "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" when contentType.StartsWith("application/apply-patch", StringComparison.Ordinal) => "apply",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => "unknown",
        };
        var fieldManager = (string?)query["fieldManager"];
        var dryRun = query["dryRun"].ToString() == "All";
        string body = "";
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            body = await reader.ReadToEndAsync().ConfigureAwait(false);
        }

        if (name is null && verb is "create" or "apply")
        {
            try
            {
                name = (string?)JsonNode.Parse(body)?["metadata"]?["name"];
            }
            catch (JsonException)
            {
            }
        }

        var entryName = name;
        var status = 0;
        try
        {
            var fault = TakeFault(verb, resource.Plural);
            if (fault is not null)
            {
                switch (fault.Kind)
                {
                    case FaultKind.Latency:
                        using (var delay = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping.Token))
                        {
                            await Task.Delay(fault.Delay, delay.Token).ConfigureAwait(false);
                        }

                        break;
                    case FaultKind.DropConnection:
                        ctx.Abort();
                        return;
                    case FaultKind.DropResponse when verb != "watch":
                        ctx.Response.Body = Stream.Null;
                        await ServeAsync(ctx, verb, resource, version, ns, name, body, fieldManager, dryRun).ConfigureAwait(false);
                        ctx.Abort();
                        return;
                    case FaultKind.TooManyRequests:
                        if (fault.RetryAfterSeconds > 0)
                        {
                            ctx.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                        }

                        status = await WriteStatus(ctx, 429, "TooManyRequests", "too many requests (injected)").ConfigureAwait(false);
                        return;
                    case FaultKind.ServerError:
                        status = await WriteStatus(ctx, 500, "InternalError", "an error on the server (injected)").ConfigureAwait(false);
                        return;
                    case FaultKind.Conflict:
                        status = await WriteStatus(ctx, 409, "Conflict", "Operation cannot be fulfilled: the object has been modified (injected)", resource, name).ConfigureAwait(false);
                        return;
                    case FaultKind.NotFound:
                        status = await WriteStatus(ctx, 404, "NotFound", $"{resource.Plural} \"{name}\" not found (injected)", resource, name).ConfigureAwait(false);
                        return;
                }
            }

            if (verb == "watch")
            {
                status = 200;
                status = await WatchAsync(ctx, resource, version, ns).ConfigureAwait(false);
                return;
            }

            try
            {
                status = await ServeAsync(ctx, verb, resource, version, ns, name, body, fieldManager, dryRun).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException && !ctx.Response.HasStarted)
            {
                status = await WriteStatus(ctx, 500, "InternalError", "stand-in failure: " + e.Message, resource, name).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            status = 0;
        }
        finally
        {
            lock (log)
            {
                log.Add(new RequestLogEntry(verb, request.Path.Value ?? "", resource.Plural, ns, entryName, fieldManager, dryRun, status));
            }
        }
    }

    private Fault? TakeFault(string verb, string plural)
    {
        lock (faults)
        {
            foreach (var f in faults)
            {
                if (f.Remaining > 0 && (f.Fault.Verb is null || f.Fault.Verb == verb) && (f.Fault.Resource is null || f.Fault.Resource == plural))
                {
                    f.Remaining--;
                    return f.Fault;
                }
            }
        }

        return null;
    }

    private async Task<int> ServeAsync(HttpContext ctx, string verb, ApiResource resource, string version, string? ns, string? name,
        string body, string? fieldManager, bool dryRun)
    {
        var query = ctx.Request.Query;
        JsonObject? result;
        string? error;
        int code;
        lock (gate)
        {
            switch (verb)
            {
                case "get":
                    if (objects.TryGetValue(Key(resource, ns, name!), out var found))
                    {
                        result = Present(found.Object, resource, version);
                        code = 200;
                        error = null;
                    }
                    else
                    {
                        (result, code, error) = (null, 404, $"{resource.Plural} \"{name}\" not found");
                    }

                    break;
                case "list":
                {
                    var selector = LabelSelector.Parse(query["labelSelector"]);
                    var fields = ParseFieldSelector(query["fieldSelector"]);
                    var items = new JsonArray();
                    foreach (var e in objects.Values.Where(e => e.Resource == resource && (ns is null || e.Namespace == ns))
                                 .Where(e => Matches(e.Object, selector, fields)).OrderBy(e => e.Key, StringComparer.Ordinal))
                    {
                        items.Add(Present(e.Object, resource, version));
                    }

                    result = new JsonObject
                    {
                        ["apiVersion"] = resource.ApiVersion(version),
                        ["kind"] = resource.Kind + "List",
                        ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) },
                        ["items"] = items,
                    };
                    (code, error) = (200, null);
                    break;
                }

                case "create":
                {
                    var obj = ParseObject(body, out error);
                    if (obj is null)
                    {
                        (result, code) = (null, 400);
                        break;
                    }

                    result = Create(resource, ns, obj, fieldManager ?? "unknown", dryRun, out error);
                    code = result is null ? (error!.Contains("already exists", StringComparison.Ordinal) ? 409 : 400) : 201;
                    result = result is null ? null : Present(result, resource, version);
                    break;
                }

                case "update":
                {
                    var obj = ParseObject(body, out error);
                    if (obj is null)
                    {
                        (result, code) = (null, 400);
                        break;
                    }

                    (result, code, error) = Update(resource, ns, name!, obj, fieldManager ?? "unknown", dryRun);
                    result = result is null ? null : Present(result, resource, version);
                    break;
                }

                case "apply":
                    (result, code, error) = Apply(resource, ns, name!, body, fieldManager, IsTrue(query["force"]), dryRun);
                    result = result is null ? null : Present(result, resource, version);
                    break;
                case "patch":
                    (result, code, error) = Patch(resource, ns, name!, body, ctx.Request.ContentType ?? "", fieldManager ?? "unknown", dryRun);
                    result = result is null ? null : Present(result, resource, version);
                    break;
                case "delete":
                    if (name is null)
                    {
                        (result, code, error) = (null, 405, "delete collection is not supported by the stand-in");
                        break;
                    }

                    if (!objects.TryGetValue(Key(resource, ns, name), out var doomed))
                    {
                        (result, code, error) = (null, 404, $"{resource.Plural} \"{name}\" not found");
                        break;
                    }

                    if (FailedPrecondition(body, doomed.Object) is { } failed)
                    {
                        // kube-apiserver: 409 Conflict, "Operation cannot be fulfilled on <resource> "<name>": <why>".
                        (result, code, error) = (null, 409, $"Operation cannot be fulfilled on {resource.Plural} \"{name}\": {failed}");
                        break;
                    }

                    if (!dryRun)
                    {
                        Delete(resource, ns, name);
                    }

                    result = new JsonObject
                    {
                        ["kind"] = "Status",
                        ["apiVersion"] = "v1",
                        ["metadata"] = new JsonObject(),
                        ["status"] = "Success",
                        ["details"] = new JsonObject { ["name"] = name, ["kind"] = resource.Plural },
                    };
                    (code, error) = (200, null);
                    break;
                default:
                    (result, code, error) = (null, 405, $"method {ctx.Request.Method} is not supported by the stand-in");
                    break;
            }
        }

        if (result is null)
        {
            var reason = code switch
            {
                404 => "NotFound",
                409 when error!.Contains("already exists", StringComparison.Ordinal) => "AlreadyExists",
                409 => "Conflict",
                405 => "MethodNotAllowed",
                415 => "UnsupportedMediaType",
                422 => "Invalid",
                _ => "BadRequest",
            };
            return await WriteStatus(ctx, code, reason, error ?? "error", resource, name).ConfigureAwait(false);
        }

        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(result.ToJsonString(), ctx.RequestAborted).ConfigureAwait(false);
        return code;
    }

    private JsonObject? Create(ApiResource resource, string? ns, JsonObject obj, string manager, bool dryRun, out string? error)
    {
        var meta = obj["metadata"] as JsonObject;
        var name = (string?)meta?["name"];
        if (meta is null || string.IsNullOrEmpty(name))
        {
            error = "metadata.name: Required value";
            return null;
        }

        var bodyNs = (string?)meta["namespace"];
        if (resource.Namespaced && bodyNs is not null && ns is not null && bodyNs != ns)
        {
            error = "the namespace of the provided object does not match the namespace sent on the request";
            return null;
        }

        var key = Key(resource, ns, name);
        if (objects.ContainsKey(key))
        {
            error = $"{resource.Plural} \"{name}\" already exists";
            return null;
        }

        error = null;
        var stored = obj.DeepClone().AsObject();
        var m = stored["metadata"]!.AsObject();
        if (resource.Namespaced)
        {
            m["namespace"] = ns;
        }
        else
        {
            m.Remove("namespace");
        }

        m.Remove("managedFields");
        m["uid"] = Guid.NewGuid().ToString();
        m["creationTimestamp"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        m["generation"] = 1L;
        stored["kind"] = resource.Kind;
        var entry = new Entry(key, resource, ns, stored);
        entry.Managers[manager] = new ManagerState("Update", ManagedFields.Paths(stored));
        if (dryRun)
        {
            m["resourceVersion"] = (resourceVersion + 1).ToString(CultureInfo.InvariantCulture);
            return stored;
        }

        Commit(entry, "ADDED");
        objects[key] = entry;
        return stored;
    }

    private (JsonObject? Result, int Code, string? Error) Update(ApiResource resource, string? ns, string name, JsonObject obj, string manager, bool dryRun)
    {
        if (!objects.TryGetValue(Key(resource, ns, name), out var entry))
        {
            return (null, 404, $"{resource.Plural} \"{name}\" not found");
        }

        var rv = (string?)obj["metadata"]?["resourceVersion"];
        if (!string.IsNullOrEmpty(rv) && rv != (string?)entry.Object["metadata"]!["resourceVersion"])
        {
            return (null, 409, $"Operation cannot be fulfilled on {resource.Plural} \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
        }

        var updated = obj.DeepClone().AsObject();
        CarryIdentity(entry.Object, updated);
        var changed = ManagedFields.Paths(updated).Union(ManagedFields.Paths(entry.Object))
            .Where(p => !JsonNode.DeepEquals(ManagedFields.Get(updated, p), ManagedFields.Get(entry.Object, p))).ToList();
        return Replace(entry, updated, manager, "Update", changed, ManagedFields.Paths(updated), dryRun);
    }

    private (JsonObject? Result, int Code, string? Error) Patch(ApiResource resource, string? ns, string name, string body, string contentType, string manager, bool dryRun)
    {
        if (!objects.TryGetValue(Key(resource, ns, name), out var entry))
        {
            return (null, 404, $"{resource.Plural} \"{name}\" not found");
        }

        JsonNode? patch;
        try
        {
            patch = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            return (null, 400, "invalid patch body: " + e.Message);
        }

        JsonObject updated;
        if (contentType.StartsWith("application/json-patch+json", StringComparison.Ordinal))
        {
            updated = entry.Object.DeepClone().AsObject();
            var failure = JsonPatch.Apply(updated, patch as JsonArray);
            if (failure is not null)
            {
                return (null, 422, failure);
            }
        }
        else if (contentType.StartsWith("application/merge-patch+json", StringComparison.Ordinal) ||
                 contentType.StartsWith("application/strategic-merge-patch+json", StringComparison.Ordinal))
        {
            // Strategic merge is treated as JSON merge patch: the stand-in knows no patch strategies.
            updated = (JsonObject)MergePatch(entry.Object.DeepClone(), patch)!;
        }
        else
        {
            return (null, 415, $"the stand-in does not support patch type {contentType}");
        }

        var rv = (string?)(patch as JsonObject)?["metadata"]?["resourceVersion"];
        if (!string.IsNullOrEmpty(rv) && rv != (string?)entry.Object["metadata"]!["resourceVersion"])
        {
            return (null, 409, $"Operation cannot be fulfilled on {resource.Plural} \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
        }

        CarryIdentity(entry.Object, updated);
        var changed = ManagedFields.Paths(updated).Union(ManagedFields.Paths(entry.Object))
            .Where(p => !JsonNode.DeepEquals(ManagedFields.Get(updated, p), ManagedFields.Get(entry.Object, p))).ToList();
        var owned = entry.Managers.TryGetValue(manager, out var s) ? new SortedSet<string>(s.Paths.Union(changed), StringComparer.Ordinal) : new SortedSet<string>(changed, StringComparer.Ordinal);
        return Replace(entry, updated, manager, "Update", changed, owned, dryRun);
    }

    private (JsonObject? Result, int Code, string? Error) Apply(ApiResource resource, string? ns, string name, string body, string? manager, bool force, bool dryRun)
    {
        if (string.IsNullOrEmpty(manager))
        {
            return (null, 400, "PATCH, application/apply-patch+yaml: fieldManager is required");
        }

        var applied = ParseObject(body, out var parseError);
        if (applied is null)
        {
            return (null, 400, parseError + " (the stand-in accepts JSON-flavoured YAML only)");
        }

        if ((string?)applied["metadata"]?["name"] != name)
        {
            return (null, 400, "metadata.name in the body does not match the name in the URL");
        }

        var appliedPaths = ManagedFields.Paths(applied);
        var key = Key(resource, ns, name);
        if (!objects.TryGetValue(key, out var entry))
        {
            var fresh = new JsonObject
            {
                ["apiVersion"] = applied["apiVersion"]?.DeepClone(),
                ["kind"] = resource.Kind,
                ["metadata"] = new JsonObject { ["name"] = name },
            };
            foreach (var p in appliedPaths)
            {
                ManagedFields.Set(fresh, p, ManagedFields.Get(applied, p));
            }

            var created = Create(resource, ns, fresh, manager, dryRun, out var error);
            if (created is null)
            {
                return (null, 400, error);
            }

            if (!dryRun)
            {
                objects[key].Managers[manager] = new ManagerState("Apply", appliedPaths);
            }

            return (created, 201, null);
        }

        var conflicts = new List<string>();
        foreach (var p in appliedPaths)
        {
            foreach (var (other, state) in entry.Managers)
            {
                if (other != manager && state.Paths.Contains(p) && !JsonNode.DeepEquals(ManagedFields.Get(entry.Object, p), ManagedFields.Get(applied, p)))
                {
                    conflicts.Add($"conflict with \"{other}\": .{p.Replace('\u0000', '.')}");
                }
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            return (null, 409, $"Apply failed with {conflicts.Count} conflict{(conflicts.Count == 1 ? "" : "s")}: {string.Join("; ", conflicts)}");
        }

        var updated = entry.Object.DeepClone().AsObject();
        var previous = entry.Managers.TryGetValue(manager, out var prev) ? prev.Paths : [];
        foreach (var p in previous.Except(appliedPaths))
        {
            if (!entry.Managers.Any(m => m.Key != manager && m.Value.Paths.Contains(p)))
            {
                ManagedFields.Remove(updated, p);
            }
        }

        foreach (var p in appliedPaths)
        {
            ManagedFields.Set(updated, p, ManagedFields.Get(applied, p));
        }

        // Forced conflicts move ownership to the applier; equal values are co-owned (as in SSA).
        var taken = appliedPaths.Where(p => !JsonNode.DeepEquals(ManagedFields.Get(entry.Object, p), ManagedFields.Get(applied, p))).ToList();
        return Replace(entry, updated, manager, "Apply", taken, appliedPaths, dryRun);
    }

    private (JsonObject? Result, int Code, string? Error) Replace(Entry entry, JsonObject updated, string manager, string operation,
        IReadOnlyCollection<string> taken, SortedSet<string> owned, bool dryRun)
    {
        var before = entry.Object;
        var specChanged = !JsonNode.DeepEquals(Without(before, "metadata"), Without(updated, "metadata"));
        var anyChanged = specChanged || !JsonNode.DeepEquals(before["metadata"], updated["metadata"]);
        var meta = updated["metadata"]!.AsObject();
        meta["generation"] = long.Parse(before["metadata"]!["generation"]!.ToJsonString(), CultureInfo.InvariantCulture) + (specChanged ? 1 : 0);
        meta["resourceVersion"] = (string?)before["metadata"]!["resourceVersion"];
        if (!anyChanged)
        {
            // A no-op write does not bump resourceVersion (as on the real API server).
            if (!dryRun)
            {
                entry.Managers[manager] = new ManagerState(operation, owned);
            }

            return (updated, 200, null);
        }

        if (dryRun)
        {
            meta["resourceVersion"] = (resourceVersion + 1).ToString(CultureInfo.InvariantCulture);
            return (updated, 200, null);
        }

        foreach (var (other, state) in entry.Managers)
        {
            if (other != manager)
            {
                state.Paths.ExceptWith(taken);
            }
        }

        foreach (var empty in entry.Managers.Where(m => m.Value.Paths.Count == 0 && m.Key != manager).Select(m => m.Key).ToList())
        {
            entry.Managers.Remove(empty);
        }

        entry.Managers[manager] = new ManagerState(operation, owned);
        entry.Object = updated;
        Commit(entry, "MODIFIED");
        return (updated, 200, null);
    }

    private void Delete(ApiResource resource, string? ns, string name)
    {
        var key = Key(resource, ns, name);
        if (!objects.Remove(key, out var entry))
        {
            return;
        }

        Commit(entry, "DELETED");
        var uid = (string?)entry.Object["metadata"]!["uid"];

        // Garbage collection: namespaced dependents in the same namespace, and everything in a deleted namespace.
        var dependents = objects.Values.Where(e =>
                (resource.Kind == "Namespace" && e.Namespace == name) ||
                (e.Namespace == ns && ns is not null && e.Object["metadata"]?["ownerReferences"] is JsonArray owners &&
                 owners.Any(o => (string?)o?["uid"] == uid)))
            .ToList();
        foreach (var d in dependents)
        {
            Delete(d.Resource, d.Namespace, (string)d.Object["metadata"]!["name"]!);
        }
    }

    private void Commit(Entry entry, string type)
    {
        var rv = Interlocked.Increment(ref resourceVersion);
        entry.Object["metadata"]!["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
        var ev = new HistoryEvent(rv, entry.Resource, entry.Namespace, type, (JsonObject)entry.Object.DeepClone());
        history.Add(ev);
        foreach (var w in watchers)
        {
            if (w.Accepts(ev))
            {
                w.Channel.Writer.TryWrite(ev);
            }
        }
    }

    private async Task<int> WatchAsync(HttpContext ctx, ApiResource resource, string version, string? ns)
    {
        var query = ctx.Request.Query;
        var selector = LabelSelector.Parse(query["labelSelector"]);
        var fields = ParseFieldSelector(query["fieldSelector"]);
        var rvText = query["resourceVersion"].ToString();
        var watcher = new Watcher(resource, ns, selector, fields, Channel.CreateUnbounded<HistoryEvent>());
        var initial = new List<HistoryEvent>();
        string? expired = null;
        lock (gate)
        {
            if (rvText.Length > 0 && rvText != "0")
            {
                if (!long.TryParse(rvText, CultureInfo.InvariantCulture, out var since))
                {
                    return WriteStatusSync(ctx, 400, "BadRequest", $"invalid resourceVersion {rvText}");
                }

                if (since < compactedBefore - 1)
                {
                    expired = $"too old resource version: {since} ({compactedBefore})";
                }
                else
                {
                    initial.AddRange(history.Where(h => h.ResourceVersion > since && watcher.Accepts(h)));
                    watchers.Add(watcher);
                }

            }
            else
            {
                initial.AddRange(objects.Values.Where(e => e.Resource == resource && (ns is null || e.Namespace == ns))
                    .OrderBy(e => e.Key, StringComparer.Ordinal)
                    .Select(e => new HistoryEvent(0, resource, e.Namespace, "ADDED", (JsonObject)e.Object.DeepClone()))
                    .Where(watcher.Accepts));
                watchers.Add(watcher);
            }
        }

        if (expired is not null)
        {
            // kube-apiserver answers a watch from a compacted resourceVersion with HTTP 200 and a single ERROR
            // event whose object is a 410 Expired Status, then ends the stream ("410 Gone" in the API concepts).
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/json";
            await WriteEvent(ctx.Response, "ERROR", StatusBody(410, "Expired", expired, null, null), ctx.RequestAborted).ConfigureAwait(false);
            return 200;
        }

        var response = ctx.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        var timeout = int.TryParse(query["timeoutSeconds"], CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(30);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping.Token);
        cts.CancelAfter(timeout);
        try
        {
            await response.StartAsync(cts.Token).ConfigureAwait(false);
            foreach (var ev in initial)
            {
                await WriteEvent(response, ev.Type, Present(ev.Object, resource, version), cts.Token).ConfigureAwait(false);
            }

            if (IsTrue(query["allowWatchBookmarks"]))
            {
                var bookmark = new JsonObject
                {
                    ["apiVersion"] = resource.ApiVersion(version),
                    ["kind"] = resource.Kind,
                    ["metadata"] = new JsonObject { ["resourceVersion"] = ResourceVersion.ToString(CultureInfo.InvariantCulture) },
                };
                await WriteEvent(response, "BOOKMARK", bookmark, cts.Token).ConfigureAwait(false);
            }

            await foreach (var ev in watcher.Channel.Reader.ReadAllAsync(cts.Token).ConfigureAwait(false))
            {
                await WriteEvent(response, ev.Type, Present(ev.Object, resource, version), cts.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            lock (gate)
            {
                watchers.Remove(watcher);
            }
        }

        return 200;
    }

    private static async Task WriteEvent(HttpResponse response, string type, JsonObject obj, CancellationToken ct)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString() + "\n";
        await response.WriteAsync(line, ct).ConfigureAwait(false);
        await response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    private JsonObject Present(JsonObject stored, ApiResource resource, string version)
    {
        lock (gate)
        {
            return PresentLocked(stored, resource, version);
        }
    }

    private JsonObject PresentLocked(JsonObject stored, ApiResource resource, string version)
    {
        var copy = stored.DeepClone().AsObject();
        copy["apiVersion"] = resource.ApiVersion(version);
        var key = Key(resource, (string?)stored["metadata"]?["namespace"], (string?)stored["metadata"]?["name"] ?? "");
        if (objects.TryGetValue(key, out var entry) && copy["metadata"] is JsonObject meta)
        {
            var managed = new JsonArray();
            foreach (var (m, state) in entry.Managers.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                managed.Add(new JsonObject
                {
                    ["manager"] = m,
                    ["operation"] = state.Operation,
                    ["apiVersion"] = resource.ApiVersion(version),
                    ["fieldsType"] = "FieldsV1",
                    ["fieldsV1"] = ManagedFields.ToFieldsV1(state.Paths),
                });
            }

            meta["managedFields"] = managed;
        }

        return copy;
    }

    private static JsonNode? Without(JsonObject obj, string key)
    {
        var copy = obj.DeepClone().AsObject();
        copy.Remove(key);
        return copy;
    }

    private static void CarryIdentity(JsonObject from, JsonObject to)
    {
        var src = from["metadata"]!.AsObject();
        if (to["metadata"] is not JsonObject meta)
        {
            meta = new JsonObject();
            to["metadata"] = meta;
        }

        foreach (var k in new[] { "name", "namespace", "uid", "creationTimestamp", "generation", "resourceVersion" })
        {
            if (src[k] is { } v)
            {
                meta[k] = v.DeepClone();
            }
            else
            {
                meta.Remove(k);
            }
        }

        meta.Remove("managedFields");
        to["kind"] = from["kind"]!.DeepClone();
        to["apiVersion"] ??= from["apiVersion"]?.DeepClone();
    }

    private static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p)
        {
            return patch?.DeepClone();
        }

        var t = target as JsonObject ?? new JsonObject();
        foreach (var (k, v) in p)
        {
            if (v is null)
            {
                t.Remove(k);
            }
            else
            {
                var merged = MergePatch(t[k]?.DeepClone(), v);
                t[k] = merged;
            }
        }

        return t;
    }

    // DeleteOptions.preconditions: uid and resourceVersion must match the stored object.
    private static string? FailedPrecondition(string body, JsonObject stored)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        JsonNode? options;
        try
        {
            options = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }

        if (options?["preconditions"] is not JsonObject preconditions)
        {
            return null;
        }

        var meta = stored["metadata"]!;
        if (preconditions["uid"]?.GetValue<string>() is { } uid && uid != (string?)meta["uid"])
        {
            return $"Precondition failed: UID in precondition: {uid}, UID in object meta: {(string?)meta["uid"]}";
        }

        if (preconditions["resourceVersion"]?.GetValue<string>() is { } rv && rv != (string?)meta["resourceVersion"])
        {
            return $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {(string?)meta["resourceVersion"]}";
        }

        return null;
    }

    private static JsonObject? ParseObject(string body, out string? error)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject o)
            {
                error = null;
                return o;
            }

            error = "the body is not a JSON object";
        }
        catch (JsonException e)
        {
            error = "the body is not valid JSON: " + e.Message;
        }

        return null;
    }

    private static Dictionary<string, string> ParseFieldSelector(string? text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var term in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var idx = term.IndexOf('=', StringComparison.Ordinal);
            if (idx > 0)
            {
                result[term[..idx]] = term[(idx + 1)..].TrimStart('=');
            }
        }

        return result;
    }

    private static bool Matches(JsonObject obj, LabelSelector selector, Dictionary<string, string> fields)
    {
        var meta = obj["metadata"] as JsonObject;
        foreach (var (field, value) in fields)
        {
            var actual = field switch
            {
                "metadata.name" => (string?)meta?["name"],
                "metadata.namespace" => (string?)meta?["namespace"],
                _ => null,
            };
            if (actual != value)
            {
                return false;
            }
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (meta?["labels"] is JsonObject l)
        {
            foreach (var (k, v) in l)
            {
                labels[k] = (string?)v ?? "";
            }
        }

        return selector.Matches(labels);
    }

    private (ApiResource Resource, string Version, string? Namespace, string? Name)? ParseRoute(string path)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        string group;
        string version;
        int rest;
        if (segments.Length >= 2 && segments[0] == "api")
        {
            (group, version, rest) = ("", segments[1], 2);
        }
        else if (segments.Length >= 3 && segments[0] == "apis")
        {
            (group, version, rest) = (segments[1], segments[2], 3);
        }
        else
        {
            return null;
        }

        var tail = segments[rest..];
        ApiResource? Find(string plural) => resources.FirstOrDefault(r => r.Group == group && r.Plural == plural && r.Versions.Contains(version));

        // namespaces/{ns}/{plural}[/{name}] for namespaced resources; {plural}[/{name}] otherwise (and for
        // cross-namespace lists); namespaces[/{name}] is the Namespace resource itself.
        if (tail.Length >= 3 && tail[0] == "namespaces" && Find(tail[2]) is { Namespaced: true } nsRes)
        {
            return tail.Length switch
            {
                3 => (nsRes, version, tail[1], null),
                4 => (nsRes, version, tail[1], tail[3]),
                _ => null, // subresources are not served
            };
        }

        if (tail.Length is 1 or 2 && Find(tail[0]) is { } res)
        {
            return (res, version, null, tail.Length == 2 ? tail[1] : null);
        }

        return null;
    }

    private static bool IsTrue(string? value) => value is "true" or "1";

    private static int WriteStatusSync(HttpContext ctx, int code, string reason, string message)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        _ = ctx.Response.WriteAsync(StatusBody(code, reason, message, null, null).ToJsonString());
        return code;
    }

    private static async Task<int> WriteStatus(HttpContext ctx, int code, string reason, string message, ApiResource? resource = null, string? name = null)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(StatusBody(code, reason, message, resource, name).ToJsonString(), ctx.RequestAborted).ConfigureAwait(false);
        return code;
    }

    private static JsonObject StatusBody(int code, string reason, string message, ApiResource? resource, string? name) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["details"] = new JsonObject { ["name"] = name, ["group"] = resource?.Group, ["kind"] = resource?.Plural },
        ["code"] = code,
    };

    private sealed class Entry(string key, ApiResource resource, string? ns, JsonObject obj)
    {
        public string Key { get; } = key;

        public ApiResource Resource { get; } = resource;

        public string? Namespace { get; } = ns;

        public JsonObject Object { get; set; } = obj;

        public Dictionary<string, ManagerState> Managers { get; } = new(StringComparer.Ordinal);
    }

    private sealed record ManagerState(string Operation, SortedSet<string> Paths);

    private sealed record HistoryEvent(long ResourceVersion, ApiResource Resource, string? Namespace, string Type, JsonObject Object);

    private sealed record Watcher(ApiResource Resource, string? Namespace, LabelSelector Selector, Dictionary<string, string> Fields, Channel<HistoryEvent> Channel)
    {
        public bool Accepts(HistoryEvent ev) =>
            ev.Resource == Resource && (Namespace is null || ev.Namespace == Namespace) && Matches(ev.Object, Selector, Fields);
    }

    private sealed class FaultState(Fault fault, int remaining)
    {
        public Fault Fault { get; } = fault;

        public int Remaining { get; set; } = remaining;
    }
}
