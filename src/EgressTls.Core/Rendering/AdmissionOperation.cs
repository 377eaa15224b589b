namespace EgressTls.Core.Rendering;

/// <summary>The admission operation, as in <c>AdmissionRequest.operation</c>.</summary>
public enum AdmissionOperation
{
    /// <summary>CREATE.</summary>
    Create,

    /// <summary>UPDATE.</summary>
    Update,

    /// <summary>DELETE.</summary>
    Delete,

    /// <summary>CONNECT.</summary>
    Connect,
}
