namespace EgressTls.Core.Annotations;

/// <summary>One referenced Secret and what its use needs, as <see cref="AnnotationParser"/> checks it.</summary>
/// <param name="Key">The annotation that references it.</param>
/// <param name="Name">The Secret's name in the pod's namespace.</param>
/// <param name="Usage">How the error names the use, e.g. <c>cert= of api.example.com:443</c>.</param>
/// <param name="NeedsTls">A client certificate (type kubernetes.io/tls, tls.crt and tls.key), else a CA (ca.crt).</param>
internal sealed record SecretCheck(AnnotationKey Key, string Name, string Usage, bool NeedsTls);
