using System.Collections.Immutable;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes;
using Microsoft.Extensions.Logging;

namespace EgressTls.Webhook.Admission;

/// <summary>
/// One admission decision: gather every input (namespace, referenced Secrets), call the core once,
/// then make the generated objects exist (unless dry-run or standalone) within the admission budget.
/// </summary>
internal sealed class AdmissionHandler(
    AdmissionSettings settings,
    Cluster.CurrentRenderOptions renderOptions,
    IAdmissionContextReader reader,
    IDesiredStateApplier applier,
    AdmissionMemo memo,
    ILogger<AdmissionHandler> logger)
{
    /// <summary>Decides <paramref name="request"/>. User mistakes and cluster trouble become denials; only bugs throw.</summary>
    public async Task<AdmissionOutcome> HandleAsync(AdmissionRequestData request, CancellationToken cancellationToken)
    {
        // DELETE and CONNECT carry no object to mutate; answering 400 would block deletions under failurePolicy Fail.
        if (request.Operation is not ("CREATE" or "UPDATE") || !request.HasObject)
        {
            return AdmissionOutcome.Skip("operation-not-mutated");
        }

        if (request.SubResource.Length > 0)
        {
            return AdmissionOutcome.Skip("subresource");
        }

        if (!IsRenderedKind(request))
        {
            return AdmissionOutcome.Skip("unsupported-kind");
        }

        if (request.Namespace.Length == 0)
        {
            return AdmissionOutcome.Skip("cluster-scoped");
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(settings.Budget);

        var options = renderOptions.Value;
        var secretsComplete = !settings.Standalone;
        RenderResult result;
        AdmissionOutcome answer;
        try
        {
            var ns = await reader.GetNamespaceAsync(request.Namespace, budget.Token).ConfigureAwait(false);

            // Pods of one template (a ReplicaSet, StatefulSet or Job) share a decision, rendered once (AdmissionMemo).
            var key = AdmissionMemo.KeyOf(request);
            var remembered = memo.Find(key, options, ns, secretsComplete);
            var prepared = remembered is null ? Renderer.Prepare(request.Object!, ns, options, memo.Intents, request.ObjectElement) : null;
            var names = remembered?.SecretNames ?? prepared!.SecretNames;
            var secrets = names.Count == 0 || settings.Standalone
                ? ImmutableDictionary<string, SecretSummary>.Empty
                : await reader.GetSecretsAsync(request.Namespace, names, budget.Token).ConfigureAwait(false);
            if (remembered is not null && remembered.SameSecrets(secrets))
            {
                AdmissionMetrics.MemoHits.Inc();
                result = remembered.Result;
                answer = remembered.Outcome;
            }
            else
            {
                AdmissionMetrics.MemoMisses.Inc();
                var input = new RenderInput(
                    request.Object!,
                    request.Operation == "CREATE" ? AdmissionOperation.Create : AdmissionOperation.Update,
                    ns,
                    secrets,
                    request.OldObject,
                    SecretsComplete: secretsComplete)
                {
                    ObjectElement = request.ObjectElement,
                };
                result = Renderer.Render(input, options, memo.Generations, prepared);
                answer = Answer(result);

                // Encoded once for the memo only when it will keep the decision: a first sighting is answered
                // straight from the patch.
                if (memo.WouldKeep(key))
                {
                    answer = answer.Prepared();
                }

                memo.Add(key, new AdmissionMemo.Entry(options, ns, secretsComplete, names, secrets, result, answer,
                    request.ObjectJson.Length + request.OldObjectJson.Length + (answer.EncodedPatch?.Length ?? 0)));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return AdmissionOutcome.Deny(503, $"egress-tls could not read namespace {request.Namespace} within {settings.Budget.TotalSeconds:0.#}s; retry",
                "Failed", "context-timeout");
        }
        catch (Exception ex) when (IsClusterFailure(ex))
        {
            logger.LogWarning(ex, "Cannot read the admission context of {Namespace}/{Name}", request.Namespace, request.Name);
            return AdmissionOutcome.Deny(503, $"egress-tls could not read namespace {request.Namespace} or its Secrets: {Describe(ex)}; retry",
                "Failed", "context-unavailable");
        }

        return result is Mutated mutated
            ? await ApplyAsync(request, mutated, budget, cancellationToken).ConfigureAwait(false) ?? answer
            : answer;
    }

    // The answer for a render result when applying its objects succeeds.
    private static AdmissionOutcome Answer(RenderResult result) => result switch
    {
        Skipped skipped => AdmissionOutcome.Skip(skipped.Reason),
        Rejected rejected => AdmissionOutcome.Deny(403, string.Join("; ", rejected.Errors.Select(e => e.ToString())), "Rejected", "invalid-annotations"),
        Mutated mutated => new AdmissionOutcome(true, mutated.Patch, mutated.Warnings, null, null, "Mutated",
            mutated.Patch.IsEmpty ? "already-mutated" : "mutated", mutated.Objects.Length),
        _ => throw new InvalidOperationException($"unexpected render result {result.GetType().Name}"),
    };

    private async Task<AdmissionOutcome?> ApplyAsync(
        AdmissionRequestData request, Mutated mutated, CancellationTokenSource budget, CancellationToken cancellationToken)
    {
        // sideEffects: NoneOnDryRun. Standalone has no cluster; the objects are only reported.
        if (mutated.Objects.IsEmpty || request.DryRun || settings.Standalone)
        {
            return null;
        }

        try
        {
            await applier.ApplyAsync(mutated.Objects, budget.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return AdmissionOutcome.Deny(503,
                $"egress-tls could not create the {mutated.Objects.Length} objects this pod needs within {settings.Budget.TotalSeconds:0.#}s (admission.applyTimeout); retry",
                "Failed", "apply-timeout", mutated.Warnings);
        }
        catch (ApplyException ex)
        {
            logger.LogWarning(ex, "Cannot apply the generated objects for {Namespace}/{Name}", request.Namespace, request.Name);
            return AdmissionOutcome.Deny(503, $"egress-tls could not create the objects this pod needs: {ex.Message}", "Failed", "apply-failed", mutated.Warnings);
        }
    }

    // By request.kind, which the reader holds equal to the object's own apiVersion and kind (Render goes by those).
    private bool IsRenderedKind(AdmissionRequestData request) =>
        (request.Group.Length == 0 && request.Kind == "Pod")
        || (settings.FluxEnabled && request.Group == "notification.toolkit.fluxcd.io" && request.Kind == "Provider");

    // What a reader talking to the API server throws when the cluster misbehaves (HTTP errors, timeouts,
    // connection resets). Bugs (null references, invalid casts) are not caught and become a 500.
    // Safe for a denial: our own messages, or what kind of transport failure it was (never object data).
    private static string Describe(Exception ex) => ex switch
    {
        ApplyException => ex.Message,
        HttpRequestException or IOException => "the Kubernetes API server could not be reached",
        _ => ex.GetType().Name,
    };

    private static bool IsClusterFailure(Exception ex) =>
        ex is HttpRequestException or IOException or TimeoutException or ApplyException
        || ex.GetType().FullName?.StartsWith("k8s.", StringComparison.Ordinal) == true;
}
