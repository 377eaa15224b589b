using System.Net;
using EgressTls.Kubernetes.Reconciliation;
using EgressTls.Pki;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EgressTls.Kubernetes;

/// <summary>
/// Keeps the interception CA and its rotation ("a new CA enters every bundle before any leaf
/// is signed by it; the old one stays until the last leaf it signed expires") in the CA Secret of the webhook
/// namespace, the only place its keys are ever written. Every replica calls <see cref="CheckAsync"/>
/// periodically: it reads the Secret, takes the transitions <see cref="CaRotationPlanner"/> finds due, and
/// writes them back with an update conditional on the resourceVersion it read. Replicas racing on one
/// transition therefore agree: one update lands, the others get 409, re-read, find the transition taken, and
/// adopt it; no leader is needed and no CA is ever made twice for one rotation.
/// Generate mode: a new CA is made when the active one is within <c>ca.renewBefore</c> of expiry, or when the
/// Secret's <c>egress-tls.io/rotate</c> annotation changes. Import mode: the user's Secret is copied into the
/// CA Secret on first start; replacing the user's CA later starts a rotation to it (the previous CA keeps
/// signing, from its copy, until the new one has propagated).
/// </summary>
public sealed class CaRotator
{
    private const int MaxConflicts = 5;
    private readonly IKubernetes client;
    private readonly ApiCallPipeline pipeline;
    private readonly CaStoreOptions options;
    private readonly CaRotationPolicy policy;
    private readonly ICaGenerator? generator;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly EventRecorder events;
    private readonly CaSecretStore store;

    /// <summary>Creates the rotator; <paramref name="generator"/> is needed in generate mode only.</summary>
    public CaRotator(IKubernetes client, ApiCallPipeline pipeline, CaStoreOptions options, CaRotationPolicy policy, ICaGenerator? generator, TimeProvider time,
        ILogger<CaRotator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Source == CaSource.CertManager)
        {
            throw new ArgumentException("cert-manager mode holds no CA to rotate", nameof(options));
        }

        if (options.Source == CaSource.Import && string.Equals(options.ImportSecretName, options.SecretName, StringComparison.Ordinal))
        {
            throw new CaStoreException($"ca.importSecretName ({options.ImportSecretName}) must differ from ca.secretName: egress-tls keeps the CA and its rotation in ca.secretName and never writes the import Secret");
        }

        this.client = client;
        this.pipeline = pipeline;
        this.options = options;
        this.policy = policy;
        this.generator = generator;
        this.time = time;
        this.logger = (ILogger?)logger ?? NullLogger.Instance;
        events = new EventRecorder(client, pipeline, time, this.logger);

        // The store creates the generated CA exactly once and reads the import Secret; this class adds the rotation.
        store = new CaSecretStore(client, options, generator, pipeline);
    }

    /// <summary>Loads the CA Secret, creating it exactly once when absent (generated, or copied from the import
    /// Secret), then takes any transition already due (a restart after the import changed acts at once).</summary>
    public async Task<CaState> LoadOrCreateAsync(CancellationToken cancellationToken)
    {
        if (options.Source == CaSource.Generate)
        {
            await store.LoadOrCreateAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var (pair, imported) = await ImportedAsync(cancellationToken).ConfigureAwait(false);
            var (_, created) = await SecretCreateIfAbsent.LoadOrCreateAsync(client, pipeline, options.Namespace, options.SecretName,
                () => CaStateSecret.Write(CaSecretStore.Manifest(options.Namespace, options.SecretName, pair), new CaState(imported, null, CaRotation.Start(imported, time), null, null)),
                cancellationToken).ConfigureAwait(false);
            if (created)
            {
                logger.LogInformation("Copied the imported CA from Secret {Namespace}/{Import} into {Namespace}/{Name}, where its rotation is kept",
                    options.Namespace, options.ImportSecretName, options.Namespace, options.SecretName);
            }
        }

        return await CheckAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the CA Secret, takes every transition due now and stores them; returns the resulting state.</summary>
    /// <exception cref="CaStoreException">The CA Secret is missing or unusable, or conflicts did not settle.</exception>
    public async Task<CaState> CheckAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var secret = await SecretCreateIfAbsent.ReadAsync(client, pipeline, options.Namespace, options.SecretName, cancellationToken).ConfigureAwait(false)
                         ?? throw new CaStoreException($"CA Secret {options.Namespace}/{options.SecretName} not found");
            var state = CaStateSecret.Read(secret, time);

            CaRotationDemand? demand = null;
            CertificateAuthority? offered = null;
            var request = CaStateSecret.RotateRequest(secret);
            if (options.Source == CaSource.Import)
            {
                offered = await ImportedOrWarnAsync(cancellationToken).ConfigureAwait(false);
                // Import mode never generates a CA. While the import Secret cannot be read (deleted to be re-created, a
                // bad edit) it is taken to still hold the CA in use, the waiting one else the active one; no demand at
                // all would let the planner generate a CA once the active one nears its end, and later promote it.
                demand = CaRotationDemand.Imported(offered?.Fingerprint ?? state.Next?.Fingerprint ?? state.Active.Fingerprint);
            }
            else if (request is not null && request != state.HandledRequest)
            {
                demand = CaRotationDemand.Requested;
            }

            CertificateAuthority? made = null;
            var step = CaRotationPlanner.Advance(state.Rotation, state.Active, policy, time, demand, () => made = offered ?? Generate());
            var handled = options.Source == CaSource.Generate ? request ?? state.HandledRequest : state.HandledRequest;
            if (!step.Changed && handled == state.HandledRequest)
            {
                return state;
            }

            if (demand?.Kind == CaRotationDemandKind.Requested && made is null)
            {
                logger.LogWarning("CA rotation was requested (annotation {Annotation}) while CA {Next} is still waiting to be promoted; the request is recorded and no further CA is made",
                    CaStateSecret.RotateAnnotation, state.Next?.Fingerprint);
            }

            var next = Resolve(step.State, state, made, handled);
            try
            {
                var written = await pipeline.ReadAsync(
                    async c => await client.CoreV1.ReplaceNamespacedSecretAsync(CaStateSecret.Write(secret, next), options.SecretName, options.Namespace, cancellationToken: c).ConfigureAwait(false),
                    cancellationToken).ConfigureAwait(false);
                // Only the replica whose update landed reports, so each transition is one log line and one Event
                // (kubectl describe secret egress-tls-ca shows the rotation's history).
                var subject = new WorkloadRef("v1", "Secret", options.Namespace, options.SecretName, written.Metadata?.Uid);
                foreach (var change in step.Changes)
                {
                    logger.LogInformation("CA rotation in Secret {Namespace}/{Name}: {Change}", options.Namespace, options.SecretName, change);
                    await events.RecordAsync(new WorkloadProblem(subject, Reason(change), change), cancellationToken, "Normal").ConfigureAwait(false);
                }

                return next with { ResourceVersion = written.Metadata?.ResourceVersion };
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict && attempt < MaxConflicts)
            {
                // Another replica wrote first; its result is read and the plan made again from it.
                logger.LogDebug("CA Secret {Namespace}/{Name} changed while rotating (409); reading it again", options.Namespace, options.SecretName);
            }
        }
    }

    // Maps the planned timeline back to the CAs with keys: the signer and the waiting CA are among the
    // stored active, the stored next and the one just made.
    private static CaState Resolve(CaRotation rotation, CaState stored, CertificateAuthority? made, string? handled)
    {
        CertificateAuthority Find(string fingerprint) =>
            new[] { stored.Active, stored.Next, made }.FirstOrDefault(c => c?.Fingerprint == fingerprint)
            ?? throw new InvalidOperationException($"the rotation refers to CA {fingerprint}, which is not stored");

        return new CaState(Find(rotation.Active.CaFingerprint), rotation.Next is { } n ? Find(n.CaFingerprint) : null, rotation, handled, stored.ResourceVersion);
    }

    private static string Reason(string change) =>
        change.StartsWith("introduced", StringComparison.Ordinal) ? "CAIntroduced"
        : change.StartsWith("retired", StringComparison.Ordinal) ? "CARetired"
        : change.StartsWith("replaced", StringComparison.Ordinal) ? "CAReplaced"
        : change.StartsWith("withdrew", StringComparison.Ordinal) ? "CAWithdrawn"
        : "CAPromoted";

    private CertificateAuthority Generate()
    {
        var pair = (generator ?? throw new CaStoreException("no CA generator configured")).Generate();
        var import = CertificateAuthority.Import(pair.CertificatePem, pair.PrivateKeyPem, null, time);
        return import.Succeeded ? import.Authority : throw new CaStoreException("the generated CA cannot be used: " + string.Join("; ", import.Errors));
    }

    // The import Secret as the store reads it (only in the webhook namespace; a missing or non-PEM Secret is a
    // CaStoreException naming it), checked as a CA.
    private async Task<(CaKeyPair Pair, CertificateAuthority Authority)> ImportedAsync(CancellationToken ct)
    {
        var stored = await store.LoadOrCreateAsync(ct).ConfigureAwait(false)
                     ?? throw new InvalidOperationException("import mode always yields a CA");
        var pair = stored.KeyPair;
        var import = CertificateAuthority.Import(pair.CertificatePem, pair.PrivateKeyPem, pair.ChainPem, time);
        return import.Succeeded
            ? (pair, import.Authority)
            : throw new CaStoreException($"CA import Secret {options.Namespace}/{options.ImportSecretName} is not a usable CA: " + string.Join("; ", import.Errors));
    }

    // During a check, a missing or broken import Secret must not stop the CA in use: warn and keep it.
    private async Task<CertificateAuthority?> ImportedOrWarnAsync(CancellationToken ct)
    {
        try
        {
            return (await ImportedAsync(ct).ConfigureAwait(false)).Authority;
        }
        catch (CaStoreException e)
        {
            logger.LogWarning("{Problem}; the CA in use is kept", e.Message);
            return null;
        }
    }
}
