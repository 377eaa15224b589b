namespace EgressTls.Webhook;

/// <summary>Command-line entry point: <c>egress-tls serve</c> and <c>egress-tls render</c>.</summary>
internal static class Cli
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("usage: egress-tls <serve|render> [options]");
        return args.Length == 0 ? 2 : 2;
    }
}
