using System.Net;
using System.Text;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>Passes requests on to the stand-in but answers 403 Forbidden for one resource, as kube-apiserver does
/// for a resource the service account's RBAC does not grant.</summary>
internal sealed class ForbiddingHandler(string resource) : DelegatingHandler
{
    private int refused;

    public int Refused => Volatile.Read(ref refused);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri!.AbsolutePath.Split('/').Contains(resource, StringComparer.Ordinal))
        {
            Interlocked.Increment(ref refused);
            var body = $$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","reason":"Forbidden","code":403,"message":"{{resource}} is forbidden: User \"system:serviceaccount:egress-tls:egress-tls\" cannot list resource \"{{resource}}\""}""";
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.Forbidden) { RequestMessage = request, Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }

        return base.SendAsync(request, cancellationToken);
    }
}
